"""The three state machines (paper, consultation, meeting), written as tables and built once.

Following the transitions FAQ for many records: one ``Machine`` per workflow kind with ``model=None`` and
``auto_transitions=False``; each use case wraps the ORM row in a throw-away ``_Stateful`` and fires an event
on it with ``Event.trigger(wrapper)``. Nothing is attached to the machine, so nothing leaks, and the wrapper
writes the stored (lowercase) value back to the row.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

from transitions import Machine, MachineError

from workflow.errors import TransitionNotAllowed
from workflow.vocabulary import (
    CONSULTATION_STATE_LABELS,
    MEETING_STATE_LABELS,
    PAPER_STATE_LABELS,
    ConsultationState,
    MeetingState,
    PaperState,
)

S = TypeVar("S", bound=enum.StrEnum)


class HasState(Protocol):
    state: str


@dataclass(frozen=True)
class Transition:
    trigger: str
    source: tuple[str, ...]
    dest: str
    condition: str | None = None  # name of a guard on the wrapper, see ``guards``
    label: str = ""  # German, for people


P, C, M = PaperState, ConsultationState, MeetingState

PAPER_TRANSITIONS: tuple[Transition, ...] = (
    Transition(
        "request_cosignatures", (P.draft,), P.cosigning, "has_required_cosigners", "zur Mitzeichnung geben"
    ),
    Transition("return_to_draft", (P.cosigning,), P.draft, None, "in den Entwurf zurückgeben"),
    Transition("submit", (P.draft, P.cosigning), P.submitted, "all_cosigned", "einreichen"),
    Transition("begin_deliberation", (P.submitted,), P.in_deliberation, None, "in die Beratung geben"),
    Transition("adopt", (P.in_deliberation,), P.adopted, None, "beschließen"),
    Transition("adopt_amended", (P.in_deliberation,), P.adopted_amended, None, "geändert beschließen"),
    Transition("reject", (P.in_deliberation,), P.rejected, None, "ablehnen"),
    Transition("note", (P.in_deliberation,), P.noted, None, "zur Kenntnis nehmen"),
    Transition(
        "withdraw", (P.draft, P.cosigning, P.submitted, P.in_deliberation), P.withdrawn, None, "zurückziehen"
    ),
    Transition("settle", (P.submitted, P.in_deliberation), P.settled, None, "für erledigt erklären"),
    Transition(
        "revoke",
        (P.adopted, P.adopted_amended),
        P.revoked,
        "urgently_decided",
        "Eil- oder Dringlichkeitsentscheidung aufheben",
    ),
)

CONSULTATION_TRANSITIONS: tuple[Transition, ...] = (
    Transition(
        "schedule",
        (C.planned, C.postponed, C.deferred, C.removed),
        C.scheduled,
        None,
        "auf eine Tagesordnung setzen",
    ),
    Transition("unschedule", (C.scheduled, C.invited), C.planned, None, "von der Tagesordnung nehmen"),
    Transition("invite", (C.scheduled,), C.invited, None, "einladen"),
    Transition("conclude", (C.invited, C.circulating), C.dealt_with, None, "abschließend behandeln"),
    Transition(
        "decide_without_meeting",
        (C.planned,),
        C.dealt_with,
        None,
        "ohne Sitzung entscheiden (Eilentscheidung)",
    ),
    Transition("postpone", (C.invited,), C.postponed, None, "vertagen"),
    Transition("defer", (C.invited,), C.deferred, None, "zurückstellen"),
    Transition("remove", (C.invited,), C.removed, None, "von der Tagesordnung absetzen"),
    Transition(
        "circulate",
        (C.planned, C.postponed, C.deferred, C.removed),
        C.circulating,
        None,
        "ins Umlaufverfahren geben",
    ),
    Transition("end_circulation", (C.circulating,), C.planned, None, "Umlaufverfahren beenden"),
    Transition(
        "close",
        (C.planned, C.scheduled, C.invited, C.postponed, C.deferred, C.removed, C.circulating),
        C.closed,
        None,
        "schließen",
    ),
)

MEETING_TRANSITIONS: tuple[Transition, ...] = (
    Transition("invite", (M.planned,), M.invited, None, "einladen"),
    Transition("hold", (M.invited,), M.held, "has_started", "als durchgeführt erfassen"),
    Transition("approve_minutes", (M.held,), M.minutes_approved, None, "Niederschrift genehmigen"),
    Transition("cancel", (M.planned, M.invited), M.cancelled, None, "absagen"),
)


GUARD_LABELS = {
    "has_required_cosigners": "keine Mitzeichnung vorgesehen",
    "all_cosigned": "es fehlen noch Mitzeichnungen",
    "has_started": "die Sitzung hat noch nicht begonnen",
    "urgently_decided": "keine Eil- oder Dringlichkeitsentscheidung, über deren Genehmigung der Rat berät",
}


class _Stateful:
    """Throw-away wrapper: exposes the row's stored string as an enum member to the machine."""

    def __init__(self, row: HasState, states: type[enum.StrEnum], guards: dict[str, Callable[[], bool]]):
        self._row = row
        self._states = states
        for name, guard in guards.items():
            setattr(self, name, guard)

    @property
    def state(self) -> enum.StrEnum:
        return self._states(self._row.state)

    @state.setter
    def state(self, value: enum.StrEnum | str) -> None:
        # transitions hands back the member or, for some calls, its name.
        member = value if isinstance(value, self._states) else self._states[str(value)]
        self._row.state = member.value


