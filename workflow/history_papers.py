"""The use case that writes one page of imported papers with their Beratungsfolge and file records.

A paper decided at the source arrives in its final state; one still open continues here: the steps already
dealt with keep their results, the others are planned (or scheduled, for a meeting to come). Steps are put
in the order of their meetings; steps on the same day form one stage (deliberated in parallel).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from workflow.history import (
    ConsultationIn,
    Deleted,
    PaperIn,
    Tally,
    decision_inconsistencies,
    outcome_of,
    paper_state,
    step_inconsistencies,
    step_roles,
    step_state,
)
from workflow.history_import import FileEntry, Run, Writer, write
from workflow.history_writes import GONE, _unknown_department
from workflow.models import AgendaItem, Consultation, Meeting, Paper
from workflow.rules import BERLIN
from workflow.search import refresh_search_text
from workflow.source_models import ImportedFile
from workflow.vocabulary import ConsultationState, MeetingState, PaperState

SETTLED_REASON = "An der Quelle ohne erfassten Beschluss abgeschlossen (Import)"
FAR_FUTURE = dt.datetime.max.replace(tzinfo=dt.UTC)


def _steps(w: Writer, paper: Paper, p: PaperIn) -> list[tuple[str, str | None, bool]]:
    """Write the paper's steps; returns (state, outcome, authoritative) of each, for the paper's state."""
    placed: list[tuple[dt.datetime, int, ConsultationIn, int, int | None, int | None]] = []
    for index, c in enumerate(p.consultations):
        body_id = w.local(c.organization_url, "body")
        if body_id is None:
            w.tally.add("Consultation", "seen")
            w.tally.quarantine("Consultation", c.source.url, f"Gremium {c.organization_url} nicht importiert")
            continue
        meeting_id = w.local(c.meeting_url, "meeting")
        item_id = w.local(c.agenda_item_url, "agenda_item")
        if c.meeting_url and meeting_id is None:
            w.inconsistent("Consultation", c.source.url, f"Sitzung {c.meeting_url} unbekannt")
        meeting = w.session.get(Meeting, meeting_id) if meeting_id else None
        placed.append((meeting.start if meeting else FAR_FUTURE, index, c, body_id, meeting_id, item_id))
    staged = bool(placed) and all(c.stage is not None for _, _, c, _, _, _ in placed)
    # The source's own stages where it names them (gremienlauf), else the order of the meetings.
    placed.sort(key=lambda t: (t[2].stage or 0, t[1]) if staged else (t[0], t[1]))
    roles = step_roles(p.kind, [(c.role, c.authoritative) for _, _, c, _, _, _ in placed])
    out: list[tuple[str, str | None, bool]] = []
    stage, last_day, position = 0, None, 0
    for (start, _, c, body_id, meeting_id, item_id), (role, authoritative) in zip(placed, roles, strict=True):
        day = start.astimezone(BERLIN).date() if start != FAR_FUTURE else None
        if staged:
            position = position + 1 if c.stage == stage else 0
            stage = c.stage or stage
        elif last_day is None or day != last_day or day is None:
            stage, position = stage + 1, 0
        else:
            position += 1
        last_day = day
        meeting = w.session.get(Meeting, meeting_id) if meeting_id else None
        item = w.session.get(AgendaItem, item_id) if item_id else None
        for problem in step_inconsistencies(
            body_id=body_id,
            meeting_body_ids={b.id for b in meeting.bodies} if meeting else set(),
            meeting_id=meeting_id,
            item_meeting_id=item.meeting_id if item else None,
        ):
            w.inconsistent("Consultation", c.source.url, problem)
        state = step_state(
            meeting_start=meeting.start if meeting else None,
            meeting_cancelled=meeting is not None and meeting.state == MeetingState.cancelled.value,
            now=w.now,
            withheld=c.state_withheld,
        )
        wording = (
            item.result_wording if item is not None and state == ConsultationState.dealt_with.value else None
        )
        outcome = outcome_of(wording, authoritative=authoritative)
        c_state = w.state(c.source)
        w.counted("Consultation", c_state)
        record = w.records.get(c.source.url)
        row = w.session.get(Consultation, record.local_id) if record and record.local_id else None
        if row is None:
            row = Consultation(paper_id=paper.id, created_at=c.source.created or w.now)
            w.session.add(row)
        values = {
            "body_id": body_id,
            "stage": stage,
            "position": position,
            "role": role,
            "authoritative": authoritative,
            "state": state,
            "meeting_id": meeting_id,
            "agenda_item_id": item_id,
            "outcome": outcome.value if outcome else None,
            "outcome_wording": wording,
            "state_withheld": c.state_withheld,
        }
        if any(getattr(row, k, None) != v for k, v in values.items()):
            for k, v in values.items():
                setattr(row, k, v)
            row.modified_at = w.now
        w.session.flush()
        if item is not None and item.consultation_id != row.id:
            item.consultation_id = row.id
        if item is not None:  # the agenda item's file records belong to the paper it deliberates
            w.session.execute(
                update(ImportedFile)
                .where(ImportedFile.agenda_item_id == item.id, ImportedFile.paper_id.is_(None))
                .values(paper_id=paper.id)
                .execution_options(synchronize_session=False)
            )
        w.remember(c.source, "Consultation", "consultation", row.id, p.source.url)
        if c_state != "unchanged":
            w.audited(
                "oparl.imported" if c_state == "new" else "oparl.updated",
                row,
                c.source.url,
                paper_id=paper.id,
                meeting_id=meeting_id,
            )
        out.append((state, row.outcome, authoritative))
        if authoritative and outcome is not None and meeting is not None:
            paper.decided_at = meeting.start
    return out


def write_papers(
    sessions: sessionmaker[Session],
    run: Run,
    items: Sequence[PaperIn],
    deleted: Sequence[Deleted] = (),
    now: dt.datetime | None = None,
) -> Tally:
    """Papers with their Beratungsfolge (linked to the imported meetings and agenda items) and files."""

    def step(w: Writer) -> None:
        w.load(
            [
                *(p.source.url for p in items),
                *(c.source.url for p in items for c in p.consultations),
                *(f.source.url for p in items for f in p.files),
                *(
                    u
                    for p in items
                    for c in p.consultations
                    for u in (c.organization_url, c.meeting_url, c.agenda_item_url)
                    if u
                ),
                *(p.department_url for p in items if p.department_url),
                *(d.url for d in deleted),
            ]
        )
        _preload(w, items)
        references = _taken_references(w, items)
        for p in items:
            state = w.state(p.source)
            if state == "unchanged":
                w.counted("Paper", state)
                w.touch(p.source)
                for c in p.consultations:
                    w.counted("Consultation", "unchanged")
                    w.touch(c.source)
                for f in p.files:
                    w.counted("File", "unchanged")
                    w.touch(f.source)
                continue
            record = w.records.get(p.source.url)
            paper = w.session.get(Paper, record.local_id) if record and record.local_id else None
            if p.reference:
                clash = references.get(p.reference)
                if clash is not None and (paper is None or clash != paper.id):
                    w.tally.add("Paper", "seen")
                    w.tally.quarantine(
                        "Paper", p.source.url, f"Drucksachen-Nr. {p.reference} ist hier schon vergeben"
                    )
                    continue
            w.counted("Paper", state)
            department_id = w.local(p.department_url, "department") or _unknown_department(w)
            if paper is None:
                created = p.source.created or w.now
                paper = Paper(
                    municipality_id=run.municipality_id,
                    created_at=created,
                    submitted_at=created,
                    state=PaperState.submitted.value,
                )
                w.session.add(paper)
            paper.kind, paper.reference, paper.subject = p.kind, p.reference, p.subject
            paper.paper_date = p.paper_date
            paper.file_reference = p.file_reference[:100] if p.file_reference else None
            paper.financial_impact = p.financial_impact
            paper.proposed_resolution = p.proposed_resolution
            paper.department_id = department_id
            paper.public = True
            refresh_search_text(paper)
            paper.modified_at = w.now
            w.session.flush()
            w.remember(p.source, "Paper", "paper", paper.id)
            if p.reference:
                references[p.reference] = paper.id
            steps = _steps(w, paper, p)
            for problem in decision_inconsistencies(steps):
                w.inconsistent("Paper", p.source.url, problem)
            final = paper_state(p.kind, steps, p.paper_date, w.now.astimezone(BERLIN).date())
            paper.state = final.value
            paper.closing_reason = SETTLED_REASON if final is PaperState.settled else None
            if final not in (PaperState.adopted, PaperState.adopted_amended, PaperState.rejected):
                paper.decided_at = None
            paper.resolution_text = p.resolution_text
            w.session.flush()
            w.audited(
                "oparl.imported" if state == "new" else "oparl.updated",
                paper,
                p.source.url,
                paper_id=paper.id,
            )
            kept = w.files([FileEntry(f, p.source.url, paper_id=paper.id) for f in p.files])
            kept |= {c.source.url for c in p.consultations}
            vanished = w.vanished_children(p.source.url, kept)
            _close_steps(w, [r.local_id for r in vanished if r.local_type == "consultation" and r.local_id])
            w.hide_files(vanished, GONE)
        for gone in deleted:
            had = w.mark_deleted(gone)
            if had is not None and had.local_id is not None:
                paper = w.session.get(Paper, had.local_id)
                if paper is not None and paper.public:
                    w.tombstone("paper", paper, GONE)
                    for step_row in paper.consultations:
                        w.tombstone("consultation", step_row, GONE)
                        if step_row.agenda_item_id is not None:
                            item = w.session.get_one(AgendaItem, step_row.agenda_item_id)
                            w.tombstone("agenda_item", item, GONE)
                    paper.public = False
                    paper.modified_at = w.now
                    w.audited("oparl.deleted", paper, gone.url, paper_id=paper.id)
                    w.hide_files(w.vanished_children(gone.url, set()), GONE)

    return write(sessions, run, now, step)


def _preload(w: Writer, items: Sequence[PaperIn]) -> None:
    """The meetings and agenda items this page's steps refer to, in one query each (identity map)."""
    meetings = [w.local(c.meeting_url, "meeting") for p in items for c in p.consultations]
    agenda = [w.local(c.agenda_item_url, "agenda_item") for p in items for c in p.consultations]
    meeting_ids = sorted({i for i in meetings if i is not None})
    item_ids = sorted({i for i in agenda if i is not None})
    if meeting_ids:
        list(w.session.scalars(select(Meeting).where(Meeting.id.in_(meeting_ids))))
    if item_ids:
        list(w.session.scalars(select(AgendaItem).where(AgendaItem.id.in_(item_ids))))
    steps = [
        r.local_id
        for p in items
        for c in p.consultations
        if (r := w.records.get(c.source.url)) and r.local_id
    ]
    if steps:
        list(w.session.scalars(select(Consultation).where(Consultation.id.in_(steps))))


def _taken_references(w: Writer, items: Sequence[PaperIn]) -> dict[str, int]:
    """The Drucksachen-Nr. of this page that are already taken here, with the paper that has them."""
    wanted = sorted({p.reference for p in items if p.reference})
    if not wanted:
        return {}
    rows = w.session.execute(
        select(Paper.reference, Paper.id).where(
            Paper.municipality_id == w.run.municipality_id, Paper.reference.in_(wanted)
        )
    )
    return {r.reference: r.id for r in rows}


def _close_steps(w: Writer, ids: list[int]) -> None:
    """Steps that vanished from their paper at the source are closed and answered as deleted."""
    for step_id in ids:
        row = w.session.get(Consultation, step_id)
        if row is not None:
            w.tombstone("consultation", row, GONE)
            row.state = ConsultationState.closed.value
            row.modified_at = w.now
            if row.agenda_item_id is not None:
                item = w.session.get(AgendaItem, row.agenda_item_id)
                if item is not None and item.consultation_id == row.id:
                    item.consultation_id = None
            w.audited("oparl.deleted", row, f"consultation:{step_id}", paper_id=row.paper_id)
    w.session.flush()
