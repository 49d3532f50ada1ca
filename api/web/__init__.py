"""The web pages: server-rendered German pages on the same use cases and rules as the JSON API
(``api.web.wiring`` adds them to the app)."""
