"""The importer: one S3 object version in, at most one Wix import out.

Per object: claim the record (conditional put: the second guard after Powertools idempotency),
read the file (bounded), run the CSV inspection, then either refuse it (REJECTED + report + notify),
dry-run it (DRY_RUN + notify) or upload it to Wix, record the import id at once, wait for Wix to
parse it as long as this invocation can afford, cross-check and execute, and hand the import to
the state machine. A redelivery finds the record and resumes or stops; it never creates a second
Wix import.

Bad data never raises (it is recorded and notified: raising would only retry it into the DLQ);
transient infrastructure failures do raise, so Lambda's async retries and the DLQ apply.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from loyalty_import.pipeline.clock import Clock
from loyalty_import.pipeline.crosscheck import preview_rows
from loyalty_import.pipeline.errors import (
    FileRefused,
    InvalidCredentials,
    ObjectTooLarge,
    RecordStoreError,
    SourceNotFound,
)
from loyalty_import.pipeline.execution import ExecutorDeps, execute_checked, remember_wix_state
from loyalty_import.pipeline.models import (
    ErrorCode,
    ExecutionInput,
    ImporterOutcome,
    ImportRecord,
    Overrides,
    RecordError,
    RecordStatus,
    SourceEvent,
)
from loyalty_import.pipeline.observability import Metric, MetricUnit, bind_import, logger, metrics
from loyalty_import.pipeline.outcome import error_code_for_wix, fail_with, finish, update_record
from loyalty_import.pipeline.ports import Inspector, Notifier, RecordStore, Storage, WixImports, Workflow
from loyalty_import.pipeline.results import results_key
from loyalty_import.pipeline.settings import Settings
from loyalty_import.wix.errors import WixError, WixUnavailable
from loyalty_import.wix.flow import upload_and_create
from loyalty_import.wix.models import ImportStatus, LoyaltyImport

# Keep this much of the invocation for executing, recording and starting the state machine.
SAFETY_MARGIN_S = 20.0
# Wix's clock and ours may differ: look this far before our own record of the create attempt.
CREATE_CLOCK_SKEW = dt.timedelta(minutes=2)
EMAIL_COLUMN_METADATA = 'email-column'
POINTS_COLUMN_METADATA = 'points-column'
DRY_RUN_METADATA = 'dry-run'
FILE_TOO_LARGE = 'FILE_TOO_LARGE'
_TRUE = {'true', '1', 'yes', 'on'}


@dataclass
class ImporterDeps:
    settings: Settings
    records: RecordStore
    notifier: Notifier
    storage: Storage
    workflow: Workflow
    inspector: Inspector
    # Built on first use: refusals and dry runs never read the Wix secret.
    wix: Callable[[], WixImports]
    clock: Clock = field(default_factory=Clock)
    safety_margin_s: float = SAFETY_MARGIN_S
    first_poll_s: float = 0.5
    max_poll_s: float = 4.0

    @property
    def executor(self) -> ExecutorDeps:
        return ExecutorDeps(records=self.records, notifier=self.notifier, wix=self.wix, clock=self.clock)


def execution_name(import_id: str) -> str:
    """The state machine execution of a Wix import: one name per import, so a redelivery cannot start
    a second one (names: at most 80 of [A-Za-z0-9-_])."""
    safe = ''.join(char if char.isalnum() or char in '-_' else '-' for char in import_id)
    return f'import-{safe}'[:80]


def overrides_from_metadata(metadata: Mapping[str, str]) -> tuple[Overrides, bool]:
    """Column overrides and dry run from the object's user metadata (x-amz-meta-email-column, ...)."""
    lowered = {name.lower(): value.strip() for name, value in metadata.items()}

    def column(name: str) -> str | int | None:
        value = lowered.get(name)
        if not value:
            return None
        return int(value) if value.isdigit() else value

    overrides = Overrides(
        email_column=column(EMAIL_COLUMN_METADATA), points_column=column(POINTS_COLUMN_METADATA)
    )
    return overrides, lowered.get(DRY_RUN_METADATA, '').lower() in _TRUE


