"""The HTTP API (JSON routes, Open311) and the web pages under /ui."""
