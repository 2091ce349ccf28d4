"""Tests for voting/meeting.py: the item state machine, batch moves, quorum and countdowns."""

from __future__ import annotations

import itertools
from fractions import Fraction

import pytest
from english import english
from hypothesis import given
from hypothesis import strategies as st

from voting.meeting import (
    TRANSITIONS,
    UNDO,
    Action,
    MoveRefused,
    State,
    check_quorum,
    check_settings_change,
    due_to_close,
    next_state,
    plan,
    quorum_met,
    seconds_left,
    settings_locked,
    undo_of,
    voting_open,
)

LEGAL = sorted(TRANSITIONS.items())
ILLEGAL = [
    (state, action)
    for state, action in itertools.product(State, Action)
    if (state, action) not in TRANSITIONS
]


# --- the table --------------------------------------------------------------------------------


def test_table_is_the_designed_one() -> None:
    assert dict(TRANSITIONS) == {
        (State.DRAFT, Action.OPEN): State.OPEN,
        (State.OPEN, Action.CLOSE): State.CLOSED,
        (State.CLOSED, Action.REVEAL): State.REVEALED,
        (State.CLOSED, Action.REOPEN): State.OPEN,
        (State.OPEN, Action.RESET): State.DRAFT,
        (State.CLOSED, Action.RESET): State.DRAFT,
    }
    assert len(ILLEGAL) == len(State) * len(Action) - len(TRANSITIONS) == 14


def test_table_is_read_only() -> None:
    with pytest.raises(TypeError):
        TRANSITIONS[(State.REVEALED, Action.RESET)] = State.DRAFT  # type: ignore[index]


@pytest.mark.parametrize(("move", "target"), LEGAL, ids=lambda v: str(v))
def test_legal_move(move: tuple[State, Action], target: State) -> None:
    state, action = move
    assert next_state(state, action) is target
    # plain strings work as well as the enums
    assert next_state(state.value, action.value) is target


@pytest.mark.parametrize(("state", "action"), ILLEGAL, ids=lambda v: str(v))
def test_illegal_move_refused(state: State, action: Action) -> None:
    with pytest.raises(MoveRefused) as info:
        next_state(state, action)
    refused = info.value
    assert refused.code
    assert refused.message
    assert str(refused) == refused.message
    assert refused.item is None
    assert isinstance(refused, ValueError)
    assert refused.message.endswith("。")
    assert english(refused).endswith(".")


@pytest.mark.parametrize(
    ("state", "action", "code", "words"),
    [
        (State.OPEN, Action.OPEN, "already_open", "already open"),
        (State.DRAFT, Action.CLOSE, "not_open", "was never opened"),
        (State.CLOSED, Action.OPEN, "not_draft", "reopen"),
        (State.OPEN, Action.REVEAL, "not_closed", "Close voting first"),
        (State.REVEALED, Action.RESET, "already_revealed", "cannot be changed"),
        (State.REVEALED, Action.REOPEN, "already_revealed", "already revealed"),
        (State.DRAFT, Action.RESET, "already_draft", "nothing to discard"),
        (State.CLOSED, Action.CLOSE, "already_closed", "already closed"),
    ],
)
def test_refusal_reasons(state: State, action: Action, code: str, words: str) -> None:
    with pytest.raises(MoveRefused) as info:
        next_state(state, action)
    assert info.value.code == code
    with pytest.raises(MoveRefused) as info:
        plan({4: state}, [4], action)  # a named item: the full reason
    assert info.value.code == code
    assert words in english(info.value)
    assert "第 4 项" in info.value.message


def test_every_revealed_move_is_already_revealed() -> None:
    for action in Action:
        with pytest.raises(MoveRefused) as info:
            next_state(State.REVEALED, action)
        assert info.value.code == "already_revealed"


@pytest.mark.parametrize("state", ["", "OPEN", "archived", None, 3])
def test_bad_state(state: object) -> None:
    with pytest.raises(MoveRefused) as info:
        next_state(state, Action.OPEN)  # type: ignore[arg-type]
    assert info.value.code == "bad_state"
    assert "draft, open, closed, revealed" in english(info.value)


@pytest.mark.parametrize("action", ["", "Open", "delete", "publish", None, 1])
def test_bad_action(action: object) -> None:
    with pytest.raises(MoveRefused) as info:
        next_state(State.DRAFT, action)  # type: ignore[arg-type]
    assert info.value.code == "bad_action"
    assert "open, close, reveal, reopen, reset" in english(info.value)


def test_voting_open() -> None:
    assert voting_open(State.OPEN)
    assert voting_open("open")
    for state in (State.DRAFT, State.CLOSED, State.REVEALED, "nonsense"):
        assert not voting_open(state)


