"""The WebSocket side: the consumer base every app's consumer extends, codecs, authentication,
presence, stalled clients, locked accounts' sockets. The uvicorn WebSocket protocol ``make serve``
runs (``--ws preparedws:PreparedFramesProtocol``) is a package of its own, ``preparedws``; what a
socket sends through its prepared frames is ``sending``'s."""
