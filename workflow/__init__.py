"""The gremienlauf domain: entities, state machines, rules, profiles, use cases and persistence.

Imports neither FastAPI, Celery nor python-docx (checked by import-linter).
"""