class StateMachine(Generic[S]):
    """One workflow kind: its table, the transitions ``Machine`` built from it once, and helpers."""

    def __init__(
        self, name: str, states: type[S], table: Sequence[Transition], initial: S, labels: dict[S, str]
    ) -> None:
        self.name = name
        self.states = states
        self.table = tuple(table)
        self.initial = initial
        self.labels = labels
        self._machine = Machine(
            model=None,
            states=states,
            initial=initial,
            auto_transitions=False,
            transitions=[self._as_dict(t) for t in self.table],
        )

    def _as_dict(self, t: Transition) -> dict[str, Any]:
        spec: dict[str, Any] = {
            "trigger": t.trigger,
            "source": [self.states(s) for s in t.source],
            "dest": self.states(t.dest),
        }
        if t.condition:
            spec["conditions"] = [t.condition]
        return spec

    @property
    def triggers(self) -> list[str]:
        return list(self._machine.events)

    def allowed_triggers(
        self, row: HasState, guards: dict[str, Callable[[], bool]] | None = None
    ) -> list[str]:
        """Triggers that would succeed now: defined from the current state and with passing guards."""
        guards = self._complete(guards, row.state)
        allowed = []
        for t in self.table:
            if row.state not in t.source:
                continue
            if t.condition and not guards[t.condition]():
                continue
            if t.trigger not in allowed:
                allowed.append(t.trigger)
        return allowed

    def fire(
        self,
        row: HasState,
        trigger: str,
        guards: dict[str, Callable[[], bool]] | None = None,
        *,
        what: str = "",
    ) -> None:
        """Fire ``trigger`` on ``row`` or raise TransitionNotAllowed naming the state and allowed triggers."""
        guards = self._complete(guards, row.state, trigger)
        label = self.labels[self.states(row.state)]
        subject = what or self.name
        if trigger not in self._machine.events:
            allowed_now = self.allowed_triggers(row, guards)
            raise TransitionNotAllowed(
                f"Unknown trigger '{trigger}' for {subject} in state '{row.state}' ({label}); "
                f"allowed now: {', '.join(allowed_now) if allowed_now else 'none'}",
                german=f"Unbekannte Aktion „{trigger}“ im Zustand „{label}“; möglich ist: "
                + (", ".join(self.label_of(t) for t in allowed_now) or "nichts"),
                state=row.state,
                trigger=trigger,
                allowed=self.allowed_triggers(row, guards),
            )
        wrapper = _Stateful(row, self.states, guards)
        try:
            done = self._machine.events[trigger].trigger(wrapper)
        except MachineError:
            done = False
        if not done:
            allowed = self.allowed_triggers(row, guards)
            failed_guard = self._failed_guard(row, trigger, guards)
            reason = f" (condition '{failed_guard}' not met)" if failed_guard else ""
            grund = f" ({GUARD_LABELS.get(failed_guard, failed_guard)})" if failed_guard else ""
            possible = ", ".join(self.label_of(t) for t in allowed) or "nichts"
            raise TransitionNotAllowed(
                f"Cannot '{trigger}' {subject} in state '{row.state}' ({label}){reason}; "
                f"allowed now: {', '.join(allowed) if allowed else 'none'}",
                german=f"„{self.label_of(trigger)}“ ist im Zustand „{label}“ nicht möglich{grund}; "
                f"möglich ist: {possible}",
                state=row.state,
                trigger=trigger,
                allowed=allowed,
            )

    def _complete(
        self, guards: dict[str, Callable[[], bool]] | None, state: str, trigger: str | None = None
    ) -> dict[str, Callable[[], bool]]:
        """The guards the transitions at hand need must be supplied: a forgotten guard must not pass."""
        guards = guards or {}
        needed = {
            t.condition
            for t in self.table
            if t.condition and state in t.source and (trigger is None or t.trigger == trigger)
        }
        missing = sorted(needed - set(guards))
        if missing:
            raise ValueError(f"{self.name} machine: guards not supplied: {', '.join(missing)}")
        return guards

    def label_of(self, trigger: str) -> str:
        return next((t.label for t in self.table if t.trigger == trigger and t.label), trigger)

    def _failed_guard(self, row: HasState, trigger: str, guards: dict[str, Callable[[], bool]]) -> str | None:
        for t in self.table:
            if t.trigger == trigger and row.state in t.source and t.condition and not guards[t.condition]():
                return t.condition
        return None

    def mermaid(self) -> str:
        """The graph as a Mermaid state diagram, generated from the same table."""
        lines = ["stateDiagram-v2", "  direction LR", f"  [*] --> {self.initial.value}"]
        for state in self.states:
            lines.append(f'  state "{self.labels[state]}" as {state.value}')
        for t in self.table:
            guard = f" [{t.condition}]" if t.condition else ""
            for source in t.source:
                lines.append(f"  {source} --> {t.dest}: {t.trigger}{guard}")
        return "\n".join(lines)


PAPER_MACHINE = StateMachine("paper", PaperState, PAPER_TRANSITIONS, PaperState.draft, PAPER_STATE_LABELS)
CONSULTATION_MACHINE = StateMachine(
    "consultation",
    ConsultationState,
    CONSULTATION_TRANSITIONS,
    ConsultationState.planned,
    CONSULTATION_STATE_LABELS,
)
MEETING_MACHINE = StateMachine(
    "meeting", MeetingState, MEETING_TRANSITIONS, MeetingState.planned, MEETING_STATE_LABELS
)

MACHINES: dict[str, StateMachine[Any]] = {
    m.name: m for m in (PAPER_MACHINE, CONSULTATION_MACHINE, MEETING_MACHINE)
}
