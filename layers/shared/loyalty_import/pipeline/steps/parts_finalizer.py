"""Finalize a file imported as several Wix imports (docs/large-files.md): once, for every part.

Reached after every part's loop ended (IMPORTED, FAILED, the deadline, or a Catch's error): it
reads each unfinished part's import from Wix (or takes the one its last poll read), records it on
its part, copies each part's error file, then ends the file ONCE with the parts' counts summed and
the verdict of `import_parts.outcome` (a part that failed never hides the parts that imported), and
sends one notification. Each imported part teaches its site's pace, as one import does. A repeat
(a Step Functions retry) finds the record notified and sends nothing.
"""

from __future__ import annotations

from loyalty_import.pipeline import pacing, transitions
from loyalty_import.pipeline.codes import ErrorCode
from loyalty_import.pipeline.errors import RecordNotFound, RecordStoreError
from loyalty_import.pipeline.guards import fingerprints
from loyalty_import.pipeline.models import (
    CamelModel,
    FinalizerInput,
    FinalizerOutput,
    ImportPart,
    ImportRecord,
    PartStatus,
    RecordError,
    RecordStatus,
)
from loyalty_import.pipeline.observability import bind_import, logger
from loyalty_import.pipeline.results import results_key
from loyalty_import.pipeline.steps.finalizer import FinalizerDeps, error_from_task
from loyalty_import.pipeline.steps.poller import polled
from loyalty_import.wix.errors import WixError, WixUnavailable
from loyalty_import.wix.models import ImportStatus, LoyaltyImport


class PartLoopResult(FinalizerInput):
    """What one part's loop (a Map iteration) ends with: its input, last poll and error."""

    part: int


class PartsFinalizerInput(CamelModel):
    """The Map's output: one entry per part, and the file's record."""

    source_id: str
    parts: list[PartLoopResult]
    # Set when the Finalize state's own Catch finalizes without Wix (as `FinalizerInput`).
    offline: bool = False


def finalize_parts(task: PartsFinalizerInput, deps: FinalizerDeps) -> FinalizerOutput:
    bind_import(source_id=task.source_id)
    record = deps.records.get(task.source_id)
    if record is None:
        raise RecordNotFound(task.source_id)
    if record.notified_at is not None:
        if record.notification_pending:  # a Finalize claimed the notification and was killed: send it
            record, _ = transitions.finish(
                record, records=deps.records, notifier=deps.notifier, now=deps.clock.now
            )
        logger.info('file already finalized', status=record.status.value)
        return _output(record, notified=False)
    changes: list[transitions.Change] = []
    for loop in task.parts:
        part = transitions.part_of(record, loop.part)
        if not part.status.is_final:
            changes.extend(_part_changes(record, part, loop, deps, offline=task.offline))
    changes += [transitions.parts_summed(), transitions.parts_decided()]
    saved, notified = transitions.finish(
        record, *changes, records=deps.records, notifier=deps.notifier, now=deps.clock.now
    )
    fingerprints.mark_imported(saved, records=deps.records, window_days=deps.settings.reimport_window_days)
    for part in saved.parts or []:
        _end_part_record(part, deps)
        if part.status is PartStatus.IMPORTED:
            _learn_pace(saved.site, part, deps)
    return _output(saved, notified=notified)


_RECORD_STATUS_OF_PART = {
    PartStatus.IMPORTED: RecordStatus.IMPORTED,
    PartStatus.FAILED: RecordStatus.FAILED,
    PartStatus.TIMED_OUT: RecordStatus.TIMED_OUT,
}


def _end_part_record(part: ImportPart, deps: FinalizerDeps) -> None:
    """The part's own record ends as its part did (it never notifies: `transitions`), so no record
    is left in flight once the file is finalized."""
    status = _RECORD_STATUS_OF_PART.get(part.status)
    child = deps.records.get(part.source_id) if part.source_id and status else None
    if child is None or status is None or child.is_final:
        return
    counts = transitions.part_counts(part)
    transitions.finish(
        child,
        counts,
        transitions.ended(status, part.error),
        records=deps.records,
        notifier=deps.notifier,
        now=deps.clock.now,
    )