# --- batch moves ------------------------------------------------------------------------------


def test_plan_batch_of_three() -> None:
    states = {1: State.DRAFT, 2: "draft", 3: State.DRAFT, 4: State.OPEN}
    assert plan(states, [1, 2, 3], Action.OPEN) == {
        1: State.OPEN,
        2: State.OPEN,
        3: State.OPEN,
    }


def test_plan_all_or_nothing_names_the_bad_item() -> None:
    states = {1: State.CLOSED, 2: State.REVEALED, 3: State.CLOSED}
    before = dict(states)
    with pytest.raises(MoveRefused) as info:
        plan(states, [1, 2, 3], "reveal")
    assert info.value.code == "already_revealed"
    assert info.value.item == 2
    assert "Item 2" in english(info.value)
    assert states == before  # the input is never changed


def test_plan_refuses_the_first_bad_item() -> None:
    states = {1: State.OPEN, 2: State.DRAFT, 3: State.CLOSED}
    with pytest.raises(MoveRefused) as info:
        plan(states, [1, 2, 3], Action.CLOSE)
    assert info.value.item == 2
    assert english(info.value) == (
        "Item 2 is a draft and was never opened; only an open item can be closed."
    )


def test_plan_message_names_item_and_states() -> None:
    with pytest.raises(MoveRefused) as info:
        plan({7: State.CLOSED}, [7], Action.OPEN)
    assert info.value.code == "not_draft"
    assert english(info.value).startswith("Item 7 is closed; only a draft item can be opened.")


def test_plan_unknown_item() -> None:
    with pytest.raises(MoveRefused) as info:
        plan({1: State.DRAFT, 2: State.DRAFT}, [1, 9, 2], Action.OPEN)
    assert info.value.code == "unknown_item"
    assert info.value.item == 9
    assert "9" in english(info.value)


@pytest.mark.parametrize("bad_id", ["1", True, None, 1.5])
def test_plan_id_that_is_not_an_int(bad_id: object) -> None:
    with pytest.raises(MoveRefused) as info:
        plan({1: State.DRAFT}, [bad_id], Action.OPEN)  # type: ignore[list-item]
    assert info.value.code == "unknown_item"
    assert info.value.item is None


def test_plan_empty() -> None:
    with pytest.raises(MoveRefused) as info:
        plan({1: State.DRAFT}, [], Action.OPEN)
    assert info.value.code == "empty"
    assert info.value.message


def test_plan_duplicate() -> None:
    with pytest.raises(MoveRefused) as info:
        plan({1: State.DRAFT, 2: State.DRAFT}, [1, 2, 1], Action.OPEN)
    assert info.value.code == "duplicate_item"
    assert info.value.item == 1
    assert "Item 1" in english(info.value)


def test_plan_bad_action_and_bad_stored_state() -> None:
    with pytest.raises(MoveRefused) as info:
        plan({1: State.DRAFT}, [1], "launch")
    assert info.value.code == "bad_action"
    with pytest.raises(MoveRefused) as info:
        plan({1: "lost"}, [1], Action.OPEN)
    assert info.value.code == "bad_state"
    assert info.value.item == 1


def test_plan_reset_mixed_open_and_closed() -> None:
    states = {1: State.OPEN, 2: State.CLOSED}
    assert plan(states, (2, 1), Action.RESET) == {1: State.DRAFT, 2: State.DRAFT}


# --- quorum -----------------------------------------------------------------------------------


def test_quorum_sixty() -> None:
    assert not quorum_met(30, 60)
    assert quorum_met(31, 60)


def test_quorum_odd() -> None:
    assert not quorum_met(30, 61)
    assert quorum_met(31, 61)


def test_quorum_two_thirds() -> None:
    # 2/3 as a float is 0.666...6; the threshold must still be exactly 40 of 60.
    assert not quorum_met(40, 60, 2 / 3)
    assert quorum_met(41, 60, 2 / 3)
    assert not quorum_met(40, 60, Fraction(2, 3))  # type: ignore[arg-type]
    assert quorum_met(41, 61, 2 / 3)
    assert not quorum_met(40, 61, 2 / 3)


def test_quorum_edges() -> None:
    assert not quorum_met(0, 0)
    assert quorum_met(1, 0)
    assert quorum_met(1, 1)
    assert quorum_met(1, 60, 0)
    assert not quorum_met(0, 60, 0.0)


