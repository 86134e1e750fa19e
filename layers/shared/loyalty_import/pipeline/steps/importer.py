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

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field

from loyalty_import.pipeline import transitions
from loyalty_import.pipeline.clock import Clock
from loyalty_import.pipeline.codes import ErrorCode, code_for_exception
from loyalty_import.pipeline.crosscheck import preview_rows
from loyalty_import.pipeline.errors import (
    FileRefused,
    InvalidCredentials,
    ObjectTooLarge,
    RecordStoreError,
    SourceNotFound,
    StorageError,
)
from loyalty_import.pipeline.execution import ExecutorDeps
from loyalty_import.pipeline.guards import fingerprints, undo
from loyalty_import.pipeline.guards.balances import Pair, pairs_from_normalized
from loyalty_import.pipeline.guards.snapshot import keep_upload
from loyalty_import.pipeline.models import (
    ImporterOutcome,
    ImportRecord,
    InspectionOutcome,
    MappingSummary,
    Overrides,
    RecordStatus,
    ReviewExecutionInput,
    ReviewReason,
    SourceEvent,
)
from loyalty_import.pipeline.observability import (
    Metric,
    MetricUnit,
    add_site_metric,
    bind_import,
    logger,
    metrics,
)
from loyalty_import.pipeline.ports import (
    Inspector,
    LayoutStore,
    Notifier,
    PaceStore,
    RecordStore,
    Storage,
    StoredObject,
    StoredStream,
    WixProvider,
    Workflow,
)
from loyalty_import.pipeline.results import results_key
from loyalty_import.pipeline.review import layouts
from loyalty_import.pipeline.settings import ImporterSettings
from loyalty_import.pipeline.sites import DEFAULT_SITE, SiteChoice, single_site
from loyalty_import.pipeline.steps import parts_create
from loyalty_import.pipeline.steps.dropped_file import (
    overrides_from_metadata,
    reimport_from_metadata,
    rejection_report,
    wix_file_name,
)
from loyalty_import.pipeline.steps.handover import hand_over
from loyalty_import.pipeline.steps.large_source import REDUCED_OVERRIDES, ReducedSource, reduce_large
from loyalty_import.pipeline.transitions import Change
from loyalty_import.wix.errors import WixError, WixUnavailable
from loyalty_import.wix.flow import upload
from loyalty_import.wix.models import LoyaltyImport

# Keep this much of the invocation for executing, recording and starting the state machine.
SAFETY_MARGIN_S = 20.0


@dataclass
class ImporterDeps:
    settings: ImporterSettings
    records: RecordStore
    notifier: Notifier
    storage: Storage
    workflow: Workflow
    inspector: Inspector
    # A site's Wix client, built on first use: refusals and dry runs never build one.
    wix: WixProvider
    layouts: LayoutStore
    # The ReviewStateMachine: one execution per file a person must decide on.
    review_workflow: Workflow
    # Each site's learned Wix pace: when to read the import (`pipeline.pacing`).
    paces: PaceStore
    # The Wix site of a dropped file's key (reads the secret, cached): `pipeline.sites`.
    sites: Callable[[str], SiteChoice] = single_site
    clock: Clock = field(default_factory=Clock)
    safety_margin_s: float = SAFETY_MARGIN_S

    @property
    def executor(self) -> ExecutorDeps:
        return ExecutorDeps(
            records=self.records,
            notifier=self.notifier,
            wix=self.wix,
            storage=self.storage,
            settings=self.settings,
            clock=self.clock,
        )


