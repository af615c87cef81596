"""What the modules of the protocol share: the connection's phases, the close timeout, the logger."""

import logging

HTTP_RESPONSE = "websocket.http.response"  # the ASGI denial-response extension
CLOSE_TIMEOUT = 10.0  # seconds the client has to answer our close frame before the TCP connection is closed

logger = logging.getLogger("uvicorn.error")  # where uvicorn's own protocols log

# The connection's phases. Sends are checked against them; a lost connection is always CLOSED too.
HANDSHAKE, DENYING, OPEN, CLOSED = "handshake", "denying", "open", "closed"
