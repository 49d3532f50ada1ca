"""The three state machines (paper, consultation, meeting): every transition, the errors, the helpers."""

from __future__ import annotations

import enum
import itertools
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, cast

import pytest

from workflow.errors import TransitionNotAllowed
from workflow.machines import (
    CONSULTATION_MACHINE,
    CONSULTATION_TRANSITIONS,
    MACHINES,
    MEETING_MACHINE,
    MEETING_TRANSITIONS,
    PAPER_MACHINE,
    PAPER_TRANSITIONS,
    StateMachine,
    Transition,
)
from workflow.vocabulary import ConsultationState, MeetingState, PaperState

Guards = dict[str, Callable[[], bool]]


@dataclass
class Row:
    """Stands in for an ORM row: the machines only read and write ``state``."""

    state: str


def _const(value: bool) -> Callable[[], bool]:
    return lambda: value


def _all_guards(machine: StateMachine[Any], value: bool) -> Guards:
    names = {t.condition for t in machine.table if t.condition}
    return {name: _const(value) for name in names}


def _state_values(machine: StateMachine[Any]) -> set[str]:
    states = cast("Iterable[enum.StrEnum]", machine.states)
    return {s.value for s in states}


ALL_MACHINES: list[StateMachine[Any]] = [PAPER_MACHINE, CONSULTATION_MACHINE, MEETING_MACHINE]

TABLE_CASES = [
    pytest.param(machine, t, source, id=f"{machine.name}:{source}-{t.trigger}->{t.dest}")
    for machine in ALL_MACHINES
    for t in machine.table
    for source in t.source
]


def _defined(machine: StateMachine[Any], state: str, trigger: str) -> bool:
    return any(t.trigger == trigger and state in t.source for t in machine.table)


UNDEFINED_CASES = [
    pytest.param(machine, state.value, trigger, id=f"{machine.name}:{state.value}-{trigger}")
    for machine in ALL_MACHINES
    for state in machine.states
    for trigger in machine.triggers
    if not _defined(machine, state.value, trigger)
]


# --------------------------------------------------------------------------- the tables


def test_the_machines_are_built_from_the_module_tables() -> None:
    assert PAPER_MACHINE.table == PAPER_TRANSITIONS
    assert CONSULTATION_MACHINE.table == CONSULTATION_TRANSITIONS
    assert MEETING_MACHINE.table == MEETING_TRANSITIONS
    assert MACHINES == {
        "paper": PAPER_MACHINE,
        "consultation": CONSULTATION_MACHINE,
        "meeting": MEETING_MACHINE,
    }


def test_new_papers_steps_and_meetings_start_planned_or_as_draft() -> None:
    assert PAPER_MACHINE.initial is PaperState.draft
    assert CONSULTATION_MACHINE.initial is ConsultationState.planned
    assert MEETING_MACHINE.initial is MeetingState.planned


@pytest.mark.parametrize("machine", ALL_MACHINES, ids=lambda m: m.name)
def test_every_state_has_a_german_label(machine: StateMachine[Any]) -> None:
    assert {s.value for s in machine.labels} == _state_values(machine)
    assert all(label.strip() for label in machine.labels.values())


@pytest.mark.parametrize("machine", ALL_MACHINES, ids=lambda m: m.name)
def test_every_transition_names_known_states_and_has_a_german_label(machine: StateMachine[Any]) -> None:
    for t in machine.table:
        assert t.dest in _state_values(machine), t
        assert t.source, t
        assert set(t.source) <= _state_values(machine), t
        assert t.label.strip(), t


@pytest.mark.parametrize("machine", ALL_MACHINES, ids=lambda m: m.name)
def test_every_state_is_reachable_from_the_initial_state(machine: StateMachine[Any]) -> None:
    reached = {machine.initial.value}
    frontier = [machine.initial.value]
    while frontier:
        state = frontier.pop()
        for t in machine.table:
            if state in t.source and t.dest not in reached:
                reached.add(t.dest)
                frontier.append(t.dest)
    assert reached == _state_values(machine)


@pytest.mark.parametrize(
    "state",
    [
        PaperState.rejected,
        PaperState.noted,
        PaperState.withdrawn,
        PaperState.settled,
        PaperState.revoked,
    ],
)
def test_a_decided_or_closed_paper_allows_no_trigger_at_all(state: PaperState) -> None:
    assert PAPER_MACHINE.allowed_triggers(Row(state.value), _all_guards(PAPER_MACHINE, True)) == []