def import_object(
    source: SourceEvent, deps: ImporterDeps, remaining_s: Callable[[], float]
) -> ImporterOutcome:
    """Process one S3 object version. Safe to call again for the same version (it resumes or stops)."""
    ref = source.ref
    bind_import(source_id=ref.source_id)
    site = _site_of(ref.key, deps)
    record = ImportRecord.new(source, now=deps.clock.now(), site=site.site)
    if not deps.records.create(record):
        existing = deps.records.get(ref.source_id)
        if existing is None:  # pragma: no cover - a record does not vanish between two calls
            raise RecordStoreError(f'record {ref.source_id} exists and does not')
        if transitions.notification_unsent(existing):
            # Ended, but its notification failed (the claim was released) or its sender was killed
            # between the claim and the publish: send it now.
            return _outcome(_finish(existing, deps))
        if existing.is_final:
            logger.info('object version already processed', status=existing.status.value)
            return _outcome(existing, duplicate=True)
        logger.info('resuming an unfinished import', status=existing.status.value)
        record = existing
    if record.status is RecordStatus.AWAITING_REVIEW:  # the review owns it; make sure it was started
        review = record.review
        if review is not None and review.execution_name is None:
            record = _start_review(record, deps)
        return _outcome(record)
    if record.wix_import_id is None and record.parts:  # a file of several parts, not all created yet
        record = _create_the_parts(record, deps)
    elif record.wix_import_id is None:
        record = _inspect_and_create(record, deps) if site.known else _reject_unknown_site(record, deps)
    if record.is_final or record.wix_import_id is None:  # ended (refused, dry run, failed) or by another
        return _outcome(record)
    bind_import(record.wix_import_id, source_id=ref.source_id)
    return _outcome(hand_over(record, deps, remaining_s))


def _site_of(key: str, deps: ImporterDeps) -> SiteChoice:
    """The file's Wix site, decided before anything else (the secret's shape says how)."""
    try:
        choice = deps.sites(key)
    except InvalidCredentials:
        # The secret is not JSON: no site can be told. The create fails WIX_CREDENTIALS_INVALID, as before.
        return SiteChoice(DEFAULT_SITE, known=True)
    logger.append_keys(site=choice.site)
    return choice


def _reject_unknown_site(record: ImportRecord, deps: ImporterDeps) -> ImportRecord:
    """UNKNOWN_SITE: the secret holds several sites and none is this file's folder (never another's)."""
    prefix = deps.settings.incoming_prefix
    if record.site:
        problem = (
            f'This file is in the folder {prefix}{record.site}/, so it is for the Wix site named '
            f'"{record.site}", but the Wix credentials secret has no site of that name.'
        )
    else:
        problem = (
            f"The Wix credentials secret holds several sites, so a file must be dropped in its site's "
            f'folder ({prefix}<site>/<file>.csv); this one is directly under {prefix}.'
        )
    how = (
        f'To add the site, put "{record.site or "<site>"}": {{"mode": "api_key", "api_key": ..., '
        '"site_id": ...} (or an "oauth" entry) under "sites" in the secret.'
    )
    refusal = FileRefused(ErrorCode.UNKNOWN_SITE, f'{problem} {how}')
    return _reject(record, refusal, deps, [])


def _outcome(record: ImportRecord, *, duplicate: bool = False) -> ImporterOutcome:
    return ImporterOutcome(
        source_id=record.pk,
        status=record.status,
        import_id=record.wix_import_id,
        duplicate=duplicate,
        execution_name=record.execution_name,
    )


def _finish(record: ImportRecord, deps: ImporterDeps, *changes: Change) -> ImportRecord:
    saved, _ = transitions.finish(
        record, *changes, records=deps.records, notifier=deps.notifier, now=deps.clock.now
    )
    return saved


