"""Approvals a decision still needs after the meeting (Niedersachsen: a decision taken with more than half of
the members recused needs the Kommunalaufsichtsbehörde's approval, § 65 Abs. 3 NKomVG).

The result path marks the paper (``Paper.pending_approval``); ``record_approval`` records the approval.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session, sessionmaker

from workflow import validate
from workflow.audit import record_audit, snapshot
from workflow.db import transaction
from workflow.errors import RuleViolation
from workflow.models import Paper
from workflow.store import clock, get


def record_approval(
    sessions: sessionmaker[Session],
    *,
    actor: str,
    paper_id: int,
    reference: str,
    now: dt.datetime | None = None,
) -> Paper:
    """Record the approval a paper's decision was waiting for; ``reference`` names it (authority, date, file
    number). One transaction, audited with the reference as reason."""
    now = clock(now)
    reference = validate.text(reference, "The reference of the approval", max_length=2000)
    with transaction(sessions) as session:
        paper = get(session, Paper, paper_id, lock=True)
        if paper.pending_approval is None:
            raise RuleViolation(
                f"No approval is pending for paper {paper.reference}",
                german=f"Für die Vorlage {paper.reference} steht keine Genehmigung aus",
                rule="no_approval_pending",
            )
        before = snapshot(paper)
        paper.pending_approval = None
        paper.modified_at = now
        session.flush()
        record_audit(
            session,
            actor=actor,
            action="paper.approval_recorded",
            entity=paper,
            now=now,
            before=before,
            after=snapshot(paper),
            reason=reference,
            paper_id=paper.id,
        )
    return paper
