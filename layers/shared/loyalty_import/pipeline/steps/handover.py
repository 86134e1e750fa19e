"""The importer's second half: once the Wix import exists, wait (bounded) for Wix to parse it,
cross-check and execute it if it did, and hand it to the state machine (importer-only).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING

from loyalty_import.pipeline import pacing, transitions
from loyalty_import.pipeline.execution import execute_checked
from loyalty_import.pipeline.models import ExecutionInput, ImportRecord, PollSchedule, RecordStatus
from loyalty_import.pipeline.observability import logger
from loyalty_import.pipeline.ports import WixImports
from loyalty_import.wix.errors import WixError
from loyalty_import.wix.models import ImportStatus, LoyaltyImport

if TYPE_CHECKING:
    from loyalty_import.pipeline.steps.importer import ImporterDeps

# Reads of a parse past its expected end: a parse noticed sooner starts the import sooner.
PARSE_FLOOR_S = 1.0


def execution_name(import_id: str) -> str:
    """The state machine execution of a Wix import: one name per import, so a redelivery cannot start
    a second one (names: at most 80 of [A-Za-z0-9-_])."""
    safe = ''.join(char if char.isalnum() or char in '-_' else '-' for char in import_id)
    return f'import-{safe}'[:80]


def hand_over(record: ImportRecord, deps: ImporterDeps, remaining_s: Callable[[], float]) -> ImportRecord:
    """Wait (bounded) for PARSED, cross-check and execute; then hand the import to the state machine.

    From here on the Wix import exists, so the state machine owns its end: whatever happens while
    waiting or executing (a slow parse, a Wix fault), it is started and its Poll/Execute steps carry on.
    The reads land when Wix is expected to be done (`pacing`), so most imports cost one read to see
    PARSED and one to see IMPORTED.
    """
    import_id = record.wix_import_id
    if import_id is None:  # pragma: no cover - callers pass a created import
        raise ValueError('no Wix import to drive')
    if record.parts:  # several Wix imports: the state machine parses, executes and polls each
        return _start_parts_workflow(record, import_id, deps)
    schedule = _parse_schedule(record, deps)
    if record.executed_at is None:
        try:
            parsed = _wait_for_parse(deps.wix(record.site), import_id, schedule, deps, remaining_s)
            if parsed is not None and parsed.status is ImportStatus.PARSED:
                # The snapshot before execute stops in this invocation's time, like the importer.
                executor = replace(deps.executor, remaining_s=remaining_s)
                record = execute_checked(record, parsed, executor)
                if record.executed_at is not None:  # else the snapshot resumes at the first Execute
                    rows = parsed.parse_result.parsed_row_count if parsed.parse_result else None
                    schedule = pacing.importing(schedule, rows=rows, started=deps.clock.epoch())
        except WixError as exc:
            logger.warning('Wix call failed before execute; the state machine takes over', error=str(exc))
        if record.is_final:  # e.g. Wix parsed a different header: ended and notified, nothing to poll
            return record
    return _start_workflow(record, import_id, schedule, deps)


def _parse_schedule(record: ImportRecord, deps: ImporterDeps) -> PollSchedule:
    """The parse phase from the create (this record's CREATED), at the site's learned pace."""
    created = [change.at for change in record.status_history if change.status is RecordStatus.CREATED]
    started = created[-1].timestamp() if created else deps.clock.epoch()
    pace = deps.paces.get(record.site)
    return pacing.parse_schedule(pace, size_bytes=record.normalized_size or 0, started=started)


def _wait_for_parse(
    wix: WixImports,
    import_id: str,
    schedule: PollSchedule,
    deps: ImporterDeps,
    remaining_s: Callable[[], float],
) -> LoyaltyImport | None:
    """The import once Wix is done parsing (PARSED, or FAILED...), or None when the next read would
    fall past this invocation's budget (the state machine reads it then, without a Lambda waiting)."""
    budget = min(deps.settings.parse_wait_seconds, remaining_s() - deps.safety_margin_s)
    clock = deps.clock
    give_up_at = clock.monotonic() + max(0.0, budget)
    while True:
        pause = pacing.wait_s(schedule, now=clock.epoch(), floor_s=PARSE_FLOOR_S)
        if clock.monotonic() + pause > give_up_at:
            logger.info('Wix is still parsing; the state machine will execute')
            return None
        clock.sleep(pause)
        current = wix.get_import(import_id)
        if current.status not in {ImportStatus.INITIATED, ImportStatus.PARSING, ImportStatus.UNKNOWN}:
            return current


def _start_workflow(
    record: ImportRecord, import_id: str, schedule: PollSchedule, deps: ImporterDeps
) -> ImportRecord:
    name = execution_name(import_id)
    deadline = math.ceil(record.created_at.timestamp()) + deps.settings.import_deadline_seconds
    payload = ExecutionInput(
        import_id=import_id,
        source_id=record.pk,
        deadline=deadline,
        wait=deps.settings.poll_first_wait_seconds,
        first_wait=math.ceil(pacing.wait_s(schedule, now=deps.clock.epoch())),
        schedule=schedule,
        site=record.site,
    ).to_wire()
    arn = deps.workflow.start(name, payload)
    logger.info('state machine started' if arn else 'state machine already started', execution_name=name)
    if record.execution_name != name or (arn and record.execution_arn != arn):
        record = transitions.advance(record, transitions.execution_started(name, arn), records=deps.records)
    return record


def _start_parts_workflow(record: ImportRecord, import_id: str, deps: ImporterDeps) -> ImportRecord:
    """ONE execution for the file (named after its first part's import), a Map item per part: each
    item is the input of today's per-import loop, on the part's own record (`sourceId`)."""
    deadline = math.ceil(record.created_at.timestamp()) + deps.settings.import_deadline_seconds
    pace = deps.paces.get(record.site)
    started = deps.clock.epoch()
    items = []
    for part in record.parts or []:
        if part.wix_import_id is None or part.source_id is None:  # pragma: no cover - all created
            raise ValueError(f'part {part.index} has no Wix import')
        schedule = pacing.parse_schedule(pace, size_bytes=part.bytes, started=started)
        item = ExecutionInput(
            import_id=part.wix_import_id,
            source_id=part.source_id,
            deadline=deadline,
            wait=deps.settings.poll_first_wait_seconds,
            first_wait=math.ceil(pacing.wait_s(schedule, now=started)),
            schedule=schedule,
            site=record.site,
        ).to_wire()
        items.append({**item, 'part': part.index})
    payload = {'sourceId': record.pk, 'importId': import_id, 'site': record.site, 'parts': items}
    name = execution_name(import_id)
    arn = deps.workflow.start(name, payload)
    logger.info('state machine started' if arn else 'state machine already started', execution_name=name)
    if record.execution_name != name or (arn and record.execution_arn != arn):
        record = transitions.advance(record, transitions.execution_started(name, arn), records=deps.records)
    return record