def _inspect_and_create(record: ImportRecord, deps: ImporterDeps) -> ImportRecord:
    """Read and inspect the file, then end it (refused, dry run, failed), ask a person, or create
    its Wix import."""
    if (record.size or 0) > deps.settings.max_file_bytes:
        return _inspect_large_and_create(record, deps)
    stored = _read_source(record, deps)
    if isinstance(stored, ImportRecord):  # ended: the object is gone or too large
        return stored
    overrides, dry_run = overrides_from_metadata(stored.metadata)
    reimport = reimport_from_metadata(stored.metadata)
    sha256 = hashlib.sha256(stored.content).hexdigest()
    facts = [_file_read(stored, sha256, overrides, dry_run=dry_run, reimport=reimport)]
    # x-amz-meta-undo-of: an earlier import's undo file (checked against the imports table).
    original = undo.recognised_original(stored.metadata, sha256, deps.records)
    if original is not None and original.site != record.site:
        # Another site's undo file: its balances are not this site's to restore; every guard applies.
        logger.info('undo file of another site treated as a new file', undo_of=original.pk)
        original = None
    if original is not None:
        facts.append(_as_undo(record, original, deps))
    inspection = _inspect(record, stored.content, overrides, facts, deps)
    if isinstance(inspection, ImportRecord):  # ended: refused, or the inspection crashed
        return inspection
    if inspection.review is not None and not dry_run:
        inspection = _recall_layout(record, stored.content, inspection, facts, deps)
        if inspection.review is not None:
            return _await_review(record, inspection, facts, deps)
    undo_of = original.pk if original is not None else None
    return _claim_and_create(
        record, inspection, facts, deps, dry_run=dry_run, reimport=reimport, undo_of=undo_of
    )


def _inspect_large_and_create(record: ImportRecord, deps: ImporterDeps) -> ImportRecord:
    """A source past MaxFileBytes: streamed and reduced to one upload (steps/large_source.py), which
    then takes the small file's path, its columns named (EMAIL first, POINTS second). A large file
    a person would have to decide on is refused NEEDS_REVIEW: the review reads files whole."""
    reduced = _reduce(record, deps)
    if isinstance(reduced, ImportRecord):
        return reduced
    overrides, dry_run = overrides_from_metadata(reduced.metadata)
    reimport = reimport_from_metadata(reduced.metadata)
    facts = [
        transitions.file_read(
            size=reduced.size, sha256=reduced.sha256, overrides=overrides, dry_run=dry_run, reimport=reimport
        )
    ]
    original = undo.recognised_original(reduced.metadata, reduced.sha256, deps.records)
    if original is not None:
        facts.append(_as_undo(record, original, deps))
    inspection = _inspect(record, reduced.content, REDUCED_OVERRIDES, facts, deps)
    if isinstance(inspection, ImportRecord):
        return inspection
    summary = {'mapping': reduced.mapping, 'preflight': reduced.preflight, 'header': reduced.header}
    inspection = inspection.model_copy(update=summary)
    review = reduced.review or (
        ' '.join(reason.message for reason in inspection.review.reasons) if inspection.review else ''
    )
    if review:
        message = f'{review} A file over {deps.settings.max_file_bytes:,} bytes cannot be reviewed yet.'
        return _reject(record, FileRefused(ErrorCode.NEEDS_REVIEW, message), deps, facts)
    undo_of = original.pk if original is not None else None
    if len(reduced.parts) > 1:
        return _claim_and_create_parts(
            record, inspection, reduced, facts, deps, dry_run=dry_run, reimport=reimport
        )
    return _claim_and_create(
        record, inspection, facts, deps, dry_run=dry_run, reimport=reimport, undo_of=undo_of
    )


def _claim_and_create_parts(
    record: ImportRecord,
    inspection: InspectionOutcome,
    reduced: ReducedSource,
    facts: list[Change],
    deps: ImporterDeps,
    *,
    dry_run: bool,
    reimport: bool,
) -> ImportRecord:
    """A file of several Wix imports: record it, claim the WHOLE file's balances, write and plan
    its parts, create each part's import once (steps/parts_create.py)."""
    facts.append(
        transitions.inspected(
            inspection,
            expected_sample_rows=preview_rows(inspection.normalized_content),
            normalized_sha256=hashlib.sha256(inspection.normalized_content).hexdigest(),
            content_fingerprint=reduced.content_fingerprint,
        )
    )
    _report_mapping(inspection.mapping, dry_run=dry_run)
    if dry_run:
        return _finish(record, deps, *facts, transitions.dry_run())
    earlier = fingerprints.claim(
        record,
        reduced.content_fingerprint,
        records=deps.records,
        now=deps.clock.now(),
        window_days=deps.settings.reimport_window_days,
        reimport=reimport,
    )
    if earlier is not None:
        return _reject(record, FileRefused(ErrorCode.ALREADY_IMPORTED, earlier.message()), deps, facts)
    record = transitions.advance(record, *facts, records=deps.records)
    record = parts_create.plan_parts(record, reduced.parts, reduced.part_rows, deps)
    return _create_the_parts(record, deps)


