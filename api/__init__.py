"""HTTP API (FastAPI): routes that translate HTTP to the use cases of ``workflow``; OParl. See issues 3 and 4."""
