"""Who may call a route: JWT, API keys, guards (401/403), rate limits."""
