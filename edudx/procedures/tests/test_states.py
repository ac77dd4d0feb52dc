"""The dossier state machine (administration notes §3.2): every allowed (state, action) pair gives its target, and
every pair not in the table — generated from it — is refused; actor kinds, clock effects and forms are checked."""

import itertools

import pytest

from edudx.core.errors import NotPermitted, ValidationFailed
from edudx.procedures.states import (
    CLOCK_PAUSED_STATES,
    CLOCK_RUNNING_STATES,
    INITIAL_STATE,
    TERMINAL_STATES,
    TRANSITION_TABLE,
    TRANSITIONS,
    ActorKind,
    ClockEffect,
    DossierAction,
    DossierState,
    FormNumber,
    allowed_actions,
    is_terminal,
    rule_for,
    transition,
)

S, A, K, F = DossierState, DossierAction, ActorKind, FormNumber

ALLOWED = sorted(TRANSITION_TABLE)
FORBIDDEN = sorted(set(itertools.product(DossierState, DossierAction)) - set(TRANSITION_TABLE))

# The expected table, written out independently of the module: (state, action) → (target, actors).
EXPECTED = {
    (S.SUBMITTED, A.RECEIVE): (S.RECEIVED, {K.DESK}),
    (S.SUBMITTED, A.REQUEST_COMPLETION): (S.NEEDS_COMPLETION, {K.DESK}),
    (S.SUBMITTED, A.REFUSE): (S.REFUSED, {K.DESK}),
    (S.SUBMITTED, A.WITHDRAW): (S.WITHDRAWN, {K.CITIZEN}),
    (S.NEEDS_COMPLETION, A.SUBMIT_SUPPLEMENT): (S.SUBMITTED, {K.CITIZEN, K.DESK}),
    (S.NEEDS_COMPLETION, A.REFUSE): (S.REFUSED, {K.DESK}),
    (S.NEEDS_COMPLETION, A.WITHDRAW): (S.WITHDRAWN, {K.CITIZEN}),
    (S.RECEIVED, A.ASSIGN): (S.ASSIGNED, {K.DESK, K.LEADER}),
    (S.ASSIGNED, A.START_PROCESSING): (S.PROCESSING, {K.HANDLER}),
    (S.ASSIGNED, A.HAND_OVER): (S.ASSIGNED, {K.LEADER, K.HANDLER}),
    (S.PROCESSING, A.HAND_OVER): (S.ASSIGNED, {K.LEADER, K.HANDLER}),
    (S.PROCESSING, A.REQUEST_SUPPLEMENT): (S.SUPPLEMENT_REQUESTED, {K.HANDLER}),
    (S.SUPPLEMENT_REQUESTED, A.SUBMIT_SUPPLEMENT): (S.PROCESSING, {K.CITIZEN, K.DESK}),
    (S.PROCESSING, A.SUBMIT_FOR_APPROVAL): (S.AWAITING_APPROVAL, {K.HANDLER}),
    (S.AWAITING_APPROVAL, A.RETURN_FOR_REWORK): (S.PROCESSING, {K.LEADER}),
    (S.AWAITING_APPROVAL, A.APPROVE): (S.APPROVED, {K.LEADER}),
    (S.APPROVED, A.ISSUE_RESULT): (S.RESULT_ISSUED, {K.DESK, K.SYSTEM}),
    **{
        (state, A.APOLOGISE_AND_EXTEND): (state, {K.HANDLER, K.LEADER})
        for state in (S.RECEIVED, S.ASSIGNED, S.PROCESSING, S.AWAITING_APPROVAL)
    },
    **{
        (state, A.STOP): (S.STOPPED, {K.LEADER})
        for state in (S.RECEIVED, S.ASSIGNED, S.PROCESSING, S.AWAITING_APPROVAL, S.SUPPLEMENT_REQUESTED)
    },
    **{
        (state, A.WITHDRAW): (S.WITHDRAWN, {K.CITIZEN})
        for state in (S.RECEIVED, S.ASSIGNED, S.PROCESSING, S.AWAITING_APPROVAL, S.SUPPLEMENT_REQUESTED)
    },
}


def test_the_table_is_the_expected_one():
    assert set(TRANSITION_TABLE) == set(EXPECTED)
    assert len(TRANSITIONS) == len(EXPECTED)
    assert len(ALLOWED) + len(FORBIDDEN) == len(DossierState) * len(DossierAction)


@pytest.mark.parametrize(("state", "action"), ALLOWED)
def test_every_allowed_transition(state, action):
    target, actors = EXPECTED[(state, action)]
    assert transition(state, action) == target
    assert transition(str(state.value), str(action.value)) == target  # stored codes work too
    for kind in ActorKind:
        if kind in actors:
            assert transition(state, action, actor_kind=kind) == target
        else:
            with pytest.raises(NotPermitted) as excinfo:
                transition(state, action, actor_kind=kind)
            assert excinfo.value.code == "actor_not_allowed"
    assert action in allowed_actions(state)
    assert {kind for kind in ActorKind if action in allowed_actions(state, actor_kind=kind)} == actors


@pytest.mark.parametrize(("state", "action"), FORBIDDEN)
def test_every_forbidden_transition(state, action):
    with pytest.raises(ValidationFailed) as excinfo:
        transition(state, action)
    assert excinfo.value.code == "forbidden_transition"
    assert str(state.label) in excinfo.value.message and str(action.label) in excinfo.value.message
    assert action not in allowed_actions(state)
    with pytest.raises(ValidationFailed):  # the actor check never lets a forbidden move through
        transition(state, action, actor_kind=ActorKind.LEADER)


