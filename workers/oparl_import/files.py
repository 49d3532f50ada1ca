"""The download phase (``--files``): the contents of the imported file records, after the records.

Resumable: it asks only for records without a checksum, so a run that stopped goes on where it stopped. An
answer that is an HTML page instead of the file (a login or error page), or whose size differs from the
size the record announced, is refused and reported; the record stays without content for the next run.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy.orm import Session, sessionmaker

from workers.oparl_import.client import FetchError, OParlClient
from workflow.history_files import files_to_fetch, store_content
from workflow.store import municipality_by_key

HTML_STARTS = (b"<!doctype html", b"<html", b"<head", b"<body")


def refusal(
    content: bytes, content_type: str | None, expected_size: int | None, media_type: str | None
) -> str | None:
    """Why a downloaded answer is not the file (German), or ``None`` when it is."""
    wants_html = (media_type or "").lower().startswith("text/html")
    looks_html = (content_type or "").lower().startswith("text/html") or content.lstrip()[
        :14
    ].lower().startswith(HTML_STARTS)
    if looks_html and not wants_html:
        return "HTML-Seite statt der Datei"
    if not content:
        return "leere Antwort"
    if expected_size is not None and len(content) != expected_size:
        return f"Größe {len(content)} Bytes statt angekündigter {expected_size} Bytes"
    return None


@dataclass
class FilesReport:
    counts: dict[str, int] = field(
        default_factory=lambda: {"seen": 0, "stored": 0, "deduplicated": 0, "refused": 0}
    )
    refused: list[dict[str, str]] = field(default_factory=list)


def download_files(
    sessions: sessionmaker[Session],
    client: OParlClient,
    municipality: str,
    *,
    actor: str,
    progress: Callable[[str, str, int, int | None], None] | None = None,
    batch: int = 100,
) -> FilesReport:
    """Download the contents of the municipality's imported file records that have none yet."""
    with sessions() as session:
        town_id = municipality_by_key(session, municipality).id
    report = FilesReport()
    after = 0
    while True:
        todo = files_to_fetch(sessions, town_id, after=after, limit=batch)
        if not todo:
            return report
        for file_id, url, expected, media_type in todo:
            after = file_id
            report.counts["seen"] += 1
            if progress:
                progress("Dateien", "File", report.counts["seen"], None)
            reason: str | None
            try:
                answer = client.get_bytes(url)
            except FetchError as exc:
                answer, reason = None, exc.reason
            else:
                reason = "HTTP 404" if answer is None else refusal(answer[0], answer[1], expected, media_type)
            if answer is None or reason is not None:
                report.counts["refused"] += 1
                report.refused.append({"url": url, "reason": reason or "nicht abrufbar"})
                continue
            stored = store_content(sessions, file_id, answer[0], actor=actor)
            report.counts["stored" if stored else "deduplicated"] += 1
