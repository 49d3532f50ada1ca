"""The download phase: contents stored with their checksums, each content once, HTML answers and size
mismatches refused and reported, and a second run goes on with what is still missing."""

from __future__ import annotations

import hashlib

import httpx
from sqlalchemy import func, select

from tests.conftest import Database
from tests.oparl_import.test_karlsruhe import ROOT, T, source
from workers.oparl_import.client import OParlClient
from workers.oparl_import.files import download_files, refusal
from workers.oparl_import.importer import import_oparl
from workflow.history_files import content_of
from workflow.source_models import ImportedFile

PDF = b"%PDF-1.4 the same content\n"


def test_refusal_of_answers_that_are_not_the_file() -> None:
    assert refusal(PDF, "application/pdf", len(PDF), "application/pdf") is None
    assert refusal(b"<!DOCTYPE html><p>Anmeldung</p>", "text/html", None, "application/pdf") == (
        "HTML-Seite statt der Datei"
    )
    assert refusal(b"  <html><body>Fehler</body></html>", "application/pdf", None, "application/pdf") == (
        "HTML-Seite statt der Datei"
    )
    assert refusal(b"<html></html>", "text/html", None, "text/html") is None  # an HTML file is an HTML file
    assert refusal(PDF, "application/pdf", 10, None) == f"Größe {len(PDF)} Bytes statt angekündigter 10 Bytes"
    assert refusal(b"", "application/pdf", None, None) == "leere Antwort"


def test_contents_are_downloaded_once_deduplicated_and_resumed(db: Database) -> None:
    answers = source()
    asked: list[str] = []
    html_for: set[str] = set()

    def handler(request: httpx.Request) -> httpx.Response:
        url = str(request.url).split("?", 1)[0]
        if "/downloadfiles/" in url:
            asked.append(url)
            if url in html_for:
                return httpx.Response(
                    200, text="<!DOCTYPE html><p>Bitte anmelden</p>", headers={"content-type": "text/html"}
                )
            unique = url.endswith(("0.pdf", "1.pdf", "2.pdf"))
            body = PDF + url.encode() if unique else PDF
            return httpx.Response(200, content=body, headers={"content-type": "application/pdf"})
        if url not in answers:
            return httpx.Response(404, json={"type": T + "Error"})
        return httpx.Response(200, json=answers[url])

    client = OParlClient(httpx.Client(transport=httpx.MockTransport(handler)), sleep=lambda s: None)
    report = import_oparl(db.sessions, f"{ROOT}/system", kommune="wetzlar", client=client)
    records = report.as_json()["counts"]["File"]["created"]
    assert records == 18
    with db.session() as session:
        urls = [u for u in session.scalars(select(ImportedFile.download_url).order_by(ImportedFile.id)) if u]
    html_for.add(urls[0])
    first = download_files(db.sessions, client, "wetzlar", actor="test")
    assert first.counts["seen"] == 18
    assert first.counts["refused"] == 1
    assert first.refused == [{"url": urls[0], "reason": "HTML-Seite statt der Datei"}]
    assert first.counts["stored"] + first.counts["deduplicated"] == 17
    assert first.counts["deduplicated"] >= 1
    with db.session() as session:
        rows = session.scalars(select(ImportedFile).order_by(ImportedFile.id)).all()
        stored = [r for r in rows if r.sha256 is not None]
        assert len(stored) == 17
        same = [r for r in stored if r.sha256 == hashlib.sha256(PDF).hexdigest()]
        assert sum(1 for r in same if r.content is not None) == 1  # the same content is stored once
        assert all(content_of(session, r.id) == PDF for r in same)
        assert all(r.sha512 == hashlib.sha512(content_of(session, r.id) or b"").hexdigest() for r in stored)
        assert rows[0].sha256 is None  # refused: stays without content
    asked.clear()
    html_for.clear()
    second = download_files(db.sessions, client, "wetzlar", actor="test")
    assert asked == [urls[0]]  # only what is still missing
    unique = urls[0].endswith(("0.pdf", "1.pdf", "2.pdf"))
    assert second.counts == {"seen": 1, "stored": int(unique), "deduplicated": int(not unique), "refused": 0}
    with db.session() as session:
        assert session.scalar(select(func.count()).where(ImportedFile.sha256.is_(None))) == 0
