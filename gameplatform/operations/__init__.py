"""Running the platform: the operations endpoints, the system routes, the timers."""
