"""When an invitation must go out: the notice period (Ladungsfrist) of a meeting under its bodies' rules.

The profile's (or the body's) regular, urgent and second-session periods apply; with a matter on the agenda
for which the law sets a minimum period (Hessen: an election or the Hauptsatzung, § 58 Abs. 3 HGO) that
minimum applies as well, and the period cannot be shortened for that meeting.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy.orm import Session

from workflow.errors import NoticePeriodViolation
from workflow.models import Meeting
from workflow.profile import MatterNotice, NoticeRule, Profile
from workflow.rules import check_dispatch, format_berlin, latest_dispatch
from workflow.store import notice_rules, profile_of
from workflow.vocabulary import MATTER_LABELS, Channel, Matter


@dataclass(frozen=True)
class InvitationDeadline:
    """When the invitation must go out at the latest, and under which rule."""

    latest_dispatch: dt.datetime
    rule: NoticeRule
    channel: Channel
    body: str

    def describe(self) -> str:
        basis = self.rule.cite()
        return (
            f"{format_berlin(self.latest_dispatch)} ({self.rule.describe()}"
            f"{', ' + basis if basis else ''}; {self.body})"
        )


def matters_on_agenda(profile: Profile, meeting: Meeting) -> list[tuple[str, Matter]]:
    """(TOP number, matter) of the items whose matter sets a minimum notice period in this profile."""
    rule = profile.matter_notice
    if rule is None or not applies(rule, meeting):
        return []
    return [
        (item.number, Matter(item.matter))
        for item in sorted(meeting.agenda_items, key=lambda i: i.order)
        if item.matter is not None and Matter(item.matter) in rule.matters
    ]


def applies(rule: MatterNotice, meeting: Meeting) -> bool:
    """The minimum period binds a meeting with at least one body of the rule's kinds (not the Magistrat)."""
    return any(body.kind in {kind.value for kind in rule.body_kinds} for body in meeting.bodies)


def _describe_items(items: list[tuple[str, Matter]]) -> str:
    """'TOP N 1 (Wahl)'; an item not yet numbered (about to be added) is 'der neue TOP (Wahl)'."""
    return ", ".join(
        f"{'TOP ' + number if number else 'der neue TOP'} ({MATTER_LABELS[matter]})"
        for number, matter in items
    )


def no_shortening(rule: MatterNotice, items: list[tuple[str, Matter]]) -> NoticePeriodViolation:
    return NoticePeriodViolation(
        f"The notice period cannot be shortened: {_describe_items(items)} is on the agenda, so the notice "
        f"period is at least {rule.minimum.describe()} ({rule.cite()})",
        german=f"Die Ladungsfrist kann nicht abgekürzt werden: Auf der Tagesordnung steht "
        f"{_describe_items(items)}. Bei {rule.labels()} beträgt die Ladungsfrist stets mindestens "
        f"{rule.minimum.describe()} ({rule.cite()}).",
        rule="matter_notice",
        legal_basis=rule.legal_basis,
    )


def deadline(
    profile: Profile,
    meeting: Meeting,
    channel: Channel | None,
    *,
    urgent: bool,
    matter: Matter | None = None,
) -> InvitationDeadline | None:
    """The earliest deadline over the meeting's bodies; None if the period cannot be shortened.

    ``matter``: one more matter to count as if it were on the agenda already (an item about to be added).
    An urgent deadline is refused (NoticePeriodViolation) when a matter with a minimum period is on the
    agenda; otherwise that minimum period is one more candidate.
    """
    items = matters_on_agenda(profile, meeting)
    minimum = profile.matter_notice
    if matter is not None and minimum is not None and matter in minimum.matters and applies(minimum, meeting):
        items.append(("", matter))
    if urgent and items:
        assert minimum is not None
        raise no_shortening(minimum, items)
    deadlines = []
    for body in meeting.bodies:
        rules = notice_rules(profile, body)
        rule = (
            rules.urgent
            if urgent
            else (rules.second_session if meeting.second_session and rules.second_session else rules.regular)
        )
        if rule is None:
            return None
        candidates = [rule]
        if items:
            assert minimum is not None
            candidates.append(minimum.minimum)
        via = channel or rules.channel
        for candidate in candidates:
            lag = 0 if candidate.reference != "receipt" else rules.receipt_lag_days.get(via, 0)
            deadlines.append(
                InvitationDeadline(latest_dispatch(meeting.start, candidate, lag), candidate, via, body.name)
            )
    return min(deadlines, key=lambda d: d.latest_dispatch)