def _create_the_parts(record: ImportRecord, deps: ImporterDeps) -> ImportRecord:
    """Each planned part's Wix import (a redelivery resumes here); any Wix verdict ends the file."""
    try:
        record = parts_create.create_parts(record, deps)
    except WixUnavailable:
        raise  # transient: Lambda's retry resumes at the next part without an import
    except WixError as exc:
        return _finish(record, deps, transitions.failed(code_for_exception(exc), exc.message))
    except (ValueError, InvalidCredentials) as exc:
        return _finish(record, deps, transitions.failed(code_for_exception(exc), str(exc)))
    created = len(record.parts or [])
    metrics.add_metric(name=Metric.IMPORTS_STARTED, unit=MetricUnit.Count, value=1)
    add_site_metric(Metric.IMPORTS_STARTED, MetricUnit.Count, 1, record.site)
    logger.info('Wix imports of every part created', parts=created, import_id=record.wix_import_id)
    return record


def _reduce(record: ImportRecord, deps: ImporterDeps) -> ReducedSource | ImportRecord:
    """The large source reduced to one upload, or the record ended (refused, gone, too large)."""
    settings = deps.settings

    def open_stream() -> StoredStream:
        return deps.storage.stream(
            record.bucket, record.key, record.version_id, max_bytes=settings.max_source_bytes
        )

    try:
        return reduce_large(
            open_stream,
            points_names=settings.points_names,
            max_file_bytes=settings.max_file_bytes,
            max_source_bytes=settings.max_source_bytes,
        )
    except SourceNotFound as exc:
        return _finish(record, deps, transitions.failed(ErrorCode.SOURCE_NOT_FOUND, str(exc)))
    except ObjectTooLarge as exc:
        message = f'The file is {exc.size} bytes; the most this pipeline accepts is {exc.limit} bytes.'
        return _reject(record, FileRefused(ErrorCode.FILE_TOO_LARGE, message), deps, [])
    except FileRefused as refusal:
        return _reject(record, refusal, deps, [])
    except StorageError:
        raise  # transient: Lambda's retry reads the file again
    except Exception as exc:  # noqa: BLE001 - a crash on THIS file would crash every retry: record it
        logger.exception('the large file inspection crashed')
        message = f'The file could not be inspected: {exc}'
        return _finish(record, deps, transitions.failed(ErrorCode.INSPECTION_ERROR, message))


def continue_reviewed(
    source_id: str, deps: ImporterDeps, remaining_s: Callable[[], float]
) -> ImporterOutcome:
    """A person approved the review: import the file with the approved columns (same record).

    Safe to call again (the state machine retries it): once the Wix import exists, it only hands
    it over again, and the execution name stops a second poller.
    """
    bind_import(source_id=source_id)
    record = deps.records.get(source_id)
    if record is None:
        raise RecordStoreError(f'no record {source_id} to continue')
    decision = record.review.decision if record.review else None
    approved = decision is not None and decision.action == 'approve'
    if approved and record.wix_import_id is None and record.status is RecordStatus.AWAITING_REVIEW:
        record = _create_reviewed(record, deps)
    if record.is_final or record.wix_import_id is None:
        return _outcome(record)
    bind_import(record.wix_import_id, source_id=source_id)
    return _outcome(hand_over(record, deps, remaining_s))


