"""The state machine's Finalize step: the import's final record, Wix's error file, one notification.

Reached when Wix reports IMPORTED or FAILED, when the deadline passes (TIMED_OUT), or from a Catch
with the error that ended the loop. A second run (Step Functions retry, a redelivered task) finds
the record already notified and sends nothing. With `finalizeError` set (the Finalize state's own
Catch) it finishes from what the record knows, without calling Wix, so even a Wix outage ends
with a record and a notification.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import partial

from loyalty_import.pipeline import codes, pacing, transitions
from loyalty_import.pipeline.clock import Clock
from loyalty_import.pipeline.codes import ErrorCode
from loyalty_import.pipeline.errors import RecordNotFound, RecordStoreError
from loyalty_import.pipeline.guards import fingerprints
from loyalty_import.pipeline.guards.verification import VerifyDeps, verify_import
from loyalty_import.pipeline.models import (
    FinalizerInput,
    FinalizerOutput,
    ImportRecord,
    RecordError,
    RecordStatus,
    TaskError,
)
from loyalty_import.pipeline.observability import bind_import, logger
from loyalty_import.pipeline.ports import Notifier, PaceStore, RecordStore, Storage, WixProvider
from loyalty_import.pipeline.results import results_key
from loyalty_import.pipeline.settings import FinalizerSettings
from loyalty_import.pipeline.steps.poller import polled
from loyalty_import.wix.errors import WixError, WixUnavailable
from loyalty_import.wix.models import ImportStatus, LoyaltyImport


@dataclass
class FinalizerDeps:
    settings: FinalizerSettings
    records: RecordStore
    notifier: Notifier
    storage: Storage
    wix: WixProvider
    paces: PaceStore
    clock: Clock = field(default_factory=Clock)


def error_from_task(error: TaskError) -> RecordError:
    """A Catch's {Error, Cause} as the record's {code, message}."""
    message = error.cause or error.error
    try:
        cause = json.loads(error.cause or '')
    except ValueError:
        cause = None
    if isinstance(cause, dict):
        message = str(cause.get('errorMessage') or message)
        if error.error == codes.IMPORT_ABORTED and ':' in message:
            # ImportAborted's message is "<CODE>: <explanation>" (see errors.ImportAborted).
            code, _, explanation = message.partition(':')
            return RecordError(code=code.strip(), message=explanation.strip()[:1000])
    return RecordError(
        code=codes.code_for_error_name(error.error),
        message=f'{error.error}: {message}'[:1000],
    )


def finalize_import(task: FinalizerInput, deps: FinalizerDeps) -> FinalizerOutput:
    bind_import(task.import_id, source_id=task.source_id)
    record = deps.records.get(task.source_id)
    if record is None:
        raise RecordNotFound(task.source_id)
    if record.notified_at is not None and record.notification_pending:
        # A Finalize that claimed the notification was killed before it published: send it.
        saved, notified = transitions.finish(
            record, records=deps.records, notifier=deps.notifier, now=deps.clock.now
        )
        window = deps.settings.reimport_window_days
        fingerprints.mark_imported(saved, records=deps.records, window_days=window)
        return _output(saved, notified=notified)
    if record.notified_at is not None:
        logger.info('import already finalized', status=record.status.value)
        return _output(record, notified=False)
    offline = task.finalize_error is not None
    wix_import: LoyaltyImport | None = None
    wix_failure: RecordError | None = None
    if not offline:
        try:
            final = polled(task, ImportStatus.IMPORTED, ImportStatus.FAILED)
            wix_import = final or deps.wix(record.site).get_import(task.import_id)
        except WixUnavailable:
            raise  # the Finalize state retries; after that its Catch finalizes offline
        except WixError as exc:
            wix_failure = RecordError(code=codes.code_for_exception(exc), message=exc.message)
    error_file = None
    if wix_import is not None and _has_error_file(wix_import) and not record.error_file:
        error_file = _copy_error_file(record, wix_import.id, deps)
    changes = [transitions.wix_state(wix_import)] if wix_import is not None else []
    changes.append(transitions.error_file_copied(error_file))
    if wix_import is not None and wix_import.status is ImportStatus.IMPORTED and record.verification is None:
        changes.append(
            transitions.verified(
                verify_import(record, error_file or record.error_file, _verify(record, deps))
            )
        )
    changes.append(transitions.decided(lambda current: _decide(current, task, wix_import, wix_failure)))
    saved, notified = transitions.finish(
        record, *changes, records=deps.records, notifier=deps.notifier, now=deps.clock.now
    )
    # IMPORTED: its balances are marked imported (the re-import window starts at its end).
    fingerprints.mark_imported(saved, records=deps.records, window_days=deps.settings.reimport_window_days)
    if saved.status is RecordStatus.IMPORTED:
        _learn_pace(saved, deps)
    return _output(saved, notified=notified)


def _learn_pace(record: ImportRecord, deps: FinalizerDeps) -> None:
    """The site's pace learns this import's parse and import times (the next imports' schedule)."""
    site = record.site
    rows = record.parse_result.parsed_row_count if record.parse_result else None
    try:
        pace = pacing.learn(
            deps.paces.get(site), record.wix_times, size_bytes=record.normalized_size, rows=rows
        )
        deps.paces.put(site, pace)
    except RecordStoreError as exc:  # an estimate lost: the import itself is recorded and notified
        logger.warning('could not store the site pace', error=str(exc))


def _verify(record: ImportRecord, deps: FinalizerDeps) -> VerifyDeps:
    settings = deps.settings
    return VerifyDeps(
        storage=deps.storage,
        wix=partial(deps.wix, record.site),
        clock=deps.clock,
        sample_size=settings.verify_sample_size,
        retry_s=settings.verify_retry_seconds,
    )


def _has_error_file(wix_import: LoyaltyImport) -> bool:
    return bool(wix_import.import_result and wix_import.import_result.error_file_exists)


def _copy_error_file(record: ImportRecord, import_id: str, deps: FinalizerDeps) -> str | None:
    """Copy Wix's error file beside the source under the results prefix; None if Wix will not give it."""
    wix = deps.wix(record.site)
    try:
        content = wix.download(wix.get_error_file_url(import_id))
    except WixUnavailable:
        raise  # retried by the Finalize state
    except WixError as exc:
        logger.warning('could not fetch the error file from Wix', error=str(exc))
        return None
    key = results_key(deps.settings, record, f'{import_id}.errors.csv')
    uri = deps.storage.write(record.bucket, key, content, content_type='text/csv; charset=utf-8')
    logger.info('error file copied', error_file=uri, size=len(content))
    return uri


def _decide(
    record: ImportRecord,
    task: FinalizerInput,
    wix_import: LoyaltyImport | None,
    wix_failure: RecordError | None,
) -> tuple[RecordStatus, RecordError | None]:
    # Wix's own verdict wins: an import that finished as the deadline passed is reported as finished.
    if wix_import is not None and wix_import.status is ImportStatus.IMPORTED:
        return RecordStatus.IMPORTED, None
    if wix_import is not None and wix_import.status is ImportStatus.FAILED:
        reason = wix_import.parse_result.parse_error_reason if wix_import.parse_result else None
        # PARSED is recorded just before execute: an execute whose answer never came may have run.
        maybe_executed = record.executed_at is not None or record.status is RecordStatus.PARSED
        if reason or not maybe_executed:
            return RecordStatus.FAILED, RecordError(
                code=ErrorCode.WIX_PARSE_FAILED, message=reason or 'Wix could not parse the file.'
            )
        return RecordStatus.FAILED, RecordError(
            code=ErrorCode.WIX_IMPORT_FAILED, message='Wix reported the import FAILED.'
        )
    if record.error is not None:
        return RecordStatus.FAILED, record.error
    if record.executed_at is not None and wix_import is None and _wix_was_unreachable(task):
        # Executed, then Wix stopped answering: it may well finish the import. Saying FAILED would
        # send someone to re-drop a file whose balances Wix is setting; say what is known instead.
        error = task.error or task.finalize_error
        return RecordStatus.TIMED_OUT, RecordError(
            code=ErrorCode.WIX_UNAVAILABLE,
            message='The import was executed, then Wix stopped answering before it reported the end'
            + (f' ({error.error}).' if error else '.'),
        )
    if task.error is not None:
        return RecordStatus.FAILED, error_from_task(task.error)
    if task.poll is not None and task.poll.deadline_exceeded:
        status = wix_import.status.value if wix_import else task.poll.status
        return RecordStatus.TIMED_OUT, RecordError(
            code=ErrorCode.DEADLINE_EXCEEDED, message=f'Wix still reported {status} when the deadline passed.'
        )
    if task.finalize_error is not None:
        return RecordStatus.FAILED, error_from_task(task.finalize_error)
    if wix_failure is not None:
        return RecordStatus.FAILED, wix_failure
    status = wix_import.status.value if wix_import else 'unknown'
    return RecordStatus.FAILED, RecordError(
        code=ErrorCode.UNEXPECTED_STATE, message=f'Finalize was reached while Wix reported {status}.'
    )


def _wix_was_unreachable(task: FinalizerInput) -> bool:
    """The loop ended because Wix (or the way to it) kept failing, not because of a verdict."""
    if task.error is not None:
        return task.error.error in codes.WIX_UNREACHABLE_ERROR_NAMES
    return task.finalize_error is not None


def _output(record: ImportRecord, *, notified: bool) -> FinalizerOutput:
    return FinalizerOutput(
        source_id=record.pk, import_id=record.wix_import_id, status=record.status, notified=notified
    )
