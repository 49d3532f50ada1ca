"""`gremienlauf serve` starts a real uvicorn server with the API and its interactive docs."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _wait_until_up(url: str, process: subprocess.Popen[bytes], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert process.poll() is None, process.stderr.read().decode() if process.stderr else "server died"
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.2)
    raise AssertionError(f"{url} did not come up within {seconds} s")


def test_serve_with_demo_answers_with_docs_papers_and_a_working_login(tmp_path: Path) -> None:
    port = _free_port()
    gremienlauf = Path(sys.executable).parent / "gremienlauf"
    process = subprocess.Popen(
        [str(gremienlauf), "serve", "--demo", "--port", str(port)],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={k: v for k, v in os.environ.items() if k != "GREMIENLAUF_DATABASE_URL"},
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(f"{base}/openapi.json", process, seconds=180)  # the demo runs first
        assert "swagger" in httpx.get(f"{base}/docs").text.lower()
        papers = httpx.get(f"{base}/api/v1/wetzlar/papers").json()["items"]
        references = [p["reference"] for p in papers]
        assert "1562/13" in references  # the historic paper, and the demo's papers of today
        assert len(references) > 1
        login = httpx.post(
            f"{base}/api/v1/auth/token",
            json={"username": "wetzlar-koordination", "password": "demo-passwort"},
        )
        assert login.status_code == 200
        me = httpx.get(
            f"{base}/api/v1/me", headers={"Authorization": f"Bearer {login.json()['access_token']}"}
        )
        assert me.json()["role"] == "coordination"
        assert "Anmelden" in httpx.get(f"{base}/anmelden").text  # the web pages on the demo data
    finally:
        process.terminate()
        process.wait(timeout=30)
