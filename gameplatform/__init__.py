import time

# The platform's version (docs/versioning.md): /api/status/ and the API documents report it, and the
# Python and TypeScript SDKs carry the same one (gameplatform/tests/test_versions.py).
__version__ = "1.1.0"

# Process start, for /api/status/ uptime (this package is imported when settings load).
STARTED_AT = time.monotonic()