@pytest.mark.parametrize("state", [PaperState.adopted, PaperState.adopted_amended])
def test_an_adopted_paper_allows_only_the_revocation_of_an_urgent_decision(state: PaperState) -> None:
    # § 60 Abs. 1 Satz 4 GO NRW: the Rat may revoke an urgent decision; nothing else moves an adopted paper.
    assert PAPER_MACHINE.allowed_triggers(Row(state.value), _all_guards(PAPER_MACHINE, True)) == ["revoke"]
    assert PAPER_MACHINE.allowed_triggers(Row(state.value), _all_guards(PAPER_MACHINE, False)) == []


@pytest.mark.parametrize("state", [MeetingState.minutes_approved, MeetingState.cancelled])
def test_a_meeting_with_approved_minutes_or_cancelled_allows_no_trigger(state: MeetingState) -> None:
    assert MEETING_MACHINE.allowed_triggers(Row(state.value), _all_guards(MEETING_MACHINE, True)) == []


@pytest.mark.parametrize("state", [ConsultationState.dealt_with, ConsultationState.closed])
def test_a_dealt_with_or_closed_step_allows_no_trigger(state: ConsultationState) -> None:
    assert (
        CONSULTATION_MACHINE.allowed_triggers(Row(state.value), _all_guards(CONSULTATION_MACHINE, True)) == []
    )


# --------------------------------------------------------------------------- every transition


@pytest.mark.parametrize(("machine", "transition", "source"), TABLE_CASES)
def test_every_transition_of_the_tables_moves_the_row_to_its_destination(
    machine: StateMachine[Any], transition: Transition, source: str
) -> None:
    row = Row(source)
    machine.fire(row, transition.trigger, _all_guards(machine, True))
    assert row.state == transition.dest
    # The stored value is the plain lowercase string, not an enum member or its name in another form.
    assert type(row.state) is str


@pytest.mark.parametrize(("machine", "state", "trigger"), UNDEFINED_CASES)
def test_every_trigger_not_defined_for_a_state_is_refused_and_leaves_the_state(
    machine: StateMachine[Any], state: str, trigger: str
) -> None:
    row = Row(state)
    with pytest.raises(TransitionNotAllowed) as info:
        machine.fire(row, trigger, _all_guards(machine, True))
    assert row.state == state
    assert info.value.details["state"] == state
    assert info.value.details["trigger"] == trigger


def test_the_undefined_cases_are_not_empty_so_the_table_test_above_checks_something() -> None:
    assert len(UNDEFINED_CASES) > 50
    assert len(TABLE_CASES) == sum(len(t.source) for m in ALL_MACHINES for t in m.table)


# --------------------------------------------------------------------------- the paper, in sentences

COSIGN_MISSING: Guards = {"has_required_cosigners": lambda: True, "all_cosigned": lambda: False}
COSIGN_DONE: Guards = {"has_required_cosigners": lambda: True, "all_cosigned": lambda: True}
NO_COSIGNERS: Guards = {"has_required_cosigners": lambda: False, "all_cosigned": lambda: True}


def test_a_draft_without_required_cosigners_is_submitted_directly() -> None:
    paper = Row("draft")
    PAPER_MACHINE.fire(paper, "submit", NO_COSIGNERS)
    assert paper.state == "submitted"


def test_a_draft_goes_to_cosigning_when_it_has_required_cosigners() -> None:
    paper = Row("draft")
    PAPER_MACHINE.fire(paper, "request_cosignatures", COSIGN_MISSING)
    assert paper.state == "cosigning"


def test_asking_for_cosignatures_without_any_required_cosigner_is_refused() -> None:
    paper = Row("draft")
    with pytest.raises(TransitionNotAllowed, match="condition 'has_required_cosigners' not met"):
        PAPER_MACHINE.fire(paper, "request_cosignatures", NO_COSIGNERS)
    assert paper.state == "draft"


def test_submitting_with_a_required_cosignature_missing_raises_instead_of_returning_false() -> None:
    paper = Row("cosigning")
    with pytest.raises(TransitionNotAllowed) as info:
        PAPER_MACHINE.fire(paper, "submit", COSIGN_MISSING)
    assert paper.state == "cosigning"
    message = str(info.value)
    assert "Cannot 'submit' paper in state 'cosigning' (in Mitzeichnung)" in message
    assert "condition 'all_cosigned' not met" in message
    assert "allowed now: return_to_draft, withdraw" in message
    assert info.value.details["allowed"] == ["return_to_draft", "withdraw"]


