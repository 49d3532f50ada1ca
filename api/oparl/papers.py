"""OParl Papers (the public Vorlagen) and their Consultations (the steps of the Beratungsfolge).

A paper or step dealt with in private (a non-public agenda item, a meeting of non-public bodies only, an urgent
decision taken without a meeting in place of a non-public body) shows neither its decision nor its outcome:
both are the content of the non-public deliberation.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from typing import Any, Protocol

from sqlalchemy import select

from api.oparl.files import (
    auxiliary_of,
    files_by_id,
    imported_by_role,
    main_of,
    public_files,
    public_imported_files,
)
from api.oparl.format import VENDOR, date, type_url
from api.oparl.publisher import Publisher, clean, stamps
from workflow.models import Consultation, Paper, StoredFile
from workflow.publication import (
    DECISION_STATES,
    decided_in_private,
    private_steps,
    public_agenda_items,
    public_meetings,
)
from workflow.vocabulary import (
    CONSULTATION_ROLE_LABELS,
    PAPER_KIND_LABELS,
    PAPER_STATE_LABELS,
    ConsultationRole,
    PaperKind,
    PaperState,
)


class Step(Protocol):
    """What a Consultation is serialised from: the ORM object or a row of ``STEP_COLUMNS``."""

    @property
    def id(self) -> int: ...
    @property
    def paper_id(self) -> int: ...
    @property
    def body_id(self) -> int: ...
    @property
    def meeting_id(self) -> int | None: ...
    @property
    def agenda_item_id(self) -> int | None: ...
    @property
    def authoritative(self) -> bool: ...
    @property
    def role(self) -> str: ...
    @property
    def state(self) -> str: ...
    @property
    def stage(self) -> int: ...
    @property
    def outcome(self) -> str | None: ...
    @property
    def outcome_wording(self) -> str | None: ...
    @property
    def urgency(self) -> str | None: ...
    @property
    def state_withheld(self) -> bool: ...
    @property
    def created_at(self) -> dt.datetime: ...
    @property
    def modified_at(self) -> dt.datetime: ...


STEP_COLUMNS = (
    Consultation.id,
    Consultation.paper_id,
    Consultation.body_id,
    Consultation.meeting_id,
    Consultation.agenda_item_id,
    Consultation.authoritative,
    Consultation.role,
    Consultation.state,
    Consultation.stage,
    Consultation.outcome,
    Consultation.outcome_wording,
    Consultation.urgency,
    Consultation.state_withheld,
    Consultation.created_at,
    Consultation.modified_at,
)


def consultation(
    pub: Publisher, step: Step, *, visible_meetings: set[int], visible_items: set[int], private: bool
) -> dict[str, Any]:
    """``private``: dealt with in private (``workflow.publication.private_steps``), so neither how far it
    got nor its outcome is shown."""
    urls = pub.urls
    return clean(
        {
            "id": urls.consultation(step.id),
            "type": type_url("Consultation"),
            "paper": urls.paper(step.paper_id),
            "agendaItem": (
                urls.agenda_item(step.agenda_item_id) if step.agenda_item_id in visible_items else None
            ),
            "meeting": urls.meeting(step.meeting_id) if step.meeting_id in visible_meetings else None,
            "organization": [urls.organization(step.body_id)],
            "authoritative": step.authoritative,
            "role": CONSULTATION_ROLE_LABELS[ConsultationRole(step.role)],
            VENDOR + "state": None if private else step.state,
            VENDOR + "stage": step.stage,
            VENDOR + "outcome": None if private else step.outcome,
            VENDOR + "outcomeWording": None if private else step.outcome_wording,
            # Decided in writing (Umlaufverfahren) or by the mayor in an urgent case.
            VENDOR + "withoutMeeting": (
                True if step.meeting_id is None and step.state == "dealt_with" and not private else None
            ),
            VENDOR + "urgency": step.urgency,
            **stamps(step.created_at, step.modified_at),
        }
    )


def consultations(pub: Publisher, steps: Sequence[Step]) -> list[dict[str, Any]]:
    visible_meetings = public_meetings(pub.session, (s.meeting_id for s in steps))
    visible_items = public_agenda_items(pub.session, (s.agenda_item_id for s in steps))
    private = private_steps(pub.session, steps)
    return [
        consultation(
            pub, s, visible_meetings=visible_meetings, visible_items=visible_items, private=s.id in private
        )
        for s in steps
    ]


def papers(pub: Publisher, papers: Sequence[Paper], *, embed: bool = True) -> list[dict[str, Any]]:
    """Public papers (the caller filtered them) with their Beratungsfolge and documents."""
    urls = pub.urls
    ids = [p.id for p in papers]
    steps_by_paper: dict[int, list[dict[str, Any]]] = defaultdict(list)
    files_by_paper: dict[int, list[StoredFile]] = defaultdict(list)
    serialized: dict[int, dict[str, Any]] = {}
    imported: dict[int, dict[str, list[dict[str, Any]]]] = {}
    if embed and ids:
        # Plain rows, not ORM objects: a page of 100 papers embeds a few hundred steps, and building
        # them as ORM instances was a fifth of the page's time.
        steps = list(
            pub.session.execute(
                select(*STEP_COLUMNS)
                .where(Consultation.paper_id.in_(ids))
                .order_by(Consultation.paper_id, Consultation.stage, Consultation.position, Consultation.id)
            )
        )
        for step, obj in zip(steps, consultations(pub, steps), strict=True):
            steps_by_paper[step.paper_id].append(obj)
        files = [f for f in public_files(pub, papers=ids) if f.agenda_item_id is None]
        serialized = files_by_id(pub, files)
        for f in files:
            if f.paper_id is not None:
                files_by_paper[f.paper_id].append(f)
        imported = imported_by_role(pub, public_imported_files(pub, papers=ids), "paper")
    private = decided_in_private(pub.session, ids)
    out = []
    for p in papers:
        files = files_by_paper.get(p.id, [])
        state = PaperState(p.state)
        hidden = p.id in private
        main = main_of(files, "vorlage")
        records = imported.get(p.id, {})
        mains = records.get("mainFile", [])
        out.append(
            clean(
                {
                    "id": urls.paper(p.id),
                    "type": type_url("Paper"),
                    "body": urls.body(p.municipality_id),
                    "name": p.subject,
                    "reference": p.reference,
                    "date": date(p.paper_date),
                    "paperType": PAPER_KIND_LABELS[PaperKind(p.kind)],
                    "underDirectionOf": [urls.department(p.department_id)],
                    "mainFile": serialized[main.id] if main else (mains[0] if mains else None),
                    "auxiliaryFile": [serialized[f.id] for f in auxiliary_of(files, main)]
                    + mains[0 if main else 1 :]
                    + records.get("auxiliaryFile", []),
                    "consultation": steps_by_paper.get(p.id, []) if embed else None,
                    VENDOR + "state": None
                    if hidden and state in DECISION_STATES
                    else PAPER_STATE_LABELS[state],
                    VENDOR + "fileReference": p.file_reference,
                    VENDOR + "financialImpact": p.financial_impact,
                    VENDOR + "proposedResolution": p.proposed_resolution,
                    VENDOR + "resolutionText": None if hidden else p.resolution_text,
                    **stamps(p.created_at, p.modified_at),
                }
            )
        )
    return out
