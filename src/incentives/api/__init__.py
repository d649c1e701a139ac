"""The HTTP API (Litestar): controllers per audience, authentication, problem details."""
