import time

# Process start, for /api/status/ uptime (this package is imported when settings load).
STARTED_AT = time.monotonic()
