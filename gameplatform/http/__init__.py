"""The HTTP side: Django under the ASGI server, the middleware, the serializers' strict fields,
pagination, the OpenAPI schema, optional trailing slashes."""