def _create_reviewed(record: ImportRecord, deps: ImporterDeps) -> ImportRecord:
    stored = _read_source(record, deps)
    if isinstance(stored, ImportRecord):
        return stored
    overrides = record.overrides or Overrides()  # the approved columns (transitions.review_decided)
    reimport = reimport_from_metadata(stored.metadata)
    sha256 = hashlib.sha256(stored.content).hexdigest()
    facts = [_file_read(stored, sha256, overrides, dry_run=False, reimport=reimport)]
    inspection = _inspect(record, stored.content, overrides, facts, deps)
    if isinstance(inspection, ImportRecord):
        return inspection
    if inspection.review is not None:  # both columns named: only the file's rows can still object
        message = ' '.join(reason.message for reason in inspection.review.reasons)
        return _reject(record, FileRefused(ErrorCode.NEEDS_REVIEW, message), deps, facts)
    decision = record.review.decision if record.review else None
    if decision is not None:
        inspection = _explained(
            inspection, f'approved by a person ({decision.by}, {decision.at:%Y-%m-%d %H:%M} UTC)'
        )
    return _claim_and_create(record, inspection, facts, deps, dry_run=False, reimport=reimport, undo_of=None)


def _file_read(
    stored: StoredObject, sha256: str, overrides: Overrides, *, dry_run: bool, reimport: bool
) -> Change:
    return transitions.file_read(
        size=stored.size, sha256=sha256, overrides=overrides, dry_run=dry_run, reimport=reimport
    )


def _claim_and_create(
    record: ImportRecord,
    inspection: InspectionOutcome,
    facts: list[Change],
    deps: ImporterDeps,
    *,
    dry_run: bool,
    reimport: bool,
    undo_of: str | None,
) -> ImportRecord:
    """Record the mapping, claim the balances (ALREADY_IMPORTED otherwise), create the Wix import."""
    mapping = inspection.mapping
    # The balances the file sets, read once: for its fingerprint and, at Wix, the kept upload pairs.
    pairs = pairs_from_normalized(inspection.normalized_content, mapping.email_index, mapping.points_index)
    fingerprint = fingerprints.content_fingerprint(pairs, record.site)
    facts.append(
        transitions.inspected(
            inspection,
            expected_sample_rows=preview_rows(inspection.normalized_content),
            normalized_sha256=hashlib.sha256(inspection.normalized_content).hexdigest(),
            content_fingerprint=fingerprint,
        )
    )
    _report_mapping(mapping, dry_run=dry_run)
    if dry_run:  # never claims the balances: nothing is imported
        return _finish(record, deps, *facts, transitions.dry_run())
    earlier = fingerprints.claim(
        record,
        fingerprint,
        records=deps.records,
        now=deps.clock.now(),
        window_days=deps.settings.reimport_window_days,
        reimport=reimport,
        undo_of=undo_of,
    )
    if earlier is not None:
        refusal = FileRefused(ErrorCode.ALREADY_IMPORTED, earlier.message())
        return _reject(record, refusal, deps, facts)
    return _create_at_wix(record, inspection, pairs, facts, deps)


# ---------------------------------------------------------------------------- asking a person


def review_execution_name(source_id: str) -> str:
    """One ReviewStateMachine execution per record: a redelivery cannot start a second review."""
    return f'review-{hashlib.sha256(source_id.encode("utf-8")).hexdigest()[:40]}'


def _recall_layout(
    record: ImportRecord,
    content: bytes,
    inspection: InspectionOutcome,
    facts: list[Change],
    deps: ImporterDeps,
) -> InspectionOutcome:
    """The inspection decided by a remembered layout when its content passes; else the review, keyed
    by its layout (and saying why the remembered mapping did not apply)."""
    if inspection.review is None or inspection.header is None:
        return inspection
    prefix = layouts.folder_of(record.key)
    layout_id = layouts.layout_id(prefix, inspection.header)
    review = inspection.review.model_copy(update={'layout_id': layout_id, 'layout_prefix': prefix})
    asking = inspection.model_copy(update={'review': review})
    known = deps.layouts.get(layout_id)
    if known is None or known.header != inspection.header:
        return asking
    remembered = Overrides(email_column=known.email_column, points_column=known.points_column)
    reason = layouts.approved_reason(known)
    try:
        again = deps.inspector(content, remembered, recheck_content=True)
    except FileRefused as refusal:
        return _changed(asking, reason, refusal.message)
    if again.review is not None:
        return _changed(asking, reason, ' '.join(r.message for r in again.review.reasons))
    logger.info('remembered layout applied', layout_id=layout_id)
    facts.append(transitions.layout_recalled(known, reason))
    return _explained(again, reason)


