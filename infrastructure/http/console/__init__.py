"""The finance and audit web console (issue 18), served by `billing serve` at /console: the
same process, tokens and provider scopes as the API; server-made pages, no JavaScript needed."""
