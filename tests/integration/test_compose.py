"""docker-compose.yml stays consistent with the code: every command exists, every setting is read."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from typer.testing import CliRunner

from gremienlauf.cli import app
from workers.settings import WorkerSettings
from workflow.db import Settings

ROOT = Path(__file__).resolve().parents[2]


def _services() -> dict[str, Any]:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    services: dict[str, Any] = compose["services"]
    return services


def test_every_gremienlauf_command_in_compose_exists() -> None:
    runner = CliRunner()
    for name, service in _services().items():
        if "build" not in service:
            continue
        words: list[str] = []
        for word in service["command"]:
            if word.startswith("-"):
                break
            words.append(word)
        result = runner.invoke(app, [*words, "--help"])
        assert result.exit_code == 0, f"service {name}: 'gremienlauf {' '.join(words)}' does not exist"


def test_every_setting_in_compose_is_one_the_code_reads() -> None:
    known = {
        f"GREMIENLAUF_{field.upper()}" for field in (*Settings.model_fields, *WorkerSettings.model_fields)
    }
    for name, service in _services().items():
        for variable in service.get("environment", {}):
            if variable.startswith("GREMIENLAUF_"):
                assert variable in known, f"service {name} sets {variable}, which nothing reads"


def test_the_image_copies_every_package_the_distribution_installs() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    for package in ("workflow", "gremienlauf", "api", "workers"):
        assert f"COPY {package} ./{package}" in dockerfile


def test_the_stack_runs_api_workers_one_beat_redis_and_a_mail_catcher() -> None:
    services = _services()
    assert {"postgres", "redis", "migrate", "api", "worker", "beat", "mailpit"} <= set(services)
    assert services["worker"]["command"][0] == "worker"
    assert services["beat"]["command"][0] == "beat"
    assert "deploy" not in services["beat"], "beat must run exactly once"
    for name in ("api", "worker", "beat"):
        environment = services[name]["environment"]
        assert environment["GREMIENLAUF_REDIS_URL"].startswith("redis://redis:")
        assert environment["GREMIENLAUF_SMTP_HOST"] == "mailpit"
        assert services[name]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"


def test_the_api_scales_out_behind_the_proxy_without_a_host_port_of_its_own() -> None:
    services = _services()
    assert "ports" not in services["api"], "replicas (--scale api=N) would clash on a published host port"
    proxy = services["proxy"]
    assert proxy["ports"] == ["8000:8000"]
    assert "api:8000" in proxy["command"]


def test_the_relay_runs_as_a_service_and_the_api_processes_leave_it_to_it() -> None:
    """The API processes relay nothing (their CPU stays with the requests); the `relay` service hands the
    outbox over, with the same database and broker as the API."""
    services = _services()
    assert services["api"]["environment"]["GREMIENLAUF_API_RELAY"] == "false"
    relay = services["relay"]
    assert relay["command"][0] == "relay"
    for variable in ("GREMIENLAUF_DATABASE_URL", "GREMIENLAUF_REDIS_URL"):
        assert relay["environment"][variable] == services["api"]["environment"][variable]
    assert relay["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
