"""Serves the stored Hürtgenwald OParl dump from 127.0.0.1 with its URLs rewritten to the local server.

A list page's file is named after its URL (``body/1/paper?page=2`` → ``body/1/paper?page=2.json``; page 1
has none); query parameters other than ``page`` (filters) are ignored, as a server without filters would.
``edit`` changes a file's text before it is served (e.g. a paper the source has since deleted).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

DUMP = Path(__file__).resolve().parents[2].parent / "shared/oparl/real-data/huertgenwald-1.0/server"
ORIGIN = "https://sdnetrim.kdvz-frechen.de/rim4220/webservice/oparl/v1.0/"
SHARED = Path("/work/shared/oparl/real-data/huertgenwald-1.0/server")


def dump_dir() -> Path:
    return DUMP if DUMP.is_dir() else SHARED


class DumpServer:
    def __init__(self, root: Path | None = None, *, prefix: str = "oparl") -> None:
        self.root = root or dump_dir()
        self.prefix = prefix
        self.edits: dict[str, Callable[[str], str]] = {}
        self.requests = 0
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.base = f"http://127.0.0.1:{self._server.server_address[1]}/{prefix}/"

    def _file_for(self, path: str, query: str) -> str | None:
        if not path.startswith(f"/{self.prefix}/"):
            return None
        rest = path[len(self.prefix) + 2 :]
        page = parse_qs(query).get("page", ["1"])[0]
        return f"{rest}?page={page}.json" if page != "1" else f"{rest}.json"

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.requests += 1
                parts = urlsplit(self.path)
                name = server._file_for(parts.path, parts.query)
                file = server.root / name if name else None
                if name is None or file is None or ".." in name or not file.is_file():
                    self._send(404, b'{"type": "https://schema.oparl.org/1.0/Error", "message": "not found"}')
                    return
                text = file.read_text(encoding="utf-8").replace(ORIGIN, server.base)
                if name in server.edits:
                    text = server.edits[name](text)
                self._send(200, text.encode("utf-8"))

            def _send(self, status: int, body: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        return Handler

    @property
    def system_url(self) -> str:
        return f"{self.base}system"

    def start(self) -> None:
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@contextmanager
def serve_dump(root: Path | None = None, prefix: str = "oparl") -> Iterator[DumpServer]:
    server = DumpServer(root, prefix=prefix)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@contextmanager
def serve_answers(answers: dict[str, Any], origin: str) -> Iterator[str]:
    """Serves ``answers`` (URL → JSON object, URLs under ``origin``) from 127.0.0.1, with every ``origin``
    rewritten to the local server; yields the local base URL that replaces ``origin``."""
    text = json.dumps(answers)

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            found = served.get(base + self.path.lstrip("/").split("?", 1)[0])
            body = json.dumps(found if found is not None else {"type": "Error"}).encode("utf-8")
            self.send_response(200 if found is not None else 404)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    base = f"http://127.0.0.1:{server.server_address[1]}/"
    served: dict[str, Any] = json.loads(text.replace(origin, base))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield base
    finally:
        server.shutdown()
        server.server_close()