def _explained(inspection: InspectionOutcome, why: str) -> InspectionOutcome:
    """The inspection with both columns' reason replaced: who chose them, rather than 'an override'."""
    mapping = inspection.mapping
    explained = mapping.model_copy(
        update={
            'email': mapping.email.model_copy(update={'why': why}),
            'points': mapping.points.model_copy(update={'why': why}),
        }
    )
    return inspection.model_copy(update={'mapping': explained})


def _changed(asking: InspectionOutcome, reason: str, problem: str) -> InspectionOutcome:
    if asking.review is None:  # pragma: no cover - only called with a review
        return asking
    note = ReviewReason(
        code='LAYOUT_CONTENT_CHANGED',
        message=f'Its columns were {reason}, but this file does not pass with them: {problem}',
    )
    review = asking.review.model_copy(update={'reasons': [note, *asking.review.reasons]})
    return asking.model_copy(update={'review': review})


def _await_review(
    record: ImportRecord, inspection: InspectionOutcome, facts: list[Change], deps: ImporterDeps
) -> ImportRecord:
    """AWAITING_REVIEW, then the ReviewStateMachine asks a person (nothing reaches Wix before)."""
    review = inspection.review
    if review is None:  # pragma: no cover - only called with a review
        raise ValueError('no review to await')
    logger.info('a person must decide', reasons=[reason.code for reason in review.reasons])
    waiting = transitions.awaiting_review(review, at=deps.clock.now())
    record = transitions.advance(record, *facts, waiting, records=deps.records)
    if record.is_final:
        return record
    return _start_review(record, deps)


def _start_review(record: ImportRecord, deps: ImporterDeps) -> ImportRecord:
    name = review_execution_name(record.pk)
    payload = ReviewExecutionInput(source_id=record.pk, wait_seconds=deps.settings.review_wait_seconds)
    arn = deps.review_workflow.start(name, payload.to_wire())
    logger.info('review execution started', execution_name=name)
    return transitions.advance(record, transitions.review_started(name, arn), records=deps.records)


def _as_undo(record: ImportRecord, original: ImportRecord, deps: ImporterDeps) -> Change:
    """The record is `original`'s undo: its report (the accounts the undo cannot take away)."""
    kept = undo.kept_accounts(original, deps.storage)
    report = deps.storage.write(
        record.bucket,
        results_key(deps.settings, record, 'undo-report.txt'),
        undo.report(record, original, kept).encode('utf-8'),
        content_type='text/plain; charset=utf-8',
    )
    logger.info('undo report written', undo_of=original.pk, accounts_kept=len(kept))
    return undo.undo_recognised(original, report_file=report, kept=len(kept))


def _read_source(record: ImportRecord, deps: ImporterDeps) -> StoredObject | ImportRecord:
    """The source object's bytes, or the record ended because they cannot be read."""
    try:
        return deps.storage.read(
            record.bucket, record.key, record.version_id, max_bytes=deps.settings.max_file_bytes
        )
    except SourceNotFound as exc:
        return _finish(record, deps, transitions.failed(ErrorCode.SOURCE_NOT_FOUND, str(exc)))
    except ObjectTooLarge as exc:
        message = (
            f'The file is {exc.size} bytes; the most this pipeline (and Wix) accepts is {exc.limit} bytes.'
        )
        return _reject(record, FileRefused(ErrorCode.FILE_TOO_LARGE, message), deps, [])


def _inspect(
    record: ImportRecord, content: bytes, overrides: Overrides, facts: list[Change], deps: ImporterDeps
) -> InspectionOutcome | ImportRecord:
    """The inspection's verdict, or the record ended because the file is refused (or broke it)."""
    try:
        return deps.inspector(content, overrides)
    except FileRefused as refusal:
        return _reject(record, refusal, deps, facts)
    except Exception as exc:  # noqa: BLE001 - a crash on THIS file would crash every retry: record it instead
        logger.exception('the CSV inspection crashed')
        message = f'The file could not be inspected: {exc}'
        return _finish(record, deps, *facts, transitions.failed(ErrorCode.INSPECTION_ERROR, message))


