"""Sharing the interpreter between learners: a long evaluation (many policies, a policy check's thousands of
candidate requests) gives waiting threads their turn now and then (Lab.authorize_call, gateway.policy_tools)."""
from __future__ import annotations

import time
from typing import Callable


YIELD_AFTER = 0.0005    # seconds of policy evaluation before a waiting thread is given the interpreter


def yield_to_other_threads() -> Callable[[], None]:
    """For authorize(between_policies=...): let a waiting thread (another learner's request) take the interpreter
    once this call has evaluated policies for YIELD_AFTER, rather than at the next forced switch (sleep(0)
    releases the GIL). Not after every policy: sleep(0) is a system call and a trip through the scheduler, about
    0.2 ms on a busy machine, more than most policies take (an SCP and an RCP on an OU put 8 policies in a call;
    scripts/bench_policy.py)."""
    last = time.perf_counter()

    def between_policies() -> None:
        nonlocal last
        now = time.perf_counter()
        if now - last >= YIELD_AFTER:
            time.sleep(0)
            last = time.perf_counter()
    return between_policies
