"""The use cases that link imported objects across lists once the later list is in: a substitute's
membership to the person stood in for (after all persons), an agenda item to the step it deliberates when no
step names it (after all papers: the meeting a step was postponed from).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from workflow.history import Tally
from workflow.history_import import Run, Writer, write
from workflow.models import AgendaItem, Consultation, Membership
from workflow.source_models import ImportedFile


def link_substitutes(
    sessions: sessionmaker[Session],
    run: Run,
    pending: Sequence[tuple[int, str]],
    now: dt.datetime | None = None,
) -> Tally:
    """After all persons: the memberships of substitutes whose principal came later in the source."""

    def step(w: Writer) -> None:
        w.load(url for _, url in pending)
        for membership_id, url in pending:
            row = w.session.get(Membership, membership_id)
            person_id = w.local(url, "person")
            if row is None:
                continue
            if person_id is None:
                w.inconsistent("Membership", url, "Vertretene Person nicht importiert")
                continue
            row.substitute_of_id = person_id
            row.modified_at = w.now
            w.audited("oparl.updated", row, url)

    return write(sessions, run, now, step)


def link_agenda_items(
    sessions: sessionmaker[Session],
    run: Run,
    pending: Sequence[tuple[int, str]],
    now: dt.datetime | None = None,
) -> Tally:
    """After the papers: an agenda item that names the step it deliberates but that no step names (the
    meeting the step was postponed from) is linked to it, and its file records to the step's paper."""

    def step(w: Writer) -> None:
        w.load(url for _, url in pending)
        ids = sorted({item_id for item_id, _ in pending})
        for start in range(0, len(ids), 500):  # into the identity map, one query per 500
            list(w.session.scalars(select(AgendaItem).where(AgendaItem.id.in_(ids[start : start + 500]))))
        for item_id, url in pending:
            step_id = w.local(url, "consultation")
            item = w.session.get(AgendaItem, item_id)
            if item is None or step_id is None or item.consultation_id is not None:
                continue
            item.consultation_id = step_id
            item.modified_at = w.now
            paper_id = w.session.get_one(Consultation, step_id).paper_id
            w.session.execute(
                update(ImportedFile)
                .where(ImportedFile.agenda_item_id == item.id, ImportedFile.paper_id.is_(None))
                .values(paper_id=paper_id)
                .execution_options(synchronize_session=False)
            )
            w.audited("oparl.updated", item, url, meeting_id=item.meeting_id)

    return write(sessions, run, now, step)
