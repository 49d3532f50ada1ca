"""Settings of the HTTP API alone, read from the environment (prefix ``GREMIENLAUF_``)."""

from __future__ import annotations

from pydantic_settings import BaseSettings, SettingsConfigDict


class ApiSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="GREMIENLAUF_", extra="ignore")

    # The public base URL of this server: OParl ids are built from it (``gremienlauf serve`` sets it to the
    # address it listens on unless it is given).
    public_url: str = "http://127.0.0.1:8000"
    # FastAPI's OpenTelemetry spans and metrics for every request, for an operator who configures an
    # OpenTelemetry provider (OTEL_* variables). Off by default: unused, it still looks up the providers on
    # every request.
    telemetry: bool = False
    # Redis for the live pages of meetings (the same setting as the workers' broker): every API process
    # hears of each result over Redis pub/sub. Unset (the embedded default): within the one process.
    redis_url: str | None = None
    # The Redis pub/sub channel of the live pages, so several installations (or test runs) can share a Redis.
    live_channel: str = "gremienlauf:live"