def import_object(
    source: SourceEvent, deps: ImporterDeps, remaining_s: Callable[[], float]
) -> ImporterOutcome:
    """Process one S3 object version. Safe to call again for the same version (it resumes or stops)."""
    ref = source.ref
    bind_import(source_id=ref.source_id)
    record = ImportRecord.new(source, now=deps.clock.now())
    if not deps.records.create(record):
        existing = deps.records.get(ref.source_id)
        if existing is None:  # pragma: no cover - a record does not vanish between two calls
            raise RecordStoreError(f'record {ref.source_id} exists and does not')
        if existing.is_final and existing.notified_at is None:
            # Ended, but its notification failed (the claim was released): send it now.
            finished, _ = finish(
                existing, _keep_status, records=deps.records, notifier=deps.notifier, now=deps.clock.now
            )
            return _outcome(finished)
        if existing.is_final:
            logger.info('object version already processed', status=existing.status.value)
            return _outcome(existing, duplicate=True)
        logger.info('resuming an unfinished import', status=existing.status.value)
        record = existing
    if record.wix_import_id is None:
        created = _inspect_and_create(record, deps)
        if created.wix_import_id is None:  # ended without a Wix import (refused, dry run, failed)
            return _outcome(created)
        record = created
    bind_import(record.wix_import_id, source_id=ref.source_id)
    return _drive_to_execution(record, deps, remaining_s)


def _keep_status(record: ImportRecord) -> None:
    """An `apply` for `finish` when the record already holds its final state."""


def _outcome(record: ImportRecord, *, duplicate: bool = False) -> ImporterOutcome:
    return ImporterOutcome(
        source_id=record.pk,
        status=record.status,
        import_id=record.wix_import_id,
        duplicate=duplicate,
        execution_name=record.execution_name,
    )


def _end(
    record: ImportRecord, code: str, message: str, deps: ImporterDeps, status: RecordStatus
) -> ImportRecord:
    saved, _ = finish(
        record,
        fail_with(code, message, status=status),
        records=deps.records,
        notifier=deps.notifier,
        now=deps.clock.now,
    )
    return saved


