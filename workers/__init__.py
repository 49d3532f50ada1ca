"""Celery workers: documents, mail, reminders (issue 5). Tasks take ids and call pure functions."""
