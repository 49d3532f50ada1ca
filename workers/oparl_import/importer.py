"""The import run: find the Body, read its lists page by page, repair and map each object, and hand each
page to the domain's use cases. One bad object goes to quarantine with its reason; it never aborts the run.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from workers.oparl_import import mapping
from workers.oparl_import.client import FetchError, OParlClient
from workers.oparl_import.repairs import (
    is_deleted,
    normalise_ags,
    parse_datetime,
    repair,
    type_name,
    without_fractions,
)
from workflow.errors import DomainError
from workflow.history import Deleted, Problem, Tally
from workflow.history_import import Run, finish_run, start_run, vanished_from_list
from workflow.history_links import link_agenda_items, link_substitutes
from workflow.history_papers import write_papers
from workflow.history_writes import (
    write_listed_files,
    write_locations,
    write_meetings,
    write_memberships,
    write_organizations,
    write_persons,
    write_terms,
)

#: The Body's lists read, in this order (a later one refers to the earlier ones), with their OParl type.
#: What a list repeats of an object already read embedded elsewhere in the run is not read (or counted)
#: again.
PHASES: tuple[tuple[str, str], ...] = (
    ("legislativeTermList", "LegislativeTerm"),  # OParl 1.1: besides the terms embedded in the Body
    ("organization", "Organization"),
    ("person", "Person"),
    ("membership", "Membership"),  # OParl 1.1: also the memberships no person embeds
    ("locationList", "Location"),  # OParl 1.1: also the places no meeting embeds
    ("meeting", "Meeting"),
    ("paper", "Paper"),
    ("file", "File"),  # OParl 1.1: the records no object embeds (older versions, derivatives)
)
COUNT_KEYS = ("seen", "created", "updated", "unchanged", "deleted", "quarantined")
#: The types the report always names (with zeros where the source holds none).
REPORT_TYPES = (
    "Organization",
    "Person",
    "Membership",
    "LegislativeTerm",
    "Location",
    "Meeting",
    "AgendaItem",
    "Paper",
    "Consultation",
    "File",
)
#: Types an object of which may come more than once in one run (embedded in several parents, and in a
#: list of its own): counted once per id (a file: once per parent that embeds it; the file list counts
#: only the records no object embeds).
ONCE_PER_RUN = ("Membership", "LegislativeTerm", "Location", "File")

#: progress(phase, OParl type, objects done, objects expected or None)
Progress = Callable[[str, str, int, int | None], None]


class ImportFailed(Exception):
    """The source could not be read at all (German message)."""


@dataclass
class Report:
    source: str
    body: str | None = None
    municipality: str | None = None
    dry_run: bool = False
    full: bool = False
    since: dt.datetime | None = None
    high_water_mark: dt.datetime | None = None
    tally: Tally = field(default_factory=Tally)
    repairs: Counter[str] = field(default_factory=Counter)
    # A source with several bodies: the report of each (this report sums them up; ``body`` and
    # ``municipality`` are then None).
    parts: list[Report] = field(default_factory=list)
    # A list could not be read to its end: the high-water mark stays where it was, so the next run asks
    # again for everything this one may have missed.
    incomplete: bool = False
    # A dry run writes nothing, so it keeps here what it counted of the types in ONCE_PER_RUN.
    dry_seen: set[str] = field(default_factory=set)

    @classmethod
    def of_bodies(cls, source: str, parts: list[Report]) -> Report:
        """The report of a source with several bodies: the counts, problems and repairs of all of them."""
        if len(parts) == 1:
            return parts[0]
        marks = [p.high_water_mark for p in parts if p.high_water_mark is not None]
        total = cls(
            source=source,
            dry_run=all(p.dry_run for p in parts),
            full=all(p.full for p in parts),
            high_water_mark=max(marks) if marks else None,
            incomplete=any(p.incomplete for p in parts),
            parts=parts,
        )
        for part in parts:
            total.tally.merge(part.tally)
            total.repairs.update(part.repairs)
        return total

    @property
    def municipalities(self) -> list[str]:
        """The municipalities written into (one per body)."""
        return [m for p in (self.parts or [self]) if (m := p.municipality) is not None]

    def as_json(self) -> dict[str, Any]:
        counts = {
            oparl_type: {key: self.tally.counts.get(oparl_type, {}).get(key, 0) for key in COUNT_KEYS}
            for oparl_type in sorted({*REPORT_TYPES, *self.tally.counts})
        }
        return {
            "source": self.source,
            "body": self.body,
            "kommune": self.municipality,
            "dry_run": self.dry_run,
            "full": self.full,
            "since": self.since.isoformat() if self.since else None,
            "high_water_mark": self.high_water_mark.isoformat() if self.high_water_mark else None,
            "counts": counts,
            "quarantined": [
                {"type": p.oparl_type, "url": p.url, "reason": p.reason} for p in self.tally.quarantined
            ],
            "inconsistent": [
                {"type": p.oparl_type, "url": p.url, "reason": p.reason} for p in self.tally.inconsistent
            ],
            "repairs": dict(sorted(self.repairs.items())),
            "bodies": [part.as_json() for part in self.parts],
        }


def find_bodies(client: OParlClient, url: str) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    """The bodies behind a System, body list or Body URL (all of a list, deleted ones left out), and the
    System if known."""
    data = client.get_json(url)
    system: dict[str, Any] | None = None
    if isinstance(data, dict) and mapping.is_type(data, "System"):
        system = data
        body_ref = data.get("body")
        if not isinstance(body_ref, str):
            raise ImportFailed(f"Das System unter {url} nennt keine Körperschaften (body)")
        data = client.get_json(body_ref)
    if isinstance(data, dict) and mapping.is_type(data, "Body"):
        return [data], system
    if isinstance(data, dict) and "data" in data:
        bodies = [
            b for page in client.pages(url if system is None else str(system["body"])) for b in page.objects
        ]
        bodies = [b for b in bodies if isinstance(b, dict) and not is_deleted(b)]
        if not bodies:
            raise ImportFailed(f"Unter {url} ist keine Körperschaft (Body) zu finden")
        return bodies, system
    raise ImportFailed(f"Unter {url} ist weder ein OParl-System noch eine Körperschaft (Body) zu finden")


def _named(body: dict[str, Any]) -> str:
    return f"{body.get('name') or body.get('shortName') or 'ohne Namen'} ({body.get('id')})"


class Importer:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        client: OParlClient,
        *,
        progress: Progress | None = None,
        now: dt.datetime | None = None,
    ) -> None:
        self.sessions = sessions
        self.client = client
        self.progress = progress or (lambda phase, oparl_type, done, total: None)
        self.now = now
        self.phase = "Abruf"

    def run(
        self,
        url: str,
        *,
        kommune: str | None = None,
        body_url: str | None = None,
        dry_run: bool = False,
        since: dt.datetime | None = None,
        full: bool = False,
    ) -> Report:
        """Import every Body of the source (only the one at ``body_url``, if given), each into its own
        municipality; ``kommune`` only for a source with one Body (or with ``body_url``)."""
        try:
            found, system = find_bodies(self.client, url)
        except FetchError as exc:
            raise ImportFailed(f"Die Quelle ist nicht erreichbar: {exc.url} ({exc.reason})") from exc
        bodies = [repair(b, "Body", mapping.version_of(b))[0] for b in found]
        if body_url is not None:
            bodies = [b for b in bodies if b.get("id") == body_url]
            if not bodies:
                raise ImportFailed(f"Die Quelle {url} führt die Körperschaft {body_url} nicht (mehr)")
        if kommune is not None and len(bodies) > 1:
            raise ImportFailed(
                f"Die Quelle {url} führt {len(bodies)} Körperschaften: "
                + "; ".join(_named(b) for b in bodies)
                + f". In die Kommune '{kommune}' kann nur eine übernommen werden: bitte statt der "
                "Adresse des Systems die Adresse der Körperschaft angeben."
            )
        parts = []
        for body in bodies:
            # one progress bar per body, phase and type
            self.phase = "Abruf" if len(bodies) == 1 else f"Abruf {body.get('shortName') or body.get('name')}"
            parts.append(
                self._body(url, body, system, kommune=kommune, dry_run=dry_run, since=since, full=full)
            )
        return Report.of_bodies(url, parts)

    def _body(
        self,
        url: str,
        body: dict[str, Any],
        system: dict[str, Any] | None,
        *,
        kommune: str | None,
        dry_run: bool,
        since: dt.datetime | None,
        full: bool,
    ) -> Report:
        """Import one Body: its lists, in the order of ``PHASES``."""
        report = Report(source=url, dry_run=dry_run)
        body_url = str(body.get("id") or url)
        report.body = body_url
        run: Run | None = None
        if not dry_run:
            run = start_run(
                self.sessions,
                entry_url=url,
                body_url=body_url,
                body_name=str(body.get("name") or body_url),
                body_short_name=body.get("shortName") if isinstance(body.get("shortName"), str) else None,
                ags=normalise_ags(body.get("ags")),
                website=body.get("website") if isinstance(body.get("website"), str) else None,
                municipality_key=kommune,
                system_url=str(system.get("id")) if system else _text_or_none(body.get("system")),
                oparl_version=str(body.get("type", "")).rsplit("/", 2)[-2] if body.get("type") else None,
                vendor=str(system.get("vendor")) if system and system.get("vendor") else None,
                since=since,
                full=full,
                now=self.now,
            )
            report.municipality, since = run.municipality_key, run.since
        report.since = since
        report.full = since is None
        failed = False
        try:
            terms = body.get("legislativeTerm")
            if isinstance(terms, list):
                self._page(report, run, "LegislativeTerm", [t for t in terms if isinstance(t, dict)])
            if isinstance(body.get("location"), dict):  # the Body's own place (its administration)
                self._page(report, run, "Location", [body["location"]])
            read_whole: set[str] = set()
            for list_name, oparl_type in PHASES:
                list_url = body.get(list_name)
                if isinstance(list_url, str) and self._read_list(report, run, list_url, oparl_type, since):
                    read_whole.add(oparl_type)
                if oparl_type == "Person" and run is not None and report.tally.pending_substitutes:
                    pending, report.tally.pending_substitutes = report.tally.pending_substitutes, []
                    report.tally.merge(link_substitutes(self.sessions, run, pending, self.now))
                if oparl_type == "Paper" and run is not None and report.tally.pending_items:
                    items, report.tally.pending_items = report.tally.pending_items, []
                    report.tally.merge(link_agenda_items(self.sessions, run, items, self.now))
            if run is not None and since is None:
                for oparl_type in _whole(body, read_whole):
                    self._vanished(report, run, oparl_type)
        except BaseException:
            failed = True
            raise
        finally:
            if run is not None:
                finish_run(
                    self.sessions,
                    run,
                    report.tally,
                    high_water_mark=report.high_water_mark,
                    failed=failed,
                    incomplete=report.incomplete,
                    now=self.now,
                )
        return report

    def _read_list(
        self, report: Report, run: Run | None, list_url: str, oparl_type: str, since: dt.datetime | None
    ) -> bool:
        """Read one list of the Body; whether it could be read to its end."""
        filters = {"modified_since": without_fractions(since)} if since else {}
        done = 0
        self.progress(self.phase, oparl_type, 0, None)
        try:
            for page in self.client.pages(list_url, filters):
                self._page(report, run, oparl_type, page.objects)
                done += len(page.objects)
                self.progress(self.phase, oparl_type, done, page.total)
        except FetchError as exc:
            report.tally.quarantine(oparl_type, exc.url, f"Liste nicht vollständig lesbar: {exc.reason}")
            report.incomplete = True
            return False
        return True

    def _vanished(self, report: Report, run: Run, oparl_type: str) -> None:
        """A full run read the whole list (at the end of the run, when every list that can name an object
        of this type was read): what it no longer holds (without a ``deleted`` flag) is taken out of the
        public record like a deletion. Objects quarantined in this run are not."""
        quarantined = {p.url for p in report.tally.quarantined}
        gone = [u for u in vanished_from_list(self.sessions, run, oparl_type) if u not in quarantined]
        for start in range(0, len(gone), 100):
            chunk = [Deleted(oparl_type, url) for url in gone[start : start + 100]]
            report.tally.merge(self._write(run, oparl_type, [], chunk))

    def _page(
        self, report: Report, run: Run | None, oparl_type: str, objects: Sequence[dict[str, Any]]
    ) -> None:
        tally = report.tally
        records: list[Any] = []
        deleted: list[Deleted] = []
        for raw in objects:
            obj, notes = repair(raw, oparl_type, mapping.version_of(raw))
            report.repairs.update(notes)
            url = str(obj.get("id", "?"))
            modified = parse_datetime(obj.get("modified"))
            if modified and (report.high_water_mark is None or modified > report.high_water_mark):
                report.high_water_mark = modified
            if type_name(obj.get("type")) != oparl_type:
                tally.add(oparl_type, "seen")
                tally.quarantine(oparl_type, url, f"Typ {obj.get('type')} in der Liste für {oparl_type}")
                continue
            if is_deleted(obj):
                deleted.append(Deleted(oparl_type, url, modified))
                continue
            try:
                record, problems = self._map(oparl_type, obj)
            except mapping.MappingError as exc:
                tally.add(oparl_type, "seen")
                tally.quarantine(oparl_type, url, str(exc))
                continue
            except Exception as exc:  # data shaped in a way no repair knows: this object only
                tally.add(oparl_type, "seen")
                tally.quarantine(oparl_type, url, f"nicht lesbar: {type(exc).__name__}: {exc}")
                continue
            for kind, problem_url, reason in problems:
                if kind == oparl_type:
                    tally.inconsistent.append(Problem(kind, problem_url, reason))
                else:
                    tally.add(kind, "seen")
                    tally.quarantine(kind, problem_url, reason)
            records.append(record)
        if run is None:  # dry run: fetched, repaired and checked, nothing written
            for record in records:
                url = _url_of(record)
                if oparl_type in ONCE_PER_RUN:
                    if url in report.dry_seen:
                        continue  # came embedded before
                    report.dry_seen.add(url)
                tally.add(oparl_type, "seen")
                for child_type, urls in _children(record):
                    if child_type in ONCE_PER_RUN:
                        if child_type != "File":  # an embedded file counts where it is embedded
                            urls = [u for u in dict.fromkeys(urls) if u not in report.dry_seen]
                        report.dry_seen.update(urls)
                    tally.add(child_type, "seen", len(urls))
            for gone in deleted:
                tally.add(gone.oparl_type, "seen")
            return
        tally.merge(self._write(run, oparl_type, records, deleted))

    def _map(self, oparl_type: str, obj: dict[str, Any]) -> tuple[Any, list[tuple[str, str, str]]]:
        if oparl_type == "Organization":
            return mapping.organization(obj), []
        if oparl_type == "Person":
            return mapping.person(obj)
        if oparl_type == "Meeting":
            return mapping.meeting(obj)
        if oparl_type == "File":
            return mapping.listed_file(obj), []
        if oparl_type == "LegislativeTerm":
            return mapping.legislative_term(obj), []
        if oparl_type == "Membership":
            return mapping.listed_membership(obj), []
        if oparl_type == "Location":
            place = mapping.location(obj)
            if place is None:
                raise mapping.MappingError("Ort ohne id")
            return place, []
        return mapping.paper(obj)

    def _write(self, run: Run, oparl_type: str, records: list[Any], deleted: list[Deleted]) -> Tally:
        writer: Callable[..., Tally] = {  # type: ignore[assignment]
            "Organization": write_organizations,
            "Person": write_persons,
            "Membership": write_memberships,
            "Location": write_locations,
            "Meeting": write_meetings,
            "Paper": write_papers,
            "File": write_listed_files,
            "LegislativeTerm": write_terms,
        }[oparl_type]
        try:
            return writer(self.sessions, run, records, deleted, self.now)
        except Exception:  # one bad object must not take the page with it: write them one by one
            tally = Tally()
            for record in records:
                try:
                    tally.merge(writer(self.sessions, run, [record], (), self.now))
                except Exception as exc:
                    tally.add(oparl_type, "seen")
                    url = record.file.source.url if oparl_type == "File" else record.source.url
                    tally.quarantine(oparl_type, url, f"nicht speicherbar: {_reason(exc)}")
            for gone in deleted:
                try:
                    tally.merge(writer(self.sessions, run, [], [gone], self.now))
                except Exception as exc:
                    tally.add(oparl_type, "seen")
                    tally.quarantine(oparl_type, gone.url, f"Löschung nicht übernehmbar: {_reason(exc)}")
            return tally


def _text_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _reason(exc: Exception) -> str:
    if isinstance(exc, DomainError):
        detail = exc.details.get("detail")
        return f"{exc.german} ({detail})" if detail else exc.german
    return f"{type(exc).__name__}: {exc}"


def _whole(body: dict[str, Any], read_whole: set[str]) -> list[str]:
    """The types this full run saw whole: their lists were read to the end (terms: embedded in the Body
    and the term list, if any; locations: the location list and the meetings that embed them)."""
    whole: list[str] = [
        t for t in ("Organization", "Person", "Membership", "Meeting", "Paper", "File") if t in read_whole
    ]
    has_term_list = isinstance(body.get("legislativeTermList"), str)
    if (isinstance(body.get("legislativeTerm"), list) or has_term_list) and (
        not has_term_list or "LegislativeTerm" in read_whole
    ):
        whole.append("LegislativeTerm")
    if {"Location", "Meeting"} <= read_whole:
        whole.append("Location")
    return whole


def _url_of(record: Any) -> str:
    return str(record.file.source.url if hasattr(record, "file") else record.source.url)


def _children(record: Any) -> list[tuple[str, list[str]]]:
    """Embedded objects of a mapped record (their URLs), for the dry run's counts."""
    out: list[tuple[str, list[str]]] = []
    for name, oparl_type in (
        ("memberships", "Membership"),
        ("agenda_items", "AgendaItem"),
        ("consultations", "Consultation"),
    ):
        children = getattr(record, name, ())
        if children:
            out.append((oparl_type, [c.source.url for c in children]))
    place = getattr(record, "place", None)
    if place is not None:
        out.append(("Location", [place.source.url]))
    files = [
        *(f.source.url for f in getattr(record, "files", ())),
        *(f.source.url for i in getattr(record, "agenda_items", ()) for f in i.files),
    ]
    if files:
        out.append(("File", files))
    return out


def import_oparl(
    sessions: sessionmaker[Session],
    url: str,
    *,
    kommune: str | None = None,
    body_url: str | None = None,
    dry_run: bool = False,
    since: dt.datetime | None = None,
    full: bool = False,
    progress: Progress | None = None,
    client: OParlClient | None = None,
    now: dt.datetime | None = None,
) -> Report:
    """Import the OParl source at ``url`` (System, body list or Body): every Body it holds, each into its
    own municipality (``kommune``: into this existing one, for a source with one Body; ``body_url``: only
    this Body of the source). ``full`` reads every list whole (not only what changed since the last run)
    and takes out what the source no longer holds."""
    own = client is None
    client = client or OParlClient()
    try:
        return Importer(sessions, client, progress=progress, now=now).run(
            url, kommune=kommune, body_url=body_url, dry_run=dry_run, since=since, full=full
        )
    finally:
        if own:
            client.close()
