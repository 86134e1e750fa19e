"""Finalize a file of several Wix imports once: every part's result recorded, counts summed, each
error file copied, one notification, each imported part teaching its site's pace."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from loyalty_import.pipeline import transitions
from loyalty_import.pipeline.models import (
    ImportPart,
    ImportRecord,
    PartStatus,
    RecordStatus,
    SourceEvent,
    SourceRef,
    TaskError,
)
from loyalty_import.pipeline.steps.parts_finalizer import PartsFinalizerInput, finalize_parts
from loyalty_import.wix.models import ImportStatus, LoyaltyImport
from tests.fakes.clock import START
from tests.unit.pipeline.conftest import World
from tests.unit.pipeline.fakes import BUCKET

KEY = 'incoming/large-export.csv'
DEADLINE = int(START.timestamp()) + 3600


def _wix_times(minute: int) -> dict[str, str]:
    at = START + dt.timedelta(minutes=minute)
    return {
        'createdDate': at.isoformat().replace('+00:00', 'Z'),
        'updatedDate': (at + dt.timedelta(seconds=90)).isoformat().replace('+00:00', 'Z'),
    }


def _file_of(w: World, outcomes: list[dict[str, Any]]) -> tuple[ImportRecord, PartsFinalizerInput]:
    """A record whose parts were each created (and executed) at the fake Wix with `outcomes`."""
    ref = SourceRef(bucket=BUCKET, key=KEY, version_id='v1')
    record = ImportRecord.new(SourceEvent(ref=ref, size=30_000_000), now=START)
    assert w.records.create(record)
    planned = [
        ImportPart(index=i, rows=1000, bytes=9_000_000, source_id=f'{record.pk}#part-{i:04d}')
        for i in range(1, len(outcomes) + 1)
    ]
    for part in planned:  # each part's own record, in flight
        update = {'pk': part.source_id, 'parent': record.pk, 'status': RecordStatus.IMPORTING}
        assert w.records.create(record.model_copy(update=update))
    changes: list[transitions.Change] = [transitions.parts_planned(planned)]
    loops = []
    for index, outcome in enumerate(outcomes, start=1):
        created = w.wix.add_import(**outcome)
        wix_import = LoyaltyImport.model_validate(created)
        changes.append(
            transitions.part_created(
                index, wix_import.model_copy(update={'status': ImportStatus.INITIATED}), at=START
            )
        )
        changes.append(
            transitions.part_executed(
                index,
                wix_import.model_copy(
                    update={
                        'status': ImportStatus.IMPORTING,
                        'updated_date': START + dt.timedelta(minutes=(index - 1) * 5, seconds=30),
                    }
                ),
                at=START,
            )
        )
        loops.append(
            {
                'part': index,
                'importId': created['id'],
                'sourceId': record.pk,
                'deadline': DEADLINE,
                'wait': 5,
                'poll': {
                    'status': outcome['status'],
                    'nextWait': 5,
                    'deadlineExceeded': outcome.get('late', False),
                },
            }
        )
        outcome.pop('late', None)
    record = transitions.advance(record, *changes, records=w.records)
    return record, PartsFinalizerInput.model_validate({'sourceId': record.pk, 'parts': loops})


def _imported(success: int, failure: int = 0, minute: int = 0) -> dict[str, Any]:
    result = {'successCount': success, 'failureCount': failure, 'errorFileExists': failure > 0}
    parsed = {'parsedRowCount': success + failure}
    return {'status': 'IMPORTED', 'importResult': result, 'parseResult': parsed, **_wix_times(minute)}


def test_every_part_imported_ends_the_file_imported_once_with_the_sums(w: World) -> None:
    # GIVEN a file of 3 parts that Wix imported, two with a failed row each (two error files)
    record, task = _file_of(w, [_imported(1000), _imported(999, 1, minute=5), _imported(998, 2, minute=10)])
    # WHEN Finalize runs, then again (a Step Functions retry)
    first = finalize_parts(task, w.finalizer)
    second = finalize_parts(task, w.finalizer)
    saved = w.records.get(record.pk)
    assert saved is not None
    assert saved.parts is not None
    # THEN IMPORTED with the summed counts, one notification, every error file copied
    assert (first.status, first.notified, second.notified) == (RecordStatus.IMPORTED, True, False)
    assert saved.import_result is not None
    assert (saved.import_result.success_count, saved.import_result.failure_count) == (2997, 3)
    assert saved.wix_import_id == 'imp-1'
    assert [part.status for part in saved.parts] == [PartStatus.IMPORTED] * 3
    copies = [part.error_file for part in saved.parts]
    assert copies == [
        None,
        f's3://{BUCKET}/results/large-export.csv.imp-2.errors.csv',
        f's3://{BUCKET}/results/large-export.csv.imp-3.errors.csv',
    ]
    assert all(copy in w.storage.written for copy in copies[1:])
    assert saved.error_file == copies[1]
    assert len(w.notifier.sent) == 1
    assert w.notifier.sent[0].subject == 'Loyalty import finished: 2997 imported, 3 failed - large-export.csv'
    # AND the site's pace learned each part's import (IMPORTING -> IMPORTED, per part's rows)
    pace = w.finalizer.paces.get('default')
    assert [sample.size for sample in pace.imports] == [1000, 1000, 1000]
    # AND the balances are marked imported only once the file is
    assert saved.finished_at is not None


def test_a_failed_part_keeps_the_other_parts_results_and_says_which(w: World) -> None:
    # GIVEN part 2 of 3 FAILED at Wix, parts 1 and 3 imported
    failed = {'status': 'FAILED', 'parseResult': {'parseErrorReason': 'Wix could not read row 17'}}
    record, task = _file_of(w, [_imported(1000), failed, _imported(1000)])
    out = finalize_parts(task, w.finalizer)
    saved = w.records.get(record.pk)
    assert saved is not None
    assert saved.parts is not None
    assert saved.error is not None
    # THEN FAILED with PART_FAILED, the imported parts' rows counted, the failed part's reason said
    assert out.status is RecordStatus.FAILED
    assert saved.error.code == 'PART_FAILED'
    assert saved.error.message == (
        '2 of 3 Wix imports imported (parts 1, 3: 2,000 rows). '
        'Part 2 (1,000 rows) failed: Wix could not read row 17.'
    )
    assert saved.import_result is not None
    assert saved.import_result.success_count == 2000
    assert [part.status for part in saved.parts] == [
        PartStatus.IMPORTED,
        PartStatus.FAILED,
        PartStatus.IMPORTED,
    ]
    # AND each part's own record ended as its part, none left in flight, none notifying
    children = [w.records.get(str(part.source_id)) for part in saved.parts]
    assert [child.status if child else None for child in children] == [
        RecordStatus.IMPORTED,
        RecordStatus.FAILED,
        RecordStatus.IMPORTED,
    ]
    assert children[0] is not None
    assert children[0].import_result is not None
    assert children[0].import_result.success_count == 1000
    # AND the one notification says it and carries every part
    assert len(w.notifier.sent) == 1
    body = json.loads(w.notifier.sent[0].message)
    assert body['outcome'] == 'FAILED'
    assert '2 of 3 Wix imports imported' in json.dumps(body)
    assert [part['status'] for part in body['record']['parts']] == ['IMPORTED', 'FAILED', 'IMPORTED']
    assert any('upload the whole file again' in step for step in body['nextSteps'])


def test_a_part_still_importing_at_the_deadline_times_the_file_out(w: World) -> None:
    late = {'status': 'IMPORTING', 'late': True}
    record, task = _file_of(w, [_imported(1000), late])
    out = finalize_parts(task, w.finalizer)
    saved = w.records.get(record.pk)
    assert saved is not None
    assert saved.error is not None
    assert saved.parts is not None
    assert out.status is RecordStatus.TIMED_OUT
    assert saved.parts[1].status is PartStatus.TIMED_OUT
    assert (
        'Part 2 (1,000 rows) had not finished at the deadline (Wix reported IMPORTING)' in saved.error.message
    )


def test_a_part_whose_loop_ended_with_an_error_is_failed_with_it(w: World) -> None:
    record, task = _file_of(w, [_imported(1000), {'status': 'PARSED'}])
    task.parts[1].poll = None
    task.parts[1].error = TaskError.model_validate({'Error': 'WixAuthError', 'Cause': 'no'})
    out = finalize_parts(task, w.finalizer)
    saved = w.records.get(record.pk)
    assert saved is not None
    assert saved.parts is not None
    assert saved.parts[1].error is not None
    assert out.status is RecordStatus.FAILED
    assert saved.parts[1].error.code == 'WIX_AUTH_FAILED'
