"""The state machine's Poll step: read the Wix import, report its status and the next wait.

Stateless (the Job Poller pattern): the state machine owns the loop, the Wait and the deadline;
this only reads. The wait is the expected rest of the parse or import (`pipeline.pacing`, from the
file's size and its site's learned pace), then short; capped, and never past the deadline, so a
long import costs few reads and state transitions. Executions without a schedule back off.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from loyalty_import.pipeline import pacing
from loyalty_import.pipeline.clock import Clock
from loyalty_import.pipeline.models import PollerInput, PollResult, PollSchedule
from loyalty_import.pipeline.observability import bind_import, logger
from loyalty_import.pipeline.ports import WixProvider
from loyalty_import.wix.models import ImportStatus, LoyaltyImport

# Step Functions waits whole seconds, at least one.
MIN_WAIT_S = 1
# Between two Execute steps of an import whose balance snapshot is resuming: soon, with a little
# of the site's budget refilled (3 a second at the default 180 a minute).
RESUME_WAIT_S = 5


@dataclass
class PollerDeps:
    wix: WixProvider
    # The cap of the doubling wait (POLL_MAX_WAIT_SECONDS; the first wait comes with the execution).
    max_wait_s: int
    clock: Clock = field(default_factory=Clock)


def next_wait(task: PollerInput, *, now: float, max_wait_s: int, schedule: PollSchedule | None = None) -> int:
    """At the expected end, then densely (`pacing`); an execution without a schedule backs off:
    the first poll waits `wait`, every later one twice the previous. Capped, never past the deadline."""
    if schedule is not None:
        wait = math.ceil(pacing.wait_s(schedule, now=now))
    else:
        wait = task.wait if task.poll is None else task.poll.next_wait * 2
    wait = max(MIN_WAIT_S, min(wait, max_wait_s))
    until_deadline = int(task.deadline - now)
    # Wake up at the deadline rather than after it, so a timeout is reported on time.
    return max(MIN_WAIT_S, min(wait, until_deadline))


def poll_import(task: PollerInput, deps: PollerDeps) -> PollResult:
    bind_import(task.import_id, source_id=task.source_id)
    current = deps.wix(task.site).get_import(task.import_id)
    now = deps.clock.epoch()
    schedule = schedule_after(task, current, now=now)
    handed_on = current.status is ImportStatus.PARSED or current.status.is_terminal
    result = PollResult(
        status=current.status.value,
        next_wait=next_wait(task, now=now, max_wait_s=RESUME_WAIT_S, schedule=None)
        if _execute_pending(task, current)
        else next_wait(task, now=now, max_wait_s=deps.max_wait_s, schedule=schedule),
        deadline_exceeded=now >= task.deadline,
        schedule=schedule,
        wix_import=current.model_dump(mode='json', by_alias=True, exclude_none=True) if handed_on else None,
    )
    logger.info('import polled', wix_status=result.status, next_wait=result.next_wait)
    return result


def schedule_after(task: PollerInput, current: LoyaltyImport, *, now: float) -> PollSchedule | None:
    """The schedule carried from the last poll (or the input); a parse that ended starts the import
    phase now: PARSED is executed by the very next step."""
    carried = task.poll.schedule if task.poll is not None and task.poll.schedule else task.schedule
    if carried is None or current.status not in _EXECUTABLE_OR_LATER:
        return carried
    if _execute_pending(task, current):  # the import begins when the Execute that follows executes
        return carried.model_copy(update={'phase_started': now})
    rows = current.parse_result.parsed_row_count if current.parse_result else None
    return pacing.importing(carried, rows=rows, started=now)


_EXECUTABLE_OR_LATER = frozenset({ImportStatus.PARSED, ImportStatus.IMPORTING})


def _execute_pending(task: PollerInput, current: LoyaltyImport) -> bool:
    """Still PARSED after an Execute step: it has not executed yet (its balance snapshot pauses and
    resumes across invocations, `guards.snapshot`), so the next Execute should come soon."""
    previous = task.poll.status if task.poll is not None else None
    return current.status is ImportStatus.PARSED and previous == ImportStatus.PARSED.value


def polled(task: PollerInput, *statuses: ImportStatus) -> LoyaltyImport | None:
    """The import as the last poll read it, when it was in one of `statuses` (these last until the
    next step acts on them: PARSED until executed, IMPORTED and FAILED for good)."""
    if task.poll is None or task.poll.wix_import is None:
        return None
    current = LoyaltyImport.model_validate(task.poll.wix_import)
    return current if current.id == task.import_id and current.status in statuses else None