def _inspect_and_create(record: ImportRecord, deps: ImporterDeps) -> ImportRecord:
    settings = deps.settings
    try:
        stored = deps.storage.read(
            record.bucket, record.key, record.version_id, max_bytes=settings.max_file_bytes
        )
    except SourceNotFound as exc:
        return _end(record, ErrorCode.SOURCE_NOT_FOUND, str(exc), deps, RecordStatus.FAILED)
    except ObjectTooLarge as exc:
        message = (
            f'The file is {exc.size} bytes; the most this pipeline (and Wix) accepts is {exc.limit} bytes.'
        )
        return _reject(record, FileRefused(FILE_TOO_LARGE, message), deps)
    record.size = stored.size
    record.sha256 = hashlib.sha256(stored.content).hexdigest()
    overrides, dry_run = overrides_from_metadata(stored.metadata)
    record.dry_run = dry_run
    record.overrides = (
        overrides if overrides.email_column is not None or overrides.points_column is not None else None
    )
    try:
        inspection = deps.inspector(stored.content, overrides)
    except FileRefused as refusal:
        return _reject(record, refusal, deps)
    except Exception as exc:  # noqa: BLE001 - a crash on THIS file would crash every retry: record it instead
        logger.exception('the CSV inspection crashed')
        return _end(
            record,
            ErrorCode.INSPECTION_ERROR,
            f'The file could not be inspected: {exc}',
            deps,
            RecordStatus.FAILED,
        )
    mapping = inspection.mapping
    record.mapping = mapping
    record.preflight = inspection.preflight
    record.expected_header = inspection.normalized_header
    record.expected_sample_rows = preview_rows(inspection.normalized_content)
    record.normalized_size = len(inspection.normalized_content)
    record.normalized_sha256 = hashlib.sha256(inspection.normalized_content).hexdigest()
    metrics.add_metric(
        name=Metric.MAPPING_CONFIDENCE, unit=MetricUnit.Percent, value=round(mapping.confidence * 100, 1)
    )
    logger.info(
        'mapping inferred',
        email_column=mapping.email.column,
        email_name=mapping.email.name,
        points_column=mapping.points.column,
        points_name=mapping.points.name,
        confidence=mapping.confidence,
        dry_run=dry_run,
    )
    if dry_run:
        saved, _ = finish(
            record,
            lambda current: current.move_to(RecordStatus.DRY_RUN),
            records=deps.records,
            notifier=deps.notifier,
            now=deps.clock.now,
        )
        return saved
    try:
        adopted = _import_created_by_an_earlier_attempt(record, deps)
        if adopted is None:
            # Save the mapping and the attempt before calling Wix: a crash or a WixUnavailable there
            # leaves the record's story complete, and tells the retry to look before creating again.
            record.create_attempted_at = deps.clock.now()
            record = deps.records.save(record)
        created = adopted or upload_and_create(
            deps.wix(), wix_file_name(record), inspection.normalized_content
        )
    except WixUnavailable:
        raise  # transient: Lambda's retry resumes here (nothing was created at Wix, or the client knows)
    except WixError as exc:
        return _end(record, error_code_for_wix(exc), exc.message, deps, RecordStatus.FAILED)
    except (ValueError, InvalidCredentials) as exc:  # a malformed secret: retrying cannot help
        return _end(record, error_code_for_wix(exc), str(exc), deps, RecordStatus.FAILED)
    metrics.add_metric(name=Metric.IMPORTS_STARTED, unit=MetricUnit.Count, value=1)
    logger.info('Wix import created', import_id=created.id, wix_status=created.status.value)

    def mark_created(current: ImportRecord) -> None:
        current.wix_import_id = created.id
        remember_wix_state(current, created)
        current.move_to(RecordStatus.CREATED, at=deps.clock.now())

    return update_record(record, mark_created, records=deps.records)


def _reject(record: ImportRecord, refusal: FileRefused, deps: ImporterDeps) -> ImportRecord:
    """Refused file: a short report beside it under the results prefix, REJECTED, one notification."""
    logger.info('file refused', code=refusal.code, reason=refusal.message)
    key = results_key(deps.settings, record, 'rejected.txt')
    record.report = deps.storage.write(
        record.bucket,
        key,
        _rejection_report(record, refusal).encode('utf-8'),
        content_type='text/plain; charset=utf-8',
    )

    def reject(current: ImportRecord) -> None:
        current.report = record.report
        current.error = RecordError(code=refusal.code, message=refusal.message)
        current.move_to(RecordStatus.REJECTED, note=refusal.code)

    saved, _ = finish(record, reject, records=deps.records, notifier=deps.notifier, now=deps.clock.now)
    return saved


def _rejection_report(record: ImportRecord, refusal: FileRefused) -> str:
    lines = [
        f'File: {record.source_uri}',
        f'Version: {record.version_id or record.etag or "-"}',
        'Outcome: REJECTED (nothing was sent to Wix)',
        f'Reason ({refusal.code}): {refusal.message}',
    ]
    if refusal.candidates:
        lines.append(
            'Candidates considered: ' + '; '.join(str(candidate) for candidate in refusal.candidates[:10])
        )
    lines += [
        '',
        'What to do: fix the file and upload it again, or name the columns with S3 object metadata',
        'x-amz-meta-email-column and x-amz-meta-points-column (header name or 0-based column index).',
    ]
    return '\n'.join(lines) + '\n'


