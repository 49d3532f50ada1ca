"""The nightly re-import of every OParl source imported before (Celery beat, ``oparl_import_hour``): only
what changed since the last run's high-water mark is fetched, so old and new system can run side by side
until the cut-over."""

from __future__ import annotations

import logging
from collections.abc import Callable

from sqlalchemy.orm import Session, sessionmaker

from workers.oparl_import.client import OParlClient
from workers.oparl_import.importer import ImportFailed, Report, import_oparl
from workflow.history_import import imported_sources

log = logging.getLogger(__name__)


def import_all(
    sessions: sessionmaker[Session], client: Callable[[], OParlClient] = OParlClient
) -> list[Report]:
    """Re-import each source into its municipality; a source that cannot be reached is logged and tried
    again the next night, the others still run."""
    reports = []
    for url, body_url, municipality in imported_sources(sessions):
        fetcher = client()
        try:
            report = import_oparl(sessions, url, kommune=municipality, body_url=body_url, client=fetcher)
        except ImportFailed as exc:
            log.warning("OParl import of %s into %s failed: %s", url, municipality, exc)
            continue
        finally:
            fetcher.close()
        counts = report.as_json()["counts"]
        log.info(
            "OParl import of %s into %s: %s",
            url,
            municipality,
            {t: {k: v for k, v in c.items() if v} for t, c in counts.items()},
        )
        reports.append(report)
    return reports