def test_a_fully_cosigned_paper_is_submitted() -> None:
    paper = Row("cosigning")
    PAPER_MACHINE.fire(paper, "submit", COSIGN_DONE)
    assert paper.state == "submitted"


def test_a_paper_in_cosigning_can_be_returned_to_draft() -> None:
    paper = Row("cosigning")
    PAPER_MACHINE.fire(paper, "return_to_draft", COSIGN_MISSING)
    assert paper.state == "draft"


def test_a_submitted_paper_goes_into_deliberation_and_is_then_adopted() -> None:
    paper = Row("submitted")
    PAPER_MACHINE.fire(paper, "begin_deliberation")
    assert paper.state == "in_deliberation"
    PAPER_MACHINE.fire(paper, "adopt")
    assert paper.state == "adopted"


@pytest.mark.parametrize(
    ("trigger", "dest"),
    [
        ("adopt", "adopted"),
        ("adopt_amended", "adopted_amended"),
        ("reject", "rejected"),
        ("note", "noted"),
        ("withdraw", "withdrawn"),
        ("settle", "settled"),
    ],
)
def test_a_paper_in_deliberation_ends_in_each_final_state(trigger: str, dest: str) -> None:
    paper = Row("in_deliberation")
    PAPER_MACHINE.fire(paper, trigger)
    assert paper.state == dest


def test_a_submitted_paper_cannot_be_adopted_before_its_deliberation_began() -> None:
    paper = Row("submitted")
    with pytest.raises(TransitionNotAllowed) as info:
        PAPER_MACHINE.fire(paper, "adopt")
    message = str(info.value)
    assert "Cannot 'adopt' paper in state 'submitted' (eingereicht)" in message
    assert "allowed now: begin_deliberation, withdraw, settle" in message


def test_an_adopted_paper_cannot_be_withdrawn_and_the_message_says_nothing_is_allowed() -> None:
    paper = Row("adopted")
    with pytest.raises(TransitionNotAllowed) as info:
        PAPER_MACHINE.fire(paper, "withdraw", {"urgently_decided": lambda: False})
    assert "in state 'adopted' (beschlossen)" in str(info.value)
    assert "allowed now: none" in str(info.value)
    assert info.value.details["allowed"] == []


def test_a_draft_cannot_be_settled_only_withdrawn() -> None:
    paper = Row("draft")
    with pytest.raises(TransitionNotAllowed):
        PAPER_MACHINE.fire(paper, "settle", NO_COSIGNERS)
    PAPER_MACHINE.fire(paper, "withdraw", NO_COSIGNERS)
    assert paper.state == "withdrawn"


def test_the_error_message_uses_the_what_argument_to_name_the_object() -> None:
    with pytest.raises(TransitionNotAllowed, match=r"Cannot 'adopt' paper 1562/13 in state 'draft'"):
        PAPER_MACHINE.fire(Row("draft"), "adopt", NO_COSIGNERS, what="paper 1562/13")


def test_the_error_is_a_transition_not_allowed_with_its_stable_code() -> None:
    with pytest.raises(TransitionNotAllowed) as info:
        PAPER_MACHINE.fire(Row("draft"), "adopt", NO_COSIGNERS)
    assert info.value.code == "transition_not_allowed"


# --------------------------------------------------------------------------- unknown triggers


def test_an_unknown_trigger_raises_transition_not_allowed_and_keeps_the_state() -> None:
    paper = Row("submitted")
    with pytest.raises(TransitionNotAllowed) as info:
        PAPER_MACHINE.fire(paper, "publish")
    assert paper.state == "submitted"
    assert "Unknown trigger 'publish'" in str(info.value)
    assert info.value.details == {
        "state": "submitted",
        "trigger": "publish",
        "allowed": ["begin_deliberation", "withdraw", "settle"],
    }


def test_an_unknown_trigger_message_names_the_current_state_and_the_allowed_triggers() -> None:
    with pytest.raises(TransitionNotAllowed) as info:
        PAPER_MACHINE.fire(Row("submitted"), "publish")
    message = str(info.value)
    assert "'submitted'" in message
    assert "begin_deliberation, withdraw, settle" in message


@pytest.mark.parametrize("machine", ALL_MACHINES, ids=lambda m: m.name)
def test_no_automatic_to_state_transitions_exist(machine: StateMachine[Any]) -> None:
    assert not [t for t in machine.triggers if t.startswith("to_")]
    assert machine.triggers == list(dict.fromkeys(t.trigger for t in machine.table))
    row = Row(machine.initial.value)
    for state in machine.states:
        with pytest.raises(TransitionNotAllowed, match="Unknown trigger"):
            machine.fire(row, f"to_{state.value}", _all_guards(machine, True))
    assert row.state == machine.initial.value


