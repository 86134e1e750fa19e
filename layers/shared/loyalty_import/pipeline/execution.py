"""Execute a parsed Wix import with the inferred mapping, after checking Wix read the file as written.

Shared by two steps: the importer (when Wix parses within its wait) and the state machine's Execute
step (when parsing outlasted it). Either way it executes at most once: the record's `executedAt` and
the Wix client's execute-once guard both stop a repeat.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial

from loyalty_import.pipeline import invocation, transitions
from loyalty_import.pipeline.clock import Clock
from loyalty_import.pipeline.codes import ErrorCode
from loyalty_import.pipeline.crosscheck import check_parsed_file
from loyalty_import.pipeline.guards.snapshot import take_snapshot
from loyalty_import.pipeline.models import ImportRecord
from loyalty_import.pipeline.observability import logger
from loyalty_import.pipeline.ports import Notifier, RecordStore, Storage, WixProvider
from loyalty_import.pipeline.settings import SnapshotVariables
from loyalty_import.wix.models import LoyaltyImport


@dataclass
class ExecutorDeps:
    records: RecordStore
    notifier: Notifier
    wix: WixProvider
    # The snapshot before execute reads the uploaded pairs and writes the undo file (`snapshot`).
    storage: Storage
    settings: SnapshotVariables
    clock: Clock = field(default_factory=Clock)
    # The invocation's remaining seconds (None: unbounded): a long snapshot stops in time and resumes.
    remaining_s: Callable[[], float | None] = invocation.remaining_s


def execute_checked(record: ImportRecord, parsed: LoyaltyImport, deps: ExecutorDeps) -> ImportRecord:
    """Cross-check the PARSED import against the record, then execute it.

    Returns the saved record: IMPORTING after execute; unchanged (still not executed) when the balance
    snapshot is not finished (its progress saved: call again); or finished (notified) without executing:
    FAILED when Wix's reading of the file disagrees with ours or the balance snapshot failed,
    REJECTED when the file would move the current balances the way a wrong column does.
    """
    if record.executed_at is not None:
        return record
    mapping = record.mapping
    import_id = record.wix_import_id
    if mapping is None or record.expected_header is None or import_id is None:
        message = 'The record has no mapping to execute the import with.'
        return _finish(record, deps, transitions.failed(ErrorCode.UNEXPECTED_STATE, message))
    mismatch = check_parsed_file(
        parsed,
        expected_header=record.expected_header,
        expected_sample_rows=record.expected_sample_rows or [],
        email_index=mapping.email_index,
        points_index=mapping.points_index,
    )
    if mismatch is not None:
        # The message quotes cells (customer data): it goes to the record and the merchant, not the logs.
        logger.warning('Wix parsed the file differently; not executing', error_code=mismatch.code)
        refused = transitions.failed(mismatch.code, mismatch.message)
        return _finish(record, deps, transitions.wix_state(parsed), refused)
    saved = [record]

    def keep_progress(uri: str) -> None:
        saved.append(
            transitions.advance(saved[-1], transitions.snapshot_progress_kept(uri), records=deps.records)
        )

    before = take_snapshot(
        record,
        settings=deps.settings,
        storage=deps.storage,
        wix=partial(deps.wix, record.site),
        remaining_s=deps.remaining_s,
        on_progress_kept=keep_progress,
    )
    record = saved[-1]
    if not before.finished:
        return record  # the snapshot resumes at the next call: the state machine's next Execute
    if before.ending is not None:
        return _finish(record, deps, transitions.wix_state(parsed), *before.changes, before.ending)
    record = transitions.advance(
        record, transitions.parsed(parsed, at=deps.clock.now()), *before.changes, records=deps.records
    )
    if record.is_final or record.executed_at is not None:
        return record  # another invocation executed or ended it meanwhile
    executed = deps.wix(record.site).execute_import(import_id, mapping.email_index, mapping.points_index)
    logger.info(
        'import executed',
        email_index=mapping.email_index,
        points_index=mapping.points_index,
        wix_status=executed.status.value,
    )
    mark_executed = transitions.executed(executed, at=deps.clock.now())
    return transitions.advance(record, mark_executed, records=deps.records)


def _finish(record: ImportRecord, deps: ExecutorDeps, *changes: transitions.Change) -> ImportRecord:
    saved, _ = transitions.finish(
        record, *changes, records=deps.records, notifier=deps.notifier, now=deps.clock.now
    )
    return saved