def check_notice(
    profile: Profile,
    meeting: Meeting,
    channel: Channel | None,
    now: dt.datetime,
    *,
    urgent: bool,
    urgent_reason: str | None,
) -> bool:
    """The Ladungsfrist for an invitation sent ``now`` (the invitation, or the changed invitation of a moved
    meeting). True if it holds only because the period was shortened (urgent, with a reason); False if the
    regular period holds; NoticePeriodViolation if neither does."""
    regular = deadline(profile, meeting, channel, urgent=False)
    assert regular is not None
    if now <= regular.latest_dispatch:
        return False
    if not urgent:
        raise NoticePeriodViolation(
            f"Ladungsfrist missed: the invitation had to be sent by {regular.describe()}. "
            "If the chair shortened the period, mark the invitation as urgent (Dringlichkeit) with a reason.",
            german=f"Ladungsfrist versäumt: Die Einladung musste bis {regular.describe()} versandt werden. "
            "Hat der Vorsitz die Frist verkürzt, die Einladung als dringlich mit Begründung kennzeichnen.",
            deadline=regular.latest_dispatch.isoformat(),
        )
    if not urgent_reason or not urgent_reason.strip():
        raise NoticePeriodViolation(
            "An urgent invitation (Dringlichkeit) needs a reason, which is printed in the invitation",
            german="Eine dringliche Einladung braucht eine Begründung; sie steht in der Einladung.",
        )
    shortened = deadline(profile, meeting, channel, urgent=True)
    if shortened is None:
        raise NoticePeriodViolation(
            "The notice period of this body cannot be shortened",
            german="Die Ladungsfrist dieses Gremiums kann nicht abgekürzt werden.",
        )
    check_dispatch(now, shortened.latest_dispatch, what="even an urgent invitation")
    return True


def invitation_deadline(
    session: Session, meeting: Meeting, channel: Channel | None = None
) -> InvitationDeadline:
    found = deadline(profile_of(session, meeting.municipality_id), meeting, channel, urgent=False)
    assert found is not None
    return found


def check_matter_may_join(profile: Profile, meeting: Meeting, matter: Matter | None) -> None:
    """An item whose matter sets a minimum notice period may join an invited meeting only if the invitation
    met that period and was not shortened (else the meeting must be invited anew)."""
    rule = profile.matter_notice
    if matter is None or rule is None or matter not in rule.matters or meeting.state != "invited":
        return
    if not applies(rule, meeting):
        return
    items: list[tuple[str, Matter]] = [("", matter)]
    if meeting.urgent:
        raise no_shortening(rule, items)
    channel = Channel(meeting.invitation_channel) if meeting.invitation_channel else None
    found = deadline(profile, meeting, channel, urgent=False, matter=matter)
    sent = meeting.invitation_sent_at
    if found is not None and sent is not None and sent > found.latest_dispatch:
        raise NoticePeriodViolation(
            f"{MATTER_LABELS[matter]} cannot be added: the invitation was sent on {format_berlin(sent)}, "
            f"after the deadline {found.describe()} ({rule.cite()})",
            german=f"{MATTER_LABELS[matter]} kann nicht nachträglich auf die Tagesordnung: Die Einladung ging "
            f"am {format_berlin(sent)} hinaus, die Frist endete {found.describe()}. Bei {rule.labels()} "
            f"beträgt die Ladungsfrist stets mindestens {rule.minimum.describe()} ({rule.cite()}).",
            rule="matter_notice",
            legal_basis=rule.legal_basis,
        )