# --------------------------------------------------------------------------- the consultation


def test_a_planned_step_is_scheduled_invited_and_concluded() -> None:
    step = Row("planned")
    for trigger in ("schedule", "invite", "conclude"):
        CONSULTATION_MACHINE.fire(step, trigger)
    assert step.state == "dealt_with"


@pytest.mark.parametrize("state", ["postponed", "deferred", "removed"])
def test_a_postponed_deferred_or_removed_step_can_be_scheduled_again(state: str) -> None:
    step = Row(state)
    CONSULTATION_MACHINE.fire(step, "schedule")
    assert step.state == "scheduled"


def test_a_step_cannot_be_concluded_before_its_meeting_was_invited() -> None:
    step = Row("scheduled")
    with pytest.raises(TransitionNotAllowed) as info:
        CONSULTATION_MACHINE.fire(step, "conclude")
    assert "in state 'scheduled' (terminiert)" in str(info.value)
    assert "allowed now: unschedule, invite, close" in str(info.value)


def test_a_step_that_was_dealt_with_cannot_be_closed_again() -> None:
    with pytest.raises(TransitionNotAllowed, match="allowed now: none"):
        CONSULTATION_MACHINE.fire(Row("dealt_with"), "close")


def test_an_invited_step_can_be_taken_off_the_agenda_back_to_planned() -> None:
    step = Row("invited")
    CONSULTATION_MACHINE.fire(step, "unschedule")
    assert step.state == "planned"


# --------------------------------------------------------------------------- the meeting

STARTED: Guards = {"has_started": lambda: True}
NOT_STARTED: Guards = {"has_started": lambda: False}


def test_holding_a_meeting_before_it_starts_raises_instead_of_returning_false() -> None:
    meeting = Row("invited")
    with pytest.raises(TransitionNotAllowed) as info:
        MEETING_MACHINE.fire(meeting, "hold", NOT_STARTED)
    assert meeting.state == "invited"
    message = str(info.value)
    assert "Cannot 'hold' meeting in state 'invited' (eingeladen)" in message
    assert "condition 'has_started' not met" in message
    assert "allowed now: cancel" in message


def test_a_meeting_is_invited_held_once_started_and_its_minutes_approved() -> None:
    meeting = Row("planned")
    MEETING_MACHINE.fire(meeting, "invite", STARTED)
    MEETING_MACHINE.fire(meeting, "hold", STARTED)
    MEETING_MACHINE.fire(meeting, "approve_minutes", STARTED)
    assert meeting.state == "minutes_approved"


def test_a_held_meeting_cannot_be_cancelled() -> None:
    meeting = Row("held")
    with pytest.raises(TransitionNotAllowed, match="allowed now: approve_minutes"):
        MEETING_MACHINE.fire(meeting, "cancel", STARTED)
    assert meeting.state == "held"


def test_a_planned_meeting_cannot_be_held_without_an_invitation_even_after_its_start() -> None:
    with pytest.raises(TransitionNotAllowed, match="in state 'planned' \\(geplant\\)"):
        MEETING_MACHINE.fire(Row("planned"), "hold", STARTED)


# --------------------------------------------------------------------------- allowed_triggers


def _guard_combinations(machine: StateMachine[Any]) -> list[Guards]:
    names = sorted({t.condition for t in machine.table if t.condition})
    combos: list[Guards] = []
    for values in itertools.product([True, False], repeat=len(names)):
        combos.append({name: _const(v) for name, v in zip(names, values, strict=True)})
    return combos


@pytest.mark.parametrize("machine", ALL_MACHINES, ids=lambda m: m.name)
def test_allowed_triggers_lists_exactly_the_triggers_that_would_succeed(machine: StateMachine[Any]) -> None:
    checked = 0
    for guards in _guard_combinations(machine):
        for state in machine.states:
            allowed = machine.allowed_triggers(Row(state.value), guards)
            assert len(allowed) == len(set(allowed))
            for trigger in machine.triggers:
                row = Row(state.value)
                if trigger in allowed:
                    machine.fire(row, trigger, guards)
                    dest = next(t.dest for t in machine.table if t.trigger == trigger and state in t.source)
                    assert row.state == dest
                else:
                    with pytest.raises(TransitionNotAllowed) as info:
                        machine.fire(row, trigger, guards)
                    assert info.value.details["allowed"] == allowed
                    assert row.state == state.value
                checked += 1
    assert checked == len(_guard_combinations(machine)) * len(_state_values(machine)) * len(machine.triggers)


