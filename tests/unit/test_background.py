"""What the API process runs beside itself for the workers."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy.orm import sessionmaker

from workers.background import start_background
from workers.settings import WorkerSettings


def test_with_api_relay_off_the_api_process_leaves_the_outbox_to_beats_sweep() -> None:
    before = {t.name for t in threading.enumerate()}
    settings = WorkerSettings(redis_url="redis://127.0.0.1:1/0", api_relay=False)
    background = start_background(sessionmaker(), settings)
    assert {t.name for t in threading.enumerate()} == before  # no relay thread, no in-process worker
    background.stop()


def test_the_setting_is_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GREMIENLAUF_API_RELAY", "false")
    assert WorkerSettings().api_relay is False
    monkeypatch.delenv("GREMIENLAUF_API_RELAY")
    assert WorkerSettings().api_relay is True
