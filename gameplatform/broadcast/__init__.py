"""Sending to groups: the names of groups, the channel layer, and each process's hub that fans a
broadcast out to its sockets."""
