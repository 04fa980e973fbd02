"""The HTTP layer: app assembly, middleware, error rendering, shared route helpers."""
