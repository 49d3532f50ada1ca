"""The gremienlauf domain: entities, state machines, rules, profiles, use cases and persistence.

Imports neither FastAPI, Celery nor python-docx (checked by import-linter).
"""

# Registers the flush listeners that raise a published parent's ``modified_at`` with its children.
from workflow import publication as _publication  # noqa: F401