@pytest.mark.parametrize(
    ("state", "action", "code"),
    [("archived", "receive", "unknown_state"), ("submitted", "fly", "unknown_action")],
)
def test_unknown_codes(state, action, code):
    with pytest.raises(ValidationFailed) as excinfo:
        transition(state, action)
    assert excinfo.value.code == code


def test_unknown_actor_kind_is_not_permitted():
    with pytest.raises(NotPermitted):
        transition(S.SUBMITTED, A.RECEIVE, actor_kind="robot")


def test_terminal_states_have_no_way_out():
    for state in TERMINAL_STATES:
        assert is_terminal(state)
        assert allowed_actions(state) == []
    assert not is_terminal(INITIAL_STATE)
    assert {t.target for t in TRANSITIONS} | {INITIAL_STATE} == set(DossierState)  # every state is reachable


@pytest.mark.parametrize(
    ("state", "action", "clock", "forms"),
    [
        (S.SUBMITTED, A.RECEIVE, ClockEffect.START, (F.RECEIPT, F.REGISTER)),
        (S.SUBMITTED, A.REQUEST_COMPLETION, ClockEffect.NONE, (F.SUPPLEMENT_REQUEST,)),
        (S.SUBMITTED, A.REFUSE, ClockEffect.NONE, (F.REFUSAL,)),
        (S.NEEDS_COMPLETION, A.REFUSE, ClockEffect.NONE, (F.REFUSAL,)),
        (S.SUBMITTED, A.WITHDRAW, ClockEffect.NONE, ()),
        (S.PROCESSING, A.REQUEST_SUPPLEMENT, ClockEffect.PAUSE, (F.SUPPLEMENT_REQUEST, F.CONTROL_SHEET)),
        (S.SUPPLEMENT_REQUESTED, A.SUBMIT_SUPPLEMENT, ClockEffect.RESUME, (F.CONTROL_SHEET,)),
        (S.NEEDS_COMPLETION, A.SUBMIT_SUPPLEMENT, ClockEffect.NONE, ()),
        (S.RECEIVED, A.ASSIGN, ClockEffect.NONE, (F.CONTROL_SHEET,)),
        (S.AWAITING_APPROVAL, A.APPROVE, ClockEffect.STOP, (F.CONTROL_SHEET,)),
        (S.APPROVED, A.ISSUE_RESULT, ClockEffect.NONE, (F.CONTROL_SHEET, F.REGISTER)),
        (S.PROCESSING, A.APOLOGISE_AND_EXTEND, ClockEffect.NONE, (F.APOLOGY_EXTENSION,)),
        (S.SUPPLEMENT_REQUESTED, A.STOP, ClockEffect.STOP, (F.STOP_NOTICE, F.REGISTER)),
        (S.PROCESSING, A.WITHDRAW, ClockEffect.STOP, (F.REGISTER,)),
    ],
)
def test_clock_and_forms(state, action, clock, forms):
    rule = rule_for(state, action)
    assert (rule.clock, rule.forms) == (clock, forms)


def test_every_form_is_produced_somewhere():
    assert {form for t in TRANSITIONS for form in t.forms} == set(FormNumber)


def test_clock_effects_agree_with_the_state_sets():
    for t in TRANSITIONS:
        if t.clock == ClockEffect.START:
            assert t.source not in CLOCK_RUNNING_STATES and t.target in CLOCK_RUNNING_STATES
        elif t.clock == ClockEffect.PAUSE:
            assert t.source in CLOCK_RUNNING_STATES and t.target in CLOCK_PAUSED_STATES
        elif t.clock == ClockEffect.RESUME:
            assert t.source in CLOCK_PAUSED_STATES and t.target in CLOCK_RUNNING_STATES
        elif t.clock == ClockEffect.STOP:
            assert t.source in CLOCK_RUNNING_STATES | CLOCK_PAUSED_STATES
            assert t.target not in CLOCK_RUNNING_STATES | CLOCK_PAUSED_STATES
        else:  # no effect: the clock keeps running, keeps waiting, or has not started
            running = CLOCK_RUNNING_STATES
            assert (t.source in running) == (t.target in running), t
            assert t.source not in CLOCK_PAUSED_STATES


def test_a_full_journey():
    state = INITIAL_STATE
    for action, kind in [
        (A.REQUEST_COMPLETION, K.DESK),
        (A.SUBMIT_SUPPLEMENT, K.CITIZEN),
        (A.RECEIVE, K.DESK),
        (A.ASSIGN, K.DESK),
        (A.START_PROCESSING, K.HANDLER),
        (A.REQUEST_SUPPLEMENT, K.HANDLER),
        (A.SUBMIT_SUPPLEMENT, K.CITIZEN),
        (A.APOLOGISE_AND_EXTEND, K.HANDLER),
        (A.SUBMIT_FOR_APPROVAL, K.HANDLER),
        (A.RETURN_FOR_REWORK, K.LEADER),
        (A.SUBMIT_FOR_APPROVAL, K.HANDLER),
        (A.APPROVE, K.LEADER),
        (A.ISSUE_RESULT, K.SYSTEM),
    ]:
        state = transition(state, action, actor_kind=kind)
    assert state == S.RESULT_ISSUED
