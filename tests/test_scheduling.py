"""tests/scheduling.py: which file a `make test` worker takes next (the order xdist's own scheduler got wrong for
this suite: by number of tests, the waiting browser files last on every worker at once)."""
from __future__ import annotations

from tests.scheduling import marked_slow, next_scope, waiting_workers, waits

BANK = "tests/quiz/test_quiz_bank.py"                         # 500 quick tests
SOLUTIONS = "tests/challenges/test_challenge_solutions.py"    # 3 tests, marked slow
FIRST_VISIT = "tests/browser/test_first_visit.py"             # Chromium, not marked slow
ROOM = "tests/browser/test_room_in_class.py"                  # Chromium, marked slow
KILL = "tests/integration/test_gateway_kill.py"               # a gateway process killed, marked slow


def test_the_files_are_told_apart_by_where_they_live_and_their_slow_mark() -> None:
    assert [waits(scope) for scope in (BANK, SOLUTIONS, FIRST_VISIT, KILL)] == [False, False, True, True]
    assert [marked_slow(scope) for scope in (BANK, SOLUTIONS, FIRST_VISIT, ROOM)] == [False, True, False, True]
    assert not marked_slow("tests/no_such_file.py")


def test_a_waiting_worker_starts_with_the_waiting_files_slow_first_and_a_cpu_worker_with_the_others() -> None:
    queue = {BANK: 500, SOLUTIONS: 3, FIRST_VISIT: 2, ROOM: 1, KILL: 1}
    # xdist's own order would give both workers the bank first and leave the browser files for the end
    assert next_scope(queue, wants_waiting=True) in (ROOM, KILL)
    assert next_scope(queue, wants_waiting=False) == SOLUTIONS   # slow before the biggest
    del queue[SOLUTIONS]
    assert next_scope(queue, wants_waiting=False) == BANK


def test_a_worker_whose_kind_ran_out_takes_the_other_kind() -> None:
    assert next_scope({BANK: 500, SOLUTIONS: 3}, wants_waiting=True) == SOLUTIONS
    assert next_scope({FIRST_VISIT: 2, ROOM: 1}, wants_waiting=False) == ROOM


def test_one_worker_in_two_starts_with_the_waiting_files_rounded_up() -> None:
    assert [waiting_workers(n) for n in (1, 2, 3, 4)] == [1, 1, 2, 2]