def wix_file_name(record: ImportRecord) -> str:
    """The name the file gets at Wix: the merchant's name plus a tag of this object version.

    Finding an import that an earlier attempt created (client or importer retry) matches on name and
    size; the tag keeps two versions of `customers.csv` of the same size, dropped within moments,
    from adopting each other's import. The merchant still recognises the name in Wix.
    """
    stem = record.file_name[:-4] if record.file_name.lower().endswith('.csv') else record.file_name
    version_tag = hashlib.sha256(record.pk.encode('utf-8')).hexdigest()[:10]
    return f'{stem}.{version_tag}.csv'


def _import_created_by_an_earlier_attempt(record: ImportRecord, deps: ImporterDeps) -> LoyaltyImport | None:
    """The Wix import an earlier invocation for this object version created but never recorded.

    The client already adopts an import whose create response was lost within one call; this covers
    the gap it cannot see: an invocation that ended (WixUnavailable, a crash, a timeout) after Wix
    accepted the create. Same normalized file name and size, created since that attempt began.
    """
    if record.create_attempted_at is None or record.normalized_size is None:
        return None
    found = deps.wix().find_created_import(
        wix_file_name(record),
        record.normalized_size,
        record.create_attempted_at - CREATE_CLOCK_SKEW,
    )
    if found is not None:
        logger.info('adopting the Wix import an earlier attempt created', import_id=found.id)
    return found


def _drive_to_execution(
    record: ImportRecord, deps: ImporterDeps, remaining_s: Callable[[], float]
) -> ImporterOutcome:
    """Wait (bounded) for PARSED, cross-check and execute; then hand the import to the state machine.

    From here on the Wix import exists, so the state machine owns its end: whatever happens while
    waiting or executing (a slow parse, a Wix fault), it is started and its Poll/Execute steps carry on.
    """
    import_id = record.wix_import_id
    if import_id is None:  # pragma: no cover - callers pass a created import
        raise ValueError('no Wix import to drive')
    if record.executed_at is None:
        try:
            parsed = _wait_for_parse(deps.wix(), import_id, deps, remaining_s)
            if parsed is not None and parsed.status is ImportStatus.PARSED:
                record = execute_checked(record, parsed, deps.executor)
        except WixError as exc:
            logger.warning('Wix call failed before execute; the state machine takes over', error=str(exc))
        if record.is_final:  # e.g. Wix parsed a different header: ended and notified, nothing to poll
            return _outcome(record)
    return _start_workflow(record, import_id, deps)


def _wait_for_parse(
    wix: WixImports, import_id: str, deps: ImporterDeps, remaining_s: Callable[[], float]
) -> LoyaltyImport | None:
    """The import once Wix is done parsing (PARSED, or FAILED...), or None when the budget ran out."""
    budget = min(deps.settings.parse_wait_seconds, remaining_s() - deps.safety_margin_s)
    clock = deps.clock
    give_up_at = clock.monotonic() + max(0.0, budget)
    pause = deps.first_poll_s
    while True:
        current = wix.get_import(import_id)
        if current.status not in {ImportStatus.INITIATED, ImportStatus.PARSING, ImportStatus.UNKNOWN}:
            return current
        left = give_up_at - clock.monotonic()
        if left <= 0:
            logger.info(
                'Wix is still parsing; the state machine will execute', wix_status=current.status.value
            )
            return None
        clock.sleep(min(pause, left))
        pause = min(pause * 2, deps.max_poll_s)


def _start_workflow(record: ImportRecord, import_id: str, deps: ImporterDeps) -> ImporterOutcome:
    name = execution_name(import_id)
    deadline = math.ceil(record.created_at.timestamp()) + deps.settings.import_deadline_seconds
    payload = ExecutionInput(import_id=import_id, source_id=record.pk, deadline=deadline).to_wire()
    arn = deps.workflow.start(name, payload)
    logger.info('state machine started' if arn else 'state machine already started', execution_name=name)

    def mark_started(current: ImportRecord) -> None:
        current.execution_name = name
        current.execution_arn = arn or current.execution_arn

    if record.execution_name != name or (arn and record.execution_arn != arn):
        record = update_record(record, mark_started, records=deps.records)
    return _outcome(record)
