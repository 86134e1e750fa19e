"""A file imported as several Wix imports: the record's parts, changed only through `transitions`,
and the file's one verdict and summed counts (`import_parts`)."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from loyalty_import.pipeline import import_parts, transitions
from loyalty_import.pipeline.adapters.records import _from_item, _to_item
from loyalty_import.pipeline.codes import CODES, ErrorCode
from loyalty_import.pipeline.errors import PipelineError
from loyalty_import.pipeline.models import (
    ImportPart,
    ImportRecord,
    ImportResult,
    PartStatus,
    RecordError,
    RecordStatus,
    SourceEvent,
    SourceRef,
)
from loyalty_import.pipeline.notifications import build_notification
from loyalty_import.wix.models import LoyaltyImport
from tests.unit.pipeline.fakes import FakeNotifier, FakeRecords

AT = dt.datetime(2026, 12, 4, 22, 0, tzinfo=dt.UTC)


def _record(records: FakeRecords, parts: int = 3) -> ImportRecord:
    ref = SourceRef(bucket='drop', key='incoming/large-export.csv', version_id='v1')
    record = ImportRecord.new(SourceEvent(ref=ref, size=137_000_000), now=AT)
    assert records.create(record)
    planned = [
        ImportPart(index=i, rows=250_000, bytes=9_900_000, file=f's3://drop/results/p/{i:04d}.csv')
        for i in range(1, parts + 1)
    ]
    return transitions.advance(record, transitions.parts_planned(planned), records=records)


def _parts_of(record: ImportRecord) -> list[ImportPart]:
    assert record.parts is not None
    return record.parts


def _wix(
    import_id: str, status: str, *, success: int | None = None, failure: int = 0, **extra: object
) -> LoyaltyImport:
    body: dict[str, object] = {'id': import_id, 'status': status, **extra}
    if success is not None:
        body['importResult'] = {
            'successCount': success,
            'failureCount': failure,
            'errorFileExists': failure > 0,
        }
    return LoyaltyImport.model_validate(body)


def test_the_record_gets_its_wix_import_id_only_once_every_part_is_created() -> None:
    records = FakeRecords()
    record = _record(records)
    # WHEN two of the three parts are created
    for index in (1, 2):
        attempt = transitions.part_create_attempted(index, AT, f'/uploads/{index}')
        created = transitions.part_created(index, _wix(f'imp-{index}', 'INITIATED'), at=AT)
        record = transitions.advance(record, attempt, created, records=records)
    # THEN the record is still RECEIVED without an id: the importer (which creates while it has none)
    # carries on with part 3 on a redelivery, and parts 1 and 2 say where their attempts went
    assert record.wix_import_id is None
    assert record.status is RecordStatus.RECEIVED
    assert [part.wix_import_id for part in _parts_of(record)] == ['imp-1', 'imp-2', None]
    assert _parts_of(record)[0].create_file_paths == ['/uploads/1']
    assert _parts_of(record)[0].create_attempted_at == AT
    # WHEN the last part is created: CREATED, with the FIRST part's id on top
    record = transitions.advance(
        record, transitions.part_created(3, _wix('imp-3', 'INITIATED'), at=AT), records=records
    )
    assert record.wix_import_id == 'imp-1'
    assert record.status is RecordStatus.CREATED
    assert all(part.status is PartStatus.PLANNED for part in _parts_of(record))


def test_a_redelivery_neither_replans_the_parts_nor_gives_a_part_a_second_import() -> None:
    records = FakeRecords()
    record = _record(records)
    record = transitions.advance(
        record, transitions.part_created(1, _wix('imp-1', 'INITIATED'), at=AT), records=records
    )
    # WHEN the same file is planned again (a redelivery reads it again)
    again = [ImportPart(index=i, rows=1, bytes=1) for i in (1, 2)]
    record = transitions.advance(record, transitions.parts_planned(again), records=records)
    # THEN the parts stay the first plan's, with part 1's import
    assert len(_parts_of(record)) == 3
    assert _parts_of(record)[0].wix_import_id == 'imp-1'
    # AND the same import recorded again is a no-op, another one for the same part is refused
    same = transitions.part_created(1, _wix('imp-1', 'INITIATED'), at=AT)
    record = transitions.advance(record, same, records=records)
    with pytest.raises(PipelineError, match='already has the Wix import imp-1'):
        transitions.advance(
            record, transitions.part_created(1, _wix('imp-9', 'INITIATED'), at=AT), records=records
        )
    with pytest.raises(PipelineError, match='no part 7'):
        transitions.part_of(record, 7)


def test_a_part_follows_wix_and_keeps_its_verdict() -> None:
    records = FakeRecords()
    record = _record(records, parts=1)
    record = transitions.advance(
        record,
        transitions.part_created(1, _wix('imp-1', 'INITIATED', createdDate='2026-12-04T22:00:00Z'), at=AT),
        transitions.part_executed(1, _wix('imp-1', 'IMPORTING', updatedDate='2026-12-04T22:01:00Z'), at=AT),
        transitions.part_wix_state(
            1, _wix('imp-1', 'IMPORTED', success=250_000, updatedDate='2026-12-04T22:02:00Z')
        ),
        # a late timeout does not override the verdict Wix gave
        transitions.part_ended(
            1, PartStatus.TIMED_OUT, RecordError(code='DEADLINE_EXCEEDED', message='late')
        ),
        records=records,
    )
    part = _parts_of(record)[0]
    assert part.status is PartStatus.IMPORTED
    assert part.error is None
    assert part.executed_at == AT
    assert set(part.wix_times) == {'CREATED', 'IMPORTING', 'IMPORTED'}
    assert part.import_result == ImportResult(success_count=250_000, failure_count=0, error_file_exists=False)


def test_a_part_that_wix_failed_says_why() -> None:
    records = FakeRecords()
    record = _record(records, parts=2)
    failed = _wix('imp-2', 'FAILED', parseResult={'parseErrorReason': 'bad header'})
    record = transitions.advance(record, transitions.part_wix_state(2, failed), records=records)
    assert _parts_of(record)[1].status is PartStatus.FAILED
    assert _parts_of(record)[1].error == RecordError(code=ErrorCode.WIX_PARSE_FAILED, message='bad header')


def _parts(*statuses: PartStatus, rows: int = 1000) -> list[ImportPart]:
    parts = []
    for index, status in enumerate(statuses, start=1):
        part = ImportPart(index=index, rows=rows, bytes=10, status=status, wix_import_id=f'imp-{index}')
        if status is PartStatus.IMPORTED:
            part.import_result = ImportResult(
                success_count=rows - index, failure_count=index, error_file_exists=True
            )
            part.parse_result = None
        if status is PartStatus.FAILED:
            part.error = RecordError(code='WIX_IMPORT_FAILED', message='Wix reported the import FAILED.')
        parts.append(part)
    return parts


def test_every_part_imported_is_imported_and_the_counts_are_summed() -> None:
    parts = _parts(PartStatus.IMPORTED, PartStatus.IMPORTED, PartStatus.IMPORTED)
    assert import_parts.outcome(parts) == (RecordStatus.IMPORTED, None)
    # 999 + 998 + 997 imported, 1 + 2 + 3 failed
    assert import_parts.summed_result(parts) == ImportResult(
        success_count=2994, failure_count=6, error_file_exists=True
    )


def test_a_failed_part_does_not_hide_the_others() -> None:
    parts = _parts(PartStatus.IMPORTED, PartStatus.FAILED, PartStatus.IMPORTED, PartStatus.IMPORTING)
    status, error = import_parts.outcome(parts)
    assert status is RecordStatus.FAILED
    assert error is not None
    assert error.code == ErrorCode.PART_FAILED
    assert error.message == (
        '2 of 4 Wix imports imported (parts 1, 3: 1,996 rows). '
        'Part 2 (1,000 rows) failed: Wix reported the import FAILED. '
        'Part 4 (1,000 rows) had not finished (it was IMPORTING).'
    )
    # only the imported parts' counts: what is set at Wix
    assert import_parts.summed_result(parts).success_count == 999 + 997


def test_parts_unfinished_at_the_deadline_time_the_file_out() -> None:
    parts = _parts(PartStatus.IMPORTED, PartStatus.TIMED_OUT)
    parts[1].wix_status = 'IMPORTING'
    status, error = import_parts.outcome(parts)
    assert status is RecordStatus.TIMED_OUT
    assert error is not None
    assert error.code == ErrorCode.DEADLINE_EXCEEDED
    assert 'Part 2 (1,000 rows) had not finished at the deadline (Wix reported IMPORTING)' in error.message


def test_no_part_reported_yet_sums_to_nothing() -> None:
    parts = _parts(PartStatus.CREATED)
    assert import_parts.summed_result(parts) == ImportResult()
    assert import_parts.parsed_rows(parts) is None
    with pytest.raises(ValueError, match='without parts'):
        import_parts.outcome([])


def test_the_file_ends_once_with_its_summed_counts_and_one_notification() -> None:
    records, notifier = FakeRecords(), FakeNotifier()
    record = _record(records, parts=2)
    changes = []
    for index in (1, 2):
        changes.append(transitions.part_created(index, _wix(f'imp-{index}', 'INITIATED'), at=AT))
        parsed = _wix(f'imp-{index}', 'PARSED', parseResult={'parsedRowCount': 250_000})
        changes.append(transitions.part_wix_state(index, parsed))
    imported = _wix('imp-1', 'IMPORTED', success=250_000)
    failed = _wix('imp-2', 'FAILED')
    changes += [transitions.part_wix_state(1, imported), transitions.part_wix_state(2, failed)]
    record = transitions.advance(record, *changes, records=records)
    saved, notified = transitions.finish(
        record,
        transitions.parts_summed(),
        transitions.parts_decided(),
        records=records,
        notifier=notifier,
        now=lambda: AT,
    )
    assert notified
    assert saved.status is RecordStatus.FAILED
    assert saved.error is not None
    assert saved.error.code == ErrorCode.PART_FAILED
    assert saved.import_result == ImportResult(
        success_count=250_000, failure_count=0, error_file_exists=False
    )
    assert saved.parse_result is not None
    assert saved.parse_result.parsed_row_count == 500_000
    # one notification, which names the parts and carries them in the record
    assert len(notifier.sent) == 1
    body = json.loads(notifier.sent[0].message)
    assert '1 of 2 Wix imports imported (parts 1: 250,000 rows)' in json.dumps(body)
    assert [part['status'] for part in body['record']['parts']] == ['IMPORTED', 'FAILED']
    # a second finish (a retried Finalize) sends nothing
    _, again = transitions.finish(
        saved, transitions.parts_decided(), records=records, notifier=notifier, now=lambda: AT
    )
    assert not again
    assert len(notifier.sent) == 1


def test_the_parts_survive_the_dynamodb_item_and_a_single_import_record_has_none() -> None:
    records = FakeRecords()
    record = _record(records, parts=2)
    record = transitions.advance(
        record, transitions.part_created(1, _wix('imp-1', 'INITIATED'), at=AT), records=records
    )
    item = _to_item(record)
    assert item['parts']['L'][0]['M']['wixImportId'] == {'S': 'imp-1'}
    assert _from_item(item, ImportRecord) == record
    # a file imported as one Wix import has no parts attribute, nor a parts field in its message
    single = ImportRecord.new(SourceEvent(ref=SourceRef(bucket='b', key='incoming/a.csv')), now=AT)
    assert 'parts' not in _to_item(single)
    assert '"parts"' not in build_notification(single).message


def test_part_failed_is_a_failure_with_next_steps() -> None:
    meaning = CODES[ErrorCode.PART_FAILED]
    assert meaning.status is RecordStatus.FAILED
    assert any('upload the whole file again' in step for step in meaning.next_steps)
