"""The reference the docs site shows: the AsyncAPI document of every socket and the API reference
pages."""
