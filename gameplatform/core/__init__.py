"""What every wing speaks: the one error shape, metrics, logs, hooks, settings read from the
environment, objects per event loop, the periodic jobs' registry, hardened JSON, path converters,
bounded memories and process copies."""