def test_allowed_triggers_of_a_paper_depend_on_its_guards() -> None:
    draft = Row("draft")
    assert PAPER_MACHINE.allowed_triggers(draft, NO_COSIGNERS) == ["submit", "withdraw"]
    assert PAPER_MACHINE.allowed_triggers(draft, COSIGN_MISSING) == ["request_cosignatures", "withdraw"]
    assert PAPER_MACHINE.allowed_triggers(draft, COSIGN_DONE) == [
        "request_cosignatures",
        "submit",
        "withdraw",
    ]


def test_allowed_triggers_of_an_invited_meeting_depend_on_whether_it_started() -> None:
    assert MEETING_MACHINE.allowed_triggers(Row("invited"), NOT_STARTED) == ["cancel"]
    assert MEETING_MACHINE.allowed_triggers(Row("invited"), STARTED) == ["hold", "cancel"]


def test_a_guard_left_out_is_a_programming_error_for_both_allowed_triggers_and_fire() -> None:
    paper = Row("draft")
    with pytest.raises(ValueError, match="guards not supplied: all_cosigned, has_required_cosigners"):
        PAPER_MACHINE.allowed_triggers(paper)
    with pytest.raises(ValueError, match="guards not supplied: all_cosigned"):
        PAPER_MACHINE.fire(paper, "submit")
    assert paper.state == "draft"
    PAPER_MACHINE.fire(paper, "withdraw")  # a transition without a guard needs none
    assert paper.state == "withdrawn"


# --------------------------------------------------------------------------- mermaid


@pytest.mark.parametrize("machine", ALL_MACHINES, ids=lambda m: m.name)
def test_the_mermaid_diagram_contains_every_transition_and_every_state(machine: StateMachine[Any]) -> None:
    diagram = machine.mermaid().splitlines()
    assert diagram[0] == "stateDiagram-v2"
    assert f"  [*] --> {machine.initial.value}" in diagram
    for state in machine.states:
        assert f'  state "{machine.labels[state]}" as {state.value}' in diagram
    edges = [line for line in diagram if " --> " in line and "[*]" not in line]
    expected = []
    for t in machine.table:
        guard = f" [{t.condition}]" if t.condition else ""
        for source in t.source:
            expected.append(f"  {source} --> {t.dest}: {t.trigger}{guard}")
    assert edges == expected


def test_the_mermaid_diagram_of_the_paper_shows_the_cosignature_guard() -> None:
    diagram = PAPER_MACHINE.mermaid()
    assert "  draft --> submitted: submit [all_cosigned]" in diagram
    assert "  cosigning --> submitted: submit [all_cosigned]" in diagram
    assert "  in_deliberation --> withdrawn: withdraw" in diagram


# --------------------------------------------------------------------------- built once, nothing attached


def test_the_machine_is_built_once_and_nothing_is_attached_after_firing_on_many_rows() -> None:
    machine_before = PAPER_MACHINE._machine
    models_before = list(PAPER_MACHINE._machine.models)
    events_before = list(PAPER_MACHINE._machine.events)
    rows = [Row("draft") for _ in range(500)]
    for row in rows:
        PAPER_MACHINE.fire(row, "submit", NO_COSIGNERS)
        PAPER_MACHINE.fire(row, "begin_deliberation")
        with pytest.raises(TransitionNotAllowed):
            PAPER_MACHINE.fire(row, "submit", NO_COSIGNERS)
    assert all(row.state == "in_deliberation" for row in rows)
    assert PAPER_MACHINE._machine is machine_before
    assert list(PAPER_MACHINE._machine.models) == models_before == []
    assert list(PAPER_MACHINE._machine.events) == events_before
    # The rows themselves got no trigger methods or other attributes from the machine.
    assert vars(rows[0]) == {"state": "in_deliberation"}
    assert not hasattr(rows[0], "submit")
    assert not hasattr(rows[0], "trigger")


@pytest.mark.parametrize("machine", [CONSULTATION_MACHINE, MEETING_MACHINE], ids=lambda m: m.name)
def test_the_other_machines_have_no_models_attached_after_firing(machine: StateMachine[Any]) -> None:
    for _ in range(100):
        row = Row(machine.initial.value)
        machine.fire(row, "invite" if machine is MEETING_MACHINE else "schedule", _all_guards(machine, True))
    assert list(machine._machine.models) == []
