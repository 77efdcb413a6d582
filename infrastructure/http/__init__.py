"""The HTTP API (`billing serve`): facts in, read models out, behind scoped bearer tokens.

- ``app.create_app(db)`` builds the ASGI application (FastAPI) on the store ``db`` names;
- ``tokens.TokenStore`` keeps the API tokens, hashed, in ``billing_api_tokens``;
- ``server.serve(...)`` runs it under uvicorn.
"""
