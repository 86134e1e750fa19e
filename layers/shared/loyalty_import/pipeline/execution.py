"""Execute a parsed Wix import with the inferred mapping, after checking Wix read the file as written.

Shared by two steps: the importer (when Wix parses within its wait) and the state machine's Execute
step (when parsing outlasted it). Either way it executes at most once: the record's `executedAt` and
the Wix client's execute-once guard both stop a repeat.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from loyalty_import.pipeline.clock import Clock
from loyalty_import.pipeline.crosscheck import check_parsed_file
from loyalty_import.pipeline.models import (
    ErrorCode,
    ImportRecord,
    ImportResult,
    ParseResult,
    RecordStatus,
)
from loyalty_import.pipeline.observability import logger
from loyalty_import.pipeline.outcome import fail_with, finish, update_record
from loyalty_import.pipeline.ports import Notifier, RecordStore, WixImports
from loyalty_import.wix.models import LoyaltyImport


@dataclass
class ExecutorDeps:
    records: RecordStore
    notifier: Notifier
    wix: Callable[[], WixImports]
    clock: Clock = field(default_factory=Clock)


def remember_wix_state(record: ImportRecord, wix_import: LoyaltyImport) -> None:
    """Copy what Wix reports about the import onto the record."""
    record.wix_status = wix_import.status.value
    if wix_import.parse_result is not None:
        record.parse_result = ParseResult(
            parsed_row_count=wix_import.parse_result.parsed_row_count,
            parse_error_reason=wix_import.parse_result.parse_error_reason,
        )
    if wix_import.import_result is not None:
        record.import_result = ImportResult(
            success_count=wix_import.import_result.success_count,
            failure_count=wix_import.import_result.failure_count,
            error_file_exists=wix_import.import_result.error_file_exists,
        )


def execute_checked(record: ImportRecord, parsed: LoyaltyImport, deps: ExecutorDeps) -> ImportRecord:
    """Cross-check the PARSED import against the record, then execute it.

    Returns the saved record: IMPORTING after execute, or finished FAILED (notified) when Wix's
    reading of the file disagrees with ours; nothing is executed then.
    """
    if record.executed_at is not None:
        return record
    mapping = record.mapping
    if mapping is None or record.expected_header is None or record.wix_import_id is None:
        saved, _ = finish(
            record,
            fail_with(ErrorCode.UNEXPECTED_STATE, 'The record has no mapping to execute the import with.'),
            records=deps.records,
            notifier=deps.notifier,
            now=deps.clock.now,
        )
        return saved
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

        def reject_parse(current: ImportRecord) -> None:
            remember_wix_state(current, parsed)
            fail_with(mismatch.code, mismatch.message)(current)

        saved, _ = finish(
            record, reject_parse, records=deps.records, notifier=deps.notifier, now=deps.clock.now
        )
        return saved

    def mark_parsed(current: ImportRecord) -> None:
        remember_wix_state(current, parsed)
        current.move_to(RecordStatus.PARSED, at=deps.clock.now())

    import_id = record.wix_import_id
    record = update_record(record, mark_parsed, records=deps.records)
    if record.is_final or record.executed_at is not None:
        return record  # another invocation executed or ended it meanwhile
    executed = deps.wix().execute_import(import_id, mapping.email_index, mapping.points_index)
    logger.info(
        'import executed',
        email_index=mapping.email_index,
        points_index=mapping.points_index,
        wix_status=executed.status.value,
    )

    def mark_executed(current: ImportRecord) -> None:
        at = deps.clock.now()
        current.executed_at = at
        remember_wix_state(current, executed)
        current.move_to(RecordStatus.IMPORTING, at=at)

    return update_record(record, mark_executed, records=deps.records)
