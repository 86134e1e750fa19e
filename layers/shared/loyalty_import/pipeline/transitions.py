"""The one owner of the import record's transitions: every step asks this module to move the record.

A step describes what changes as `Change`s (small functions of the record, built here) and hands
them to `advance` (the record stays in flight) or `finish` (it ends: final status, one
notification). Both write with optimistic locking; when another writer got there first they re-read
the record and apply the same changes to the fresh copy, so nothing a step meant to record is lost,
and an in-flight step never reopens a record another writer has meanwhile ended.

`finish` is the one way an import ends (a refusal, a dry run, Wix's verdict, the deadline, an
error), whichever step gets there and however often Lambda or Step Functions retry it. The
record's `notifiedAt` is claimed with that same conditional write before the message goes out, so
a repeat finds it set and sends nothing; the claim is marked `notificationPending` until the
publish is confirmed by a second write, so an invocation killed between its claim and its publish
(a timeout: no `except` runs) leaves a claim the next finisher (Lambda's retry, the state machine's
Catch) sends. A kill after the publish and before its confirmation sends it twice: the one window
a standard SNS topic, which cannot deduplicate, leaves open.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence

from loyalty_import.pipeline import codes, import_parts
from loyalty_import.pipeline.errors import (
    ConcurrentUpdate,
    PipelineError,
    RecordNotFound,
    ReviewAlreadyDecided,
)
from loyalty_import.pipeline.models import (
    BalanceShift,
    ImportPart,
    ImportRecord,
    ImportResult,
    InspectionOutcome,
    Overrides,
    ParseResult,
    PartStatus,
    RecordError,
    RecordStatus,
    RememberedLayout,
    Review,
    ReviewDecision,
    SnapshotSummary,
    Verification,
)
from loyalty_import.pipeline.notifications import build_notification
from loyalty_import.pipeline.observability import Metric, MetricUnit, add_site_metric, logger, metrics
from loyalty_import.pipeline.ports import Notifier, RecordStore
from loyalty_import.wix.models import ImportStatus, LoyaltyImport

MAX_WRITE_ATTEMPTS = 5
MAX_ERROR_MESSAGE = 1000

# Sets part of the record; may run again on a fresh copy after a concurrent write.
Change = Callable[[ImportRecord], None]

_OUTCOME_METRIC = {
    RecordStatus.IMPORTED: Metric.IMPORTS_IMPORTED,
    RecordStatus.FAILED: Metric.IMPORTS_FAILED,
    RecordStatus.REJECTED: Metric.IMPORTS_REJECTED,
    RecordStatus.TIMED_OUT: Metric.IMPORTS_TIMED_OUT,
    RecordStatus.DRY_RUN: Metric.IMPORTS_DRY_RUN,
    RecordStatus.REVIEW_REJECTED: Metric.IMPORTS_REVIEW_REJECTED,
    RecordStatus.REVIEW_EXPIRED: Metric.IMPORTS_REVIEW_EXPIRED,
}


# ---------------------------------------------------------------------------- writing the record


def advance(record: ImportRecord, *changes: Change, records: RecordStore) -> ImportRecord:
    """Apply the changes and save; on a concurrent write, re-read and apply them to the fresh copy.

    A record that another writer has meanwhile ended (Finalize ran while an importer retry was
    still at work) is returned as it is: an in-flight step must never reopen a final record.
    """
    return _write(record, changes, records=records, stop_at_final=True)


def finish(
    record: ImportRecord,
    *changes: Change,
    records: RecordStore,
    notifier: Notifier,
    now: Callable[[], dt.datetime],
) -> tuple[ImportRecord, bool]:
    """Apply the changes (which set a final status), claim the notification, save, notify once.

    Without changes the record must already be final (its notification failed and was released).
    Returns the saved record and whether this call sent the notification (False: an earlier call
    already did).
    """
    current = record
    for _ in range(MAX_WRITE_ATTEMPTS):
        if current.notified_at is not None and current.notification_pending:
            # Claimed by an invocation that ended before it published: send it now, as claimed.
            logger.warning('notification claimed but never sent; sending it now', source_id=current.pk)
            return _notify_and_confirm(current, records=records, notifier=notifier), True
        if current.notified_at is not None:
            logger.info('import already finished and notified', status=current.status.value)
            return current, False
        _apply(current, changes)
        if not current.is_final:
            raise ValueError(f'finish() needs a final status, got {current.status}')
        _claim_notification(current, now())
        try:
            saved = records.save(current)
        except ConcurrentUpdate:
            current = _reread(records, current.pk)
            continue
        return _notify_and_confirm(saved, records=records, notifier=notifier), True
    raise _kept_changing(record)


def notification_unsent(record: ImportRecord) -> bool:
    """Ended, and its notification still to send (never claimed, released, or claimed and not sent)."""
    return record.is_final and (record.notified_at is None or bool(record.notification_pending))


def _notify_and_confirm(record: ImportRecord, *, records: RecordStore, notifier: Notifier) -> ImportRecord:
    if record.parent is None:
        _notify(record, records=records, notifier=notifier)
        _emit_outcome_metrics(record)
    else:  # a part's own record: the file's record notifies once for every part
        logger.info('part ended', status=record.status.value, parent=record.parent)
    try:
        return _write(record, [_confirm_notification], records=records, stop_at_final=False)
    except PipelineError:
        # Sent: raising would have a retry send it again. The record stays marked pending.
        logger.exception('could not confirm the notification was sent', source_id=record.pk)
        return record


def _write(
    record: ImportRecord, changes: Iterable[Change], *, records: RecordStore, stop_at_final: bool
) -> ImportRecord:
    current = record
    for _ in range(MAX_WRITE_ATTEMPTS):
        _apply(current, changes)
        try:
            return records.save(current)
        except ConcurrentUpdate:
            current = _reread(records, current.pk)
            if stop_at_final and current.is_final:
                return current
    raise _kept_changing(record)


def _apply(record: ImportRecord, changes: Iterable[Change]) -> None:
    for change in changes:
        change(record)


def _reread(records: RecordStore, source_id: str) -> ImportRecord:
    fresh = records.get(source_id)
    if fresh is None:
        raise RecordNotFound(source_id) from None
    return fresh


def _kept_changing(record: ImportRecord) -> ConcurrentUpdate:
    return ConcurrentUpdate(
        f'record {record.pk} kept changing; giving up after {MAX_WRITE_ATTEMPTS} attempts'
    )


def _claim_notification(record: ImportRecord, at: dt.datetime) -> None:
    record.finished_at = at
    started = record.s3_event_time or record.created_at
    record.duration_seconds = round(max(0.0, (at - started).total_seconds()), 3)
    record.notified_at = at
    record.notification_pending = True


def _confirm_notification(record: ImportRecord) -> None:
    record.notification_pending = None


def _release_notification(record: ImportRecord) -> None:
    record.notified_at = None
    record.notification_pending = None


def _notify(record: ImportRecord, *, records: RecordStore, notifier: Notifier) -> None:
    notification = build_notification(record)
    try:
        message_id = notifier.publish(notification)
    except PipelineError:
        # Give the claim back so the retry that follows this exception sends the notification.
        try:
            _write(record, [_release_notification], records=records, stop_at_final=False)
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
    add_site_metric(_OUTCOME_METRIC[record.status], MetricUnit.Count, 1, record.site)
    if record.import_result is not None:
        rows = record.import_result.success_count or 0
        metrics.add_metric(name=Metric.ROWS_IMPORTED, unit=MetricUnit.Count, value=rows)
        add_site_metric(Metric.ROWS_IMPORTED, MetricUnit.Count, rows, record.site)
        metrics.add_metric(
            name=Metric.ROWS_FAILED, unit=MetricUnit.Count, value=record.import_result.failure_count or 0
        )
    if record.duration_seconds is not None:
        metrics.add_metric(
            name=Metric.END_TO_END_DURATION, unit=MetricUnit.Seconds, value=record.duration_seconds
        )


# ---------------------------------------------------------------------------- the changes


def file_read(
    *, size: int, sha256: str, overrides: Overrides, dry_run: bool, reimport: bool = False
) -> Change:
    """What reading the source object taught: its size, hash and per-file controls."""
    named = overrides if overrides.email_column is not None or overrides.points_column is not None else None

    def change(record: ImportRecord) -> None:
        record.size = size
        record.sha256 = sha256
        record.dry_run = dry_run
        record.reimport = reimport
        record.overrides = named

    return change


def inspected(
    inspection: InspectionOutcome,
    *,
    expected_sample_rows: list[list[str]],
    normalized_sha256: str,
    content_fingerprint: str | None = None,
) -> Change:
    """The inspection's mapping and summary, what Wix must report back after parsing, and the
    fingerprint of the balances the file sets (`pipeline.guards.fingerprints`)."""

    def change(record: ImportRecord) -> None:
        record.mapping = inspection.mapping
        record.preflight = inspection.preflight
        record.expected_header = inspection.normalized_header
        record.expected_sample_rows = expected_sample_rows
        record.normalized_size = len(inspection.normalized_content)
        record.normalized_sha256 = normalized_sha256
        record.content_fingerprint = content_fingerprint

    return change


def create_attempted(at: dt.datetime, file_path: str) -> Change:
    """A Wix create from `file_path` is about to be sent: a retry that finds this (and no import id)
    looks for an import of that upload (or an earlier attempt's) first."""

    def change(record: ImportRecord) -> None:
        record.create_attempted_at = at
        if file_path not in record.create_file_paths:
            record.create_file_paths = [*record.create_file_paths, file_path]

    return change


def wix_state(wix_import: LoyaltyImport) -> Change:
    """Copy what Wix reports about the import onto the record."""

    def change(record: ImportRecord) -> None:
        _copy_wix_state(record, wix_import)

    return change


def _copy_wix_state(target: ImportRecord | ImportPart, wix_import: LoyaltyImport) -> None:
    """Wix's status, parse and import results onto a record or a part, and the times it entered each
    status: the first `updatedDate` seen in a status is when Wix entered it (later reads repeat it)."""
    target.wix_status = wix_import.status.value
    if wix_import.created_date is not None:
        target.wix_times.setdefault('CREATED', wix_import.created_date)
    if wix_import.updated_date is not None:
        target.wix_times.setdefault(wix_import.status.value, wix_import.updated_date)
    if wix_import.parse_result is not None:
        target.parse_result = ParseResult(
            parsed_row_count=wix_import.parse_result.parsed_row_count,
            parse_error_reason=wix_import.parse_result.parse_error_reason,
        )
    if wix_import.import_result is not None:
        target.import_result = ImportResult(
            success_count=wix_import.import_result.success_count,
            failure_count=wix_import.import_result.failure_count,
            error_file_exists=wix_import.import_result.error_file_exists,
        )


def created(wix_import: LoyaltyImport, *, at: dt.datetime) -> Change:
    """The Wix import exists (CREATED: Wix is parsing the file)."""
    remember = wix_state(wix_import)

    def change(record: ImportRecord) -> None:
        record.wix_import_id = wix_import.id
        remember(record)
        record.move_to(RecordStatus.CREATED, at=at)

    return change


def parsed(wix_import: LoyaltyImport, *, at: dt.datetime) -> Change:
    """Wix parsed the file and the cross-check passed (recorded just before execute)."""
    remember = wix_state(wix_import)

    def change(record: ImportRecord) -> None:
        remember(record)
        record.move_to(RecordStatus.PARSED, at=at)

    return change


def executed(wix_import: LoyaltyImport, *, at: dt.datetime) -> Change:
    """Wix accepted the execute (IMPORTING: the state machine polls until Wix finishes)."""
    remember = wix_state(wix_import)

    def change(record: ImportRecord) -> None:
        record.executed_at = at
        remember(record)
        record.move_to(RecordStatus.IMPORTING, at=at)

    return change


def execution_started(name: str, arn: str | None) -> Change:
    """The state machine execution that follows the import (its ARN, unless a redelivery started it)."""

    def change(record: ImportRecord) -> None:
        record.execution_name = name
        record.execution_arn = arn or record.execution_arn

    return change


def upload_kept(uri: str) -> Change:
    """The uploaded email/points pairs are kept under the results prefix (snapshot, verification)."""

    def change(record: ImportRecord) -> None:
        record.upload_file = uri

    return change


def snapshot_progress_kept(uri: str) -> Change:
    """A balance snapshot too long for one invocation saved its progress here (it resumes from it)."""

    def change(record: ImportRecord) -> None:
        record.snapshot_progress = uri

    return change


def snapshot_taken(
    snapshot: SnapshotSummary, *, undo_file: str, shift: BalanceShift, undo_sha256: str | None = None
) -> Change:
    """The balances before execute were read: the undo file (and its hash), how the file moves them."""

    def change(record: ImportRecord) -> None:
        record.snapshot = snapshot
        record.undo_file = undo_file
        record.undo_sha256 = undo_sha256
        record.balance_shift = shift

    return change


def verified(verification: Verification | None) -> Change:
    """The balances read back after IMPORTED, compared with the file (None: not checked)."""

    def change(record: ImportRecord) -> None:
        if verification is not None:
            record.verification = verification

    return change


def failed(code: str, message: str) -> Change:
    """End with an error a person can read, in the final status its code stands for (`codes`)."""
    meaning = codes.info(code)
    error = RecordError(code=code, message=message[:MAX_ERROR_MESSAGE])
    return ended(meaning.status if meaning else RecordStatus.FAILED, error)


def rejected(code: str, message: str, *, report: str) -> Change:
    """The inspection refused the file; `report` is the refusal report written beside it."""
    error = RecordError(code=code, message=message)

    def change(record: ImportRecord) -> None:
        record.report = report
        ended(RecordStatus.REJECTED, error)(record)

    return change


def dry_run() -> Change:
    return ended(RecordStatus.DRY_RUN, None)


def ended(status: RecordStatus, error: RecordError | None) -> Change:
    """A final status, with the error that explains it (if any) as its history note."""

    def change(record: ImportRecord) -> None:
        if error is not None:
            record.error = error
        record.move_to(status, note=error.code if error else None)

    return change


def error_file_copied(uri: str | None) -> Change:
    def change(record: ImportRecord) -> None:
        if uri:
            record.error_file = uri

    return change


def decided(decide: Callable[[ImportRecord], tuple[RecordStatus, RecordError | None]]) -> Change:
    """A final status chosen from the record as it is when written (re-decided on a fresh copy)."""

    def change(record: ImportRecord) -> None:
        ended(*decide(record))(record)

    return change


# ---------------------------------------------------------------------------- a person's review


def awaiting_review(review: Review, *, at: dt.datetime) -> Change:
    """The file needs a person: nothing goes to Wix until the review is approved."""

    def change(record: ImportRecord) -> None:
        record.review = review.model_copy(update={'requested_at': at})
        first = review.reasons[0].code if review.reasons else None
        record.move_to(RecordStatus.AWAITING_REVIEW, at=at, note=first)

    return change


def review_started(name: str, arn: str | None) -> Change:
    def change(record: ImportRecord) -> None:
        if record.review is not None:
            record.review.execution_name = name
            record.review.execution_arn = arn or record.review.execution_arn

    return change


def review_opened(*, token_hash: str, csrf: str, task_token: str, expires_at: dt.datetime) -> Change:
    """A link was made for the waiting execution (a new one replaces any earlier, unsent one)."""

    def change(record: ImportRecord) -> None:
        if record.review is not None:
            record.review.token_hash = token_hash
            record.review.csrf = csrf
            record.review.task_token = task_token
            record.review.expires_at = expires_at
            record.review.link_sent_at = None

    return change


def review_task(task_token: str) -> Change:
    """The waiting execution's callback token (when a decision came before any link was made)."""

    def change(record: ImportRecord) -> None:
        if record.review is not None:
            record.review.task_token = task_token

    return change


def review_link_sent(at: dt.datetime) -> Change:
    def change(record: ImportRecord) -> None:
        if record.review is not None:
            record.review.link_sent_at = at

    return change


def review_decided(decision: ReviewDecision) -> Change:
    """A person's decision, recorded once: on a fresh copy that already holds one, it raises."""

    def change(record: ImportRecord) -> None:
        review = record.review
        if review is None or review.decision is not None or record.is_final:
            raise ReviewAlreadyDecided(record.pk)
        review.decision = decision
        if decision.action == 'approve':
            record.overrides = Overrides(
                email_column=decision.email_column, points_column=decision.points_column
            )

    return change


def review_handed_over(at: dt.datetime) -> Change:
    def change(record: ImportRecord) -> None:
        if record.review is not None:
            record.review.handed_over_at = at

    return change


def review_expired(message: str) -> Change:
    """Nobody decided in time: REVIEW_EXPIRED, unless a decision is on the fresh copy (it raises)."""

    def change(record: ImportRecord) -> None:
        if record.review is not None and record.review.decision is not None:
            raise ReviewAlreadyDecided(record.pk)
        failed(codes.ErrorCode.REVIEW_EXPIRED, message)(record)

    return change


def layout_recalled(layout: RememberedLayout, reason: str) -> Change:
    """A remembered layout chose the columns (and this file's content passed the checks)."""

    def change(record: ImportRecord) -> None:
        record.approved_layout = f'{reason} (layout {layout.layout_id}, from {layout.file_name})'

    return change


# ---------------------------------------------------------------------------- a file of several Wix imports
# (docs/large-files.md). The record's top-level `wixImportId` is set, to the FIRST part's, only once
# every part is created: the importer creates while it is None, so a redelivery finishes the creates.

_PART_STATUS_OF_WIX = {
    ImportStatus.PARSED: PartStatus.CREATED,
    ImportStatus.IMPORTING: PartStatus.IMPORTING,
    ImportStatus.IMPORTED: PartStatus.IMPORTED,
    ImportStatus.FAILED: PartStatus.FAILED,
}


def parts_planned(parts: Sequence[ImportPart]) -> Change:
    """The file's parts, their uploads written and nothing created yet. A record that already has
    parts keeps them (a redelivery re-plans the same file and must not forget a created import)."""
    planned = [part.model_copy(deep=True) for part in parts]

    def change(record: ImportRecord) -> None:
        if not record.parts:
            record.parts = [part.model_copy(deep=True) for part in planned]

    return change


def part_of(record: ImportRecord, index: int) -> ImportPart:
    """The record's part `index` (1-based)."""
    for part in record.parts or []:
        if part.index == index:
            return part
    raise PipelineError(f'record {record.pk} has no part {index}')


def part_create_attempted(index: int, at: dt.datetime, file_path: str) -> Change:
    """Part `index`'s create from `file_path` is about to be sent (adopted as `create_attempted`)."""

    def change(record: ImportRecord) -> None:
        part = part_of(record, index)
        part.create_attempted_at = at
        if file_path not in part.create_file_paths:
            part.create_file_paths = [*part.create_file_paths, file_path]

    return change


def part_created(index: int, wix_import: LoyaltyImport, *, at: dt.datetime) -> Change:
    """Part `index`'s Wix import exists. The last part created makes the record CREATED, with the
    first part's id as its `wixImportId`."""
    remember = part_wix_state(index, wix_import)

    def change(record: ImportRecord) -> None:
        part = part_of(record, index)
        if part.wix_import_id not in {None, wix_import.id}:
            raise PipelineError(
                f'part {index} of {record.pk} already has the Wix import {part.wix_import_id}'
            )
        part.wix_import_id = wix_import.id
        remember(record)
        parts = record.parts or []
        if all(each.wix_import_id for each in parts):
            first = min(parts, key=lambda each: each.index)
            record.wix_import_id = first.wix_import_id
            record.move_to(RecordStatus.CREATED, at=at)

    return change


def part_wix_state(index: int, wix_import: LoyaltyImport) -> Change:
    """What Wix reports about part `index`'s import, onto the part (its status follows Wix's end)."""

    def change(record: ImportRecord) -> None:
        part = part_of(record, index)
        _copy_wix_state(part, wix_import)
        status = _PART_STATUS_OF_WIX.get(wix_import.status)
        if status is not None and not part.status.is_final:
            part.status = status
        if part.status is PartStatus.FAILED and part.error is None:
            reason = part.parse_result.parse_error_reason if part.parse_result else None
            code = codes.ErrorCode.WIX_PARSE_FAILED if reason else codes.ErrorCode.WIX_IMPORT_FAILED
            part.error = RecordError(code=code, message=reason or 'Wix reported the import FAILED.')

    return change


def part_executed(index: int, wix_import: LoyaltyImport, *, at: dt.datetime) -> Change:
    """Wix accepted part `index`'s execute."""
    remember = part_wix_state(index, wix_import)

    def change(record: ImportRecord) -> None:
        part = part_of(record, index)
        part.executed_at = part.executed_at or at
        remember(record)
        if not part.status.is_final:
            part.status = PartStatus.IMPORTING

    return change


def part_ended(index: int, status: PartStatus, error: RecordError | None) -> Change:
    """Part `index` ended without Wix's verdict (the deadline, an error that ended its loop)."""

    def change(record: ImportRecord) -> None:
        part = part_of(record, index)
        if part.status.is_final:  # Wix's own verdict, once read, wins
            return
        part.status = status
        part.error = (
            RecordError(code=error.code, message=error.message[:MAX_ERROR_MESSAGE]) if error else None
        )

    return change


def part_error_file(index: int, uri: str | None) -> Change:
    """Part `index`'s Wix error file, copied beside the source (None: Wix would not give it)."""

    def change(record: ImportRecord) -> None:
        if uri:
            part_of(record, index).error_file = uri

    return change


def part_counts(part: ImportPart) -> Change:
    """A part's own record gets what Wix reported of its import (as recorded on the file's part)."""

    def change(record: ImportRecord) -> None:
        record.wix_status = part.wix_status or record.wix_status
        record.parse_result = part.parse_result or record.parse_result
        record.import_result = part.import_result or record.import_result
        record.error_file = part.error_file or record.error_file

    return change


def parts_summed() -> Change:
    """The file's counts from its parts (Wix's parse and import counts summed), before `parts_decided`."""

    def change(record: ImportRecord) -> None:
        parts = record.parts or []
        record.import_result = import_parts.summed_result(parts)
        record.parse_result = ParseResult(parsed_row_count=import_parts.parsed_rows(parts))
        error_files = [part.error_file for part in parts if part.error_file]
        record.error_file = record.error_file or (error_files[0] if error_files else None)

    return change


def parts_decided() -> Change:
    """The file's final status from its parts (`import_parts.outcome`); for `finish`."""
    return decided(lambda record: _bounded_outcome(import_parts.outcome(record.parts or [])))


def _bounded_outcome(
    decision: tuple[RecordStatus, RecordError | None],
) -> tuple[RecordStatus, RecordError | None]:
    status, error = decision
    if error is None:
        return status, None
    return status, RecordError(code=error.code, message=error.message[:MAX_ERROR_MESSAGE])
