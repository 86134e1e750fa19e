"""Ending an import: write its final status and send its one notification, exactly once.

Every path that ends an import (a refusal, a dry run, Wix's verdict, the deadline, an error) goes
through `finish`, whether the importer, the executor or the finalizer gets there, and however
often Lambda or Step Functions retry it. The record's `notifiedAt` is claimed with a conditional
write (optimistic locking) before the message goes out, so a repeat finds it set and sends nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from loyalty_import.pipeline.errors import ConcurrentUpdate, PipelineError, RecordNotFound
from loyalty_import.pipeline.models import ErrorCode, ImportRecord, RecordError, RecordStatus
from loyalty_import.pipeline.notifications import build_notification
from loyalty_import.pipeline.observability import Metric, MetricUnit, logger, metrics
from loyalty_import.pipeline.ports import Notifier, RecordStore

MAX_WRITE_ATTEMPTS = 5

_OUTCOME_METRIC = {
    RecordStatus.IMPORTED: Metric.IMPORTS_IMPORTED,
    RecordStatus.FAILED: Metric.IMPORTS_FAILED,
    RecordStatus.REJECTED: Metric.IMPORTS_REJECTED,
    RecordStatus.TIMED_OUT: Metric.IMPORTS_TIMED_OUT,
    RecordStatus.DRY_RUN: Metric.IMPORTS_DRY_RUN,
}


def finish(
    record: ImportRecord,
    apply: Callable[[ImportRecord], None],
    *,
    records: RecordStore,
    notifier: Notifier,
    now: Callable[[], dt.datetime],
) -> tuple[ImportRecord, bool]:
    """Apply the final state to the record, save it and notify once.

    `apply` sets the final status (and results) on the latest copy of the record; it may run again
    on a fresh copy when someone else wrote the record in between. Returns the saved record and
    whether this call sent the notification (False: an earlier call already did).
    """
    current = record
    for _ in range(MAX_WRITE_ATTEMPTS):
        if current.notified_at is not None:
            logger.info('import already finished and notified', status=current.status.value)
            return current, False
        apply(current)
        if not current.is_final:
            raise ValueError(f'finish() needs a final status, got {current.status}')
        at = now()
        current.finished_at = at
        started = current.s3_event_time or current.created_at
        current.duration_seconds = round(max(0.0, (at - started).total_seconds()), 3)
        current.notified_at = at
        try:
            saved = records.save(current)
        except ConcurrentUpdate:
            fresh = records.get(current.pk)
            if fresh is None:
                raise RecordNotFound(current.pk) from None
            current = fresh
            continue
        _notify(saved, records=records, notifier=notifier)
        _emit_outcome_metrics(saved)
        return saved, True
    raise ConcurrentUpdate(f'record {record.pk} kept changing; giving up after {MAX_WRITE_ATTEMPTS} attempts')


def _notify(record: ImportRecord, *, records: RecordStore, notifier: Notifier) -> None:
    notification = build_notification(record)
    try:
        message_id = notifier.publish(notification)
    except PipelineError:
        # Give the claim back so the retry that follows this exception sends the notification.
        record.notified_at = None
        try:
            records.save(record)
        except PipelineError:
            logger.exception('could not release the notification claim', source_id=record.pk)
        raise
    logger.info(
        'import finished',
        status=record.status.value,
        subject=notification.subject,
        message_id=message_id,
        error_code=record.error.code if record.error else None,
    )


def _emit_outcome_metrics(record: ImportRecord) -> None:
    metrics.add_metric(name=_OUTCOME_METRIC[record.status], unit=MetricUnit.Count, value=1)
    if record.import_result is not None:
        metrics.add_metric(
            name=Metric.ROWS_IMPORTED, unit=MetricUnit.Count, value=record.import_result.success_count or 0
        )
        metrics.add_metric(
            name=Metric.ROWS_FAILED, unit=MetricUnit.Count, value=record.import_result.failure_count or 0
        )
    if record.duration_seconds is not None:
        metrics.add_metric(
            name=Metric.END_TO_END_DURATION, unit=MetricUnit.Seconds, value=record.duration_seconds
        )


def update_record(
    record: ImportRecord,
    mutate: Callable[[ImportRecord], None],
    *,
    records: RecordStore,
) -> ImportRecord:
    """Apply `mutate` and save; on a concurrent write, re-read and apply it to the fresh copy.

    A record that another writer has meanwhile ended (Finalize ran while an importer retry was
    still at work) is returned as it is: an in-flight step must never reopen a final record.
    """
    current = record
    for _ in range(MAX_WRITE_ATTEMPTS):
        mutate(current)
        try:
            return records.save(current)
        except ConcurrentUpdate:
            fresh = records.get(current.pk)
            if fresh is None:
                raise RecordNotFound(current.pk) from None
            if fresh.is_final:
                return fresh
            current = fresh
    raise ConcurrentUpdate(f'record {record.pk} kept changing; giving up after {MAX_WRITE_ATTEMPTS} attempts')


def fail_with(
    code: str, message: str, *, status: RecordStatus = RecordStatus.FAILED
) -> Callable[[ImportRecord], None]:
    """An `apply` for `finish` that ends the import with an error a person can read."""

    def apply(record: ImportRecord) -> None:
        record.error = RecordError(code=code, message=message[:1000])
        record.move_to(status, note=code)

    return apply


# Error class name -> the record's error code. By name, because errors cross Step Functions as
# {"Error": "<class name>"}: the finalizer maps a Catch's error with the same table.
ERROR_CODES_BY_CLASS: dict[str, str] = {
    'WixAuthError': ErrorCode.WIX_AUTH_FAILED.value,
    'WixNotFound': ErrorCode.WIX_NOT_FOUND.value,
    'WixValidationError': ErrorCode.WIX_REJECTED_REQUEST.value,
    'WixRateLimited': ErrorCode.WIX_UNAVAILABLE.value,
    'WixUnavailable': ErrorCode.WIX_UNAVAILABLE.value,
    'InvalidWixSecret': ErrorCode.WIX_CREDENTIALS_INVALID.value,
    'InvalidCredentials': ErrorCode.WIX_CREDENTIALS_INVALID.value,
}


def error_code_for_wix(exc: Exception) -> str:
    """The record's error code for a Wix client or credentials error (its class or a base class)."""
    for klass in type(exc).__mro__:
        if klass.__name__ in ERROR_CODES_BY_CLASS:
            return ERROR_CODES_BY_CLASS[klass.__name__]
    return 'WIX_ERROR'
