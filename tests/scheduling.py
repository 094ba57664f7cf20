"""How `make test` hands test files to its workers: pytest-xdist's `--dist loadfile`, in another order.

xdist orders files by their number of tests, so the browser and integration files (a few long tests each, mostly
waiting on Chromium, servers and timers) came last and ran side by side on every worker: their waits piled up at
the end while the cores idled. Here the first workers (two of three) start with those waiting files and the others
with the files that use the CPU, a file marked slow first, then by number of tests; each takes the other kind once
its own runs out. On this 2-core machine: 4 min 44-48 s with three workers against 5 min 23 s - 6 min with two
(pytest.ini).
"""
from __future__ import annotations

from functools import cache
from pathlib import Path

from xdist.scheduler import LoadFileScheduling

WAITING_DIRECTORIES = ("tests/browser/", "tests/integration/")


def waits(scope: str) -> bool:
    return scope.startswith(WAITING_DIRECTORIES)


@cache
def marked_slow(scope: str) -> bool:
    path = Path(scope.split("::", 1)[0])
    return path.is_file() and "pytest.mark.slow" in path.read_text(encoding="utf-8")


def waiting_workers(workers: int) -> int:
    """How many workers start with the waiting files: one in two, rounded up (one of two, two of three)."""
    return (workers + 1) // 2


def next_scope(tests_by_scope: dict[str, int], wants_waiting: bool) -> str:
    """The file a worker takes next: one of its kind if any is left, a slow one first, then the most tests."""
    return min(tests_by_scope, key=lambda scope: (waits(scope) != wants_waiting, not marked_slow(scope),
                                                  -tests_by_scope[scope]))


class WaitingFilesApart(LoadFileScheduling):
    def _assign_work_unit(self, node) -> None:
        assert self.workqueue
        workers = sorted(n.gateway.id for n in self.nodes)
        wants_waiting = workers.index(node.gateway.id) < waiting_workers(len(workers))
        scope = next_scope({scope: len(unit) for scope, unit in self.workqueue.items()}, wants_waiting)
        work_unit = self.workqueue.pop(scope)
        self.assigned_work.setdefault(node, {})[scope] = work_unit
        collection = self.registered_collections[node]
        node.send_runtest_some([collection.index(nodeid) for nodeid, done in work_unit.items() if not done])
