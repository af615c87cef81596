"""Django's PostgreSQL backend, with pooled connections checked without a round trip (``base.py``)."""