@pytest.mark.parametrize(
    ("present", "expected", "ratio"),
    [(-1, 60, 0.5), (30, -1, 0.5), (30, 60, 1.5), (30, 60, -0.1), (30, 60, float("nan"))],
)
def test_quorum_bad_input(present: int, expected: int, ratio: float) -> None:
    with pytest.raises(MoveRefused) as info:
        quorum_met(present, expected, ratio)
    assert info.value.code == "bad_quorum"


def test_check_quorum_refuses_with_readable_message() -> None:
    with pytest.raises(MoveRefused) as info:
        check_quorum(30, 60)
    assert info.value.code == "no_quorum"
    assert info.value.item is None
    assert english(info.value) == (
        "Only 30 of 60 expected members present; more than 30 are needed to open voting."
    )


def test_check_quorum_message_odd_and_ratio() -> None:
    with pytest.raises(MoveRefused) as info:
        check_quorum(30, 61)
    assert "more than 30 are needed" in english(info.value)
    with pytest.raises(MoveRefused) as info:
        check_quorum(40, 60, 2 / 3)
    assert "Only 40 of 60" in english(info.value)
    assert "more than 40 are needed" in english(info.value)
    with pytest.raises(MoveRefused) as info:
        check_quorum(1, 60)
    assert "Only 1 of 60 expected members present" in english(info.value)


def test_check_quorum_passes_and_override() -> None:
    assert check_quorum(31, 60) is None
    assert check_quorum(0, 60, override=True) is None
    assert check_quorum(30, 60, 0.5, override=True) is None


# --- countdowns -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("closes_at", "now", "left"),
    [
        (None, 100.0, None),
        (160.0, 100.0, 60),
        (160.0, 100.5, 60),  # rounded up: 59.5 s left shows 60
        (160.0, 159.01, 1),
        (160.0, 160.0, 0),
        (160.0, 200.0, 0),  # never negative
    ],
)
def test_seconds_left(closes_at: float | None, now: float, left: int | None) -> None:
    assert seconds_left(closes_at, now) == left


def test_due_to_close() -> None:
    items = {
        5: (State.OPEN, 100.0),  # exactly due
        2: ("open", 50.0),  # overdue
        3: (State.OPEN, 150.0),  # not yet
        4: (State.OPEN, None),  # no countdown
        1: (State.CLOSED, 10.0),  # already closed
        6: (State.DRAFT, 10.0),
        7: (State.REVEALED, 10.0),
    }
    assert due_to_close(items, 100.0) == [2, 5]
    assert due_to_close(items, 0.0) == []
    assert due_to_close({}, 100.0) == []


# --- property ---------------------------------------------------------------------------------


@given(
    start=st.sampled_from(list(State)),
    actions=st.lists(st.sampled_from(list(Action)), max_size=50),
)
def test_revealed_is_final_and_states_stay_known(start: State, actions: list[Action]) -> None:
    state = start
    revealed = state is State.REVEALED
    for action in actions:
        try:
            state = next_state(state, action)
        except MoveRefused as refused:
            assert refused.code and refused.message
            continue
        assert state in set(State)
        assert isinstance(state, State)
        if revealed:
            pytest.fail(f"left {State.REVEALED} by {action}")
        revealed = state is State.REVEALED
    assert state in set(State)
    if revealed:
        assert state is State.REVEALED


# --- undo and the settings lock -----------------------------------------------------------------


def test_each_undo_is_a_legal_move_back() -> None:
    """An undone move's items are where the undo can start, and it brings them back."""
    for done, undo in UNDO.items():
        for start in State:
            after = TRANSITIONS.get((start, done))
            if after is not None and (after, undo) in TRANSITIONS:
                assert TRANSITIONS[(after, undo)] in (start, State.DRAFT)
    assert undo_of("close") is Action.REOPEN
    assert undo_of(Action.OPEN) is Action.RESET
    assert undo_of("reopen") is Action.CLOSE


@pytest.mark.parametrize(
    ("last", "code"),
    [(None, "nothing_to_undo"), ("reveal", "cannot_undo"), ("reset", "cannot_undo")],
)
def test_what_cannot_be_undone(last: str | None, code: str) -> None:
    with pytest.raises(MoveRefused) as info:
        undo_of(last)
    assert info.value.code == code


def test_settings_lock_once_an_item_left_draft() -> None:
    assert not settings_locked([])
    assert not settings_locked(["draft", State.DRAFT])
    assert settings_locked(["draft", "closed"])
    check_settings_change(["secret", "title"], ["draft"])
    check_settings_change(["title", "followup_months"], ["open"])
    with pytest.raises(MoveRefused) as info:
        check_settings_change(["title", "live_tallies"], ["draft", "revealed"])
    assert info.value.code == "started"
