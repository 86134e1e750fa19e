"""The state machine's Poll step: read the Wix import, report its status and the next wait.

Stateless (the Job Poller pattern): the state machine owns the loop, the Wait and the deadline;
this only reads. The wait doubles from the execution's initial `wait` up to a cap, and never
sleeps past the deadline, so a long import costs few state transitions and the history stays small.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from loyalty_import.pipeline.clock import Clock
from loyalty_import.pipeline.models import PollerInput, PollResult
from loyalty_import.pipeline.observability import bind_import, logger
from loyalty_import.pipeline.ports import WixProvider

# Step Functions waits whole seconds, at least one.
MIN_WAIT_S = 1


@dataclass
class PollerDeps:
    wix: WixProvider
    # The cap of the doubling wait (POLL_MAX_WAIT_SECONDS; the first wait comes with the execution).
    max_wait_s: int
    clock: Clock = field(default_factory=Clock)


def next_wait(task: PollerInput, *, now: float, max_wait_s: int) -> int:
    """Exponential backoff: the first poll waits `wait`, every later one twice the previous, capped."""
    wait = task.wait if task.poll is None else task.poll.next_wait * 2
    wait = max(MIN_WAIT_S, min(wait, max_wait_s))
    until_deadline = int(task.deadline - now)
    # Wake up at the deadline rather than after it, so a timeout is reported on time.
    return max(MIN_WAIT_S, min(wait, until_deadline))


def poll_import(task: PollerInput, deps: PollerDeps) -> PollResult:
    bind_import(task.import_id, source_id=task.source_id)
    current = deps.wix(task.site).get_import(task.import_id)
    now = deps.clock.epoch()
    result = PollResult(
        status=current.status.value,
        next_wait=next_wait(task, now=now, max_wait_s=deps.max_wait_s),
        deadline_exceeded=now >= task.deadline,
    )
    logger.info('import polled', wix_status=result.status, next_wait=result.next_wait)
    return result
