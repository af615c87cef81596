"""The built-in modes, written only against the public mode API (``gameplatform.modes``)."""