def _part_changes(
    record: ImportRecord, part: ImportPart, loop: PartLoopResult, deps: FinalizerDeps, *, offline: bool
) -> list[transitions.Change]:
    """The part's end: Wix's verdict (and its error file) when Wix gives one, else why its loop ended."""
    wix_import = None if offline else _read(record, loop, deps)
    changes: list[transitions.Change] = []
    if wix_import is not None:
        changes.append(transitions.part_wix_state(part.index, wix_import))
        result = wix_import.import_result
        if result is not None and result.error_file_exists and not part.error_file:
            uri = _copy_error_file(record, wix_import.id, deps)
            changes.append(transitions.part_error_file(part.index, uri))
        if wix_import.status in {ImportStatus.IMPORTED, ImportStatus.FAILED}:
            return changes
    status, error = _why_it_ended(loop, wix_import)
    changes.append(transitions.part_ended(part.index, status, error))
    return changes


def _read(record: ImportRecord, loop: PartLoopResult, deps: FinalizerDeps) -> LoyaltyImport | None:
    try:
        final = polled(loop, ImportStatus.IMPORTED, ImportStatus.FAILED)
        return final or deps.wix(record.site).get_import(loop.import_id)
    except WixUnavailable:
        raise  # the Finalize state retries; after that its Catch finalizes offline
    except WixError as exc:
        logger.warning('could not read a part from Wix', part=loop.part, error=str(exc))
        return None


def _why_it_ended(loop: PartLoopResult, wix_import: LoyaltyImport | None) -> tuple[PartStatus, RecordError]:
    """A part without Wix's verdict: the deadline, or the error that ended its loop."""
    if loop.error is not None:
        return PartStatus.FAILED, error_from_task(loop.error)
    status = wix_import.status.value if wix_import else (loop.poll.status if loop.poll else 'unknown')
    if loop.poll is not None and loop.poll.deadline_exceeded:
        message = f'Wix still reported {status} when the deadline passed.'
        return PartStatus.TIMED_OUT, RecordError(code=ErrorCode.DEADLINE_EXCEEDED, message=message)
    message = f'The part ended while Wix reported {status}.'
    return PartStatus.FAILED, RecordError(code=ErrorCode.UNEXPECTED_STATE, message=message)


def _copy_error_file(record: ImportRecord, import_id: str, deps: FinalizerDeps) -> str | None:
    """The part's error file beside the source under the results prefix (None if Wix will not give it)."""
    wix = deps.wix(record.site)
    try:
        content = wix.download(wix.get_error_file_url(import_id))
    except WixUnavailable:
        raise
    except WixError as exc:
        logger.warning('could not fetch a part error file from Wix', error=str(exc))
        return None
    key = results_key(deps.settings, record, f'{import_id}.errors.csv')
    return deps.storage.write(record.bucket, key, content, content_type='text/csv; charset=utf-8')


def _learn_pace(site: str, part: ImportPart, deps: FinalizerDeps) -> None:
    """The site's pace learns each imported part's parse and import, as one import's (`finalizer`)."""
    rows = part.parse_result.parsed_row_count if part.parse_result else None
    try:
        pace = pacing.learn(deps.paces.get(site), part.wix_times, size_bytes=part.bytes, rows=rows)
        deps.paces.put(site, pace)
    except RecordStoreError as exc:
        logger.warning('could not store the site pace', error=str(exc))


def _output(record: ImportRecord, *, notified: bool) -> FinalizerOutput:
    return FinalizerOutput(
        source_id=record.pk, import_id=record.wix_import_id, status=record.status, notified=notified
    )


__all__ = ['PartLoopResult', 'PartsFinalizerInput', 'finalize_parts']
