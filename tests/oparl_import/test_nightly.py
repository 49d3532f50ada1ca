"""The nightly re-import: every source imported before runs again into its municipality (beat task)."""

from __future__ import annotations

from celery.schedules import crontab

from tests.conftest import Database
from tests.oparl_import.test_karlsruhe import ROOT, client_for, source
from workers import runtime
from workers.celery_app import create_celery
from workers.oparl_import.importer import import_oparl
from workers.oparl_import.nightly import import_all
from workers.settings import WorkerSettings


def test_every_source_imported_before_runs_again_into_its_municipality(db: Database) -> None:
    import_oparl(db.sessions, f"{ROOT}/system", kommune="duisburg", client=client_for(source()))
    reports = import_all(db.sessions, client=lambda: client_for(source()))
    assert [r.municipality for r in reports] == ["duisburg"]
    counts = reports[0].as_json()["counts"]
    assert counts["Paper"]["unchanged"] == counts["Paper"]["seen"] == 7
    assert reports[0].since is not None  # incremental: from the last run's high-water mark
    assert all(c["created"] == c["updated"] == 0 for c in counts.values())


def test_beat_runs_the_import_at_the_configured_hour(db: Database) -> None:
    settings = WorkerSettings(redis_url="redis://127.0.0.1:6379/15", oparl_import_hour=2)
    try:
        app = create_celery(settings, db.url)
        entry = app.conf.beat_schedule["oparl-import"]
        assert entry["task"] == "gremienlauf.oparl_import"
        assert entry["schedule"] == crontab(hour=2, minute=0)
        assert "gremienlauf.oparl_import" in app.tasks
        plain = create_celery(WorkerSettings(redis_url="redis://127.0.0.1:6379/15"), db.url)
        assert "oparl-import" not in plain.conf.beat_schedule
    finally:
        runtime.configure()
