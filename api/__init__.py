"""The HTTP API and web pages (built in the API issue)."""
