"""End-to-end tests over HTTP."""