def _report_mapping(mapping: MappingSummary, *, dry_run: bool) -> None:
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


def _create_at_wix(
    record: ImportRecord,
    inspection: InspectionOutcome,
    pairs: list[Pair],
    facts: list[Change],
    deps: ImporterDeps,
) -> ImportRecord:
    """Upload the normalized file and create its Wix import (or adopt the one an earlier attempt made)."""
    content = inspection.normalized_content
    try:
        created = _import_created_by_an_earlier_attempt(record, len(content), deps)
        if created is None:
            wix, file_name = deps.wix(record.site), wix_file_name(record)
            file_path = upload(wix, file_name, content)
            # Save the mapping, the attempt and the file it creates from before the create: a crash or a
            # WixUnavailable there leaves the record's story complete, and tells the retry where to look.
            attempt = transitions.create_attempted(deps.clock.now(), file_path)
            record = transitions.advance(record, *facts, attempt, records=deps.records)
            if record.is_final:  # another writer ended it meanwhile
                return record
            created = wix.create_import(file_path, file_name, len(content))
    except WixUnavailable:
        raise  # transient: Lambda's retry resumes here (nothing was created at Wix, or the client knows)
    except WixError as exc:
        return _finish(record, deps, *facts, transitions.failed(code_for_exception(exc), exc.message))
    except (ValueError, InvalidCredentials) as exc:  # a malformed secret: retrying cannot help
        return _finish(record, deps, *facts, transitions.failed(code_for_exception(exc), str(exc)))
    metrics.add_metric(name=Metric.IMPORTS_STARTED, unit=MetricUnit.Count, value=1)
    add_site_metric(Metric.IMPORTS_STARTED, MetricUnit.Count, 1, record.site)
    logger.info('Wix import created', import_id=created.id, wix_status=created.status.value)
    # Kept before the import id is recorded: a record with an id always says where its pairs are.
    kept = keep_upload(record, created.id, pairs, storage=deps.storage, settings=deps.settings)
    mark_created = transitions.created(created, at=deps.clock.now())
    return transitions.advance(record, *facts, mark_created, kept, records=deps.records)


def _reject(
    record: ImportRecord, refusal: FileRefused, deps: ImporterDeps, facts: list[Change]
) -> ImportRecord:
    """Refused file: a short report beside it under the results prefix, REJECTED, one notification."""
    logger.info('file refused', code=refusal.code, reason=refusal.message)
    report = deps.storage.write(
        record.bucket,
        results_key(deps.settings, record, 'rejected.txt'),
        rejection_report(record, refusal).encode('utf-8'),
        content_type='text/plain; charset=utf-8',
    )
    return _finish(record, deps, *facts, transitions.rejected(refusal.code, refusal.message, report=report))


def _import_created_by_an_earlier_attempt(
    record: ImportRecord, normalized_size: int, deps: ImporterDeps
) -> LoyaltyImport | None:
    """The Wix import an earlier invocation for this object version created but never recorded.

    The client already adopts an import whose create response was lost within one call; this covers
    the gap it cannot see: an invocation that ended (WixUnavailable, a crash, a timeout) after Wix
    accepted the create. Same lookup (`WixClient.find_created_import`, one clock-skew window): created
    from one of the uploads those attempts recorded (`fileMetadata.url`), same normalized size, since
    the last attempt began. Never by name: Wix need not echo it (the SDK types it a read-only GUID).
    """
    if record.create_attempted_at is None or not record.create_file_paths:
        return None
    found = deps.wix(record.site).find_created_import(
        record.create_file_paths,
        normalized_size,
        record.create_attempted_at,  # the client allows for Wix's clock (ADOPTION_CLOCK_SKEW)
    )
    if found is not None:
        logger.info('adopting the Wix import an earlier attempt created', import_id=found.id)
    return found
