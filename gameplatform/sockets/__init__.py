"""The WebSocket side: the consumer base every app's consumer extends, codecs, authentication,
presence, stalled clients, locked accounts' sockets; and ``wire``, a uvicorn WebSocket protocol of
our own with prepared frames, ``make serve``'s (``--ws gameplatform.sockets.wire:PreparedFramesProtocol``)."""
