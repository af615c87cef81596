"""Storage from the event loop: the database worker pool and its processes, compiled reads, PostgreSQL
and Redis connections, rate limits on the shared store, batching."""
