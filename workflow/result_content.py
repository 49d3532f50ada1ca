"""Writing a checked result onto its row and its content rows: who was present, the recusals, the votes with
their faction counts and named votes (used by ``workflow.results`` when recording and correcting)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from workflow.models import ItemPresence, ItemResult, NamedVote, Recusal, Vote, VoteFactionCount
from workflow.result_rules import Checked, ResultInput


def fill_result(result: ItemResult, data: ResultInput, checked: Checked) -> None:
    """Put a checked result's outcome onto its row (recording and correcting); ``insert_content`` writes
    who was present, the recusals and the votes once the row has its id."""
    result.outcome = checked.outcome.value
    result.outcome_wording = checked.wording
    result.resolution_text = (data.resolution_text or "").strip() or None
    result.referred_to_body_id = checked.referred_to.body_id if checked.referred_to else None
    result.quorum_failed = data.quorum_failed
    result.late_item_approval = data.late_item_approval
    result.urgency_decided = data.urgency_decided
    result.presided_by_id = checked.presided_by


_INSERT_PRESENT = insert(ItemPresence).returning(ItemPresence, sort_by_parameter_order=True)
_INSERT_RECUSALS = insert(Recusal).returning(Recusal, sort_by_parameter_order=True)
_INSERT_VOTES = insert(Vote).returning(Vote, sort_by_parameter_order=True)
_INSERT_FACTION_COUNTS = insert(VoteFactionCount).returning(VoteFactionCount, sort_by_parameter_order=True)
_INSERT_NAMED = insert(NamedVote).returning(NamedVote, sort_by_parameter_order=True)


def insert_content(session: Session, result: ItemResult, data: ResultInput, checked: Checked) -> None:
    """Write who was present, the recusals and the votes (with their faction counts and named votes) of a
    flushed result row: one ORM INSERT per table, the rows coming back as the row's collections (a dozen
    members present would otherwise be a dozen objects for the unit of work to sort)."""
    recused = set(data.recused)
    decisive_given = any(v.decisive for v in data.votes)
    present = [{"result_id": result.id, "person_id": pid} for pid in sorted(set(checked.present) - recused)]
    recusals = [
        {"result_id": result.id, "person_id": pid, "reason": why} for pid, why in sorted(data.recused.items())
    ]
    votes = [
        {
            "result_id": result.id,
            "position": position,
            "subject": vote.subject,
            "yes": vote.yes,
            "no": vote.no,
            "abstain": vote.abstain,
            "decisive": vote.decisive or (position == len(data.votes) - 1 and not decisive_given),
            "casting_vote": vote.casting_vote.value if vote.casting_vote else None,
        }
        for position, vote in enumerate(data.votes)
    ]
    set_committed_value(result, "present", _inserted(session, _INSERT_PRESENT, present))
    set_committed_value(result, "recusals", _inserted(session, _INSERT_RECUSALS, recusals))
    rows = _inserted(session, _INSERT_VOTES, votes)
    set_committed_value(result, "votes", rows)
    counts = [
        {"vote_id": row.id, "faction_id": fc.faction_id, "yes": fc.yes, "no": fc.no, "abstain": fc.abstain}
        for row, vote in zip(rows, data.votes, strict=True)
        for fc in sorted(vote.faction_counts, key=lambda fc: fc.faction_id)
    ]
    named = [
        {"vote_id": row.id, "person_id": pid, "choice": choice.value}
        for row, vote in zip(rows, data.votes, strict=True)
        for pid, choice in sorted(vote.named.items())
    ]
    inserted_counts = _inserted(session, _INSERT_FACTION_COUNTS, counts)
    inserted_named = _inserted(session, _INSERT_NAMED, named)
    for row in rows:
        set_committed_value(row, "faction_counts", [c for c in inserted_counts if c.vote_id == row.id])
        set_committed_value(row, "named", [n for n in inserted_named if n.vote_id == row.id])


def _inserted(session: Session, statement: Any, rows: list[dict[str, Any]]) -> list[Any]:
    """The ORM objects of ``rows``, inserted by ``statement`` in their order (none for no rows)."""
    return list(session.scalars(statement, rows)) if rows else []
