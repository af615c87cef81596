"""The WebSocket side: the consumer base every app's consumer extends, codecs, authentication,
presence, stalled clients, locked accounts' sockets."""
