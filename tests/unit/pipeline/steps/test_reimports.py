"""No stale re-imports: the same balances dropped again are refused ALREADY_IMPORTED (the importer's
claim on their fingerprint, the finalizer's mark), unless the upload says x-amz-meta-reimport."""

from __future__ import annotations

import pytest

from loyalty_import.pipeline.codes import ErrorCode
from loyalty_import.pipeline.guards.fingerprints import mark_imported
from loyalty_import.pipeline.models import (
    FinalizerInput,
    ImporterOutcome,
    ImportRecord,
    PollerInput,
    RecordStatus,
    SourceEvent,
    SourceRef,
)
from loyalty_import.pipeline.steps.finalizer import finalize_import
from loyalty_import.pipeline.steps.importer import import_object
from loyalty_import.wix.errors import WixAuthError
from tests.fakes.clock import START
from tests.fakes.wix import FakeWix
from tests.unit.pipeline.conftest import World
from tests.unit.pipeline.fakes import BUCKET, csv_bytes

ROWS = [['email', 'points'], ['ann@example.com', '10'], ['bob@example.com', '20']]
FIRST, SECOND = 'incoming/march.csv', 'incoming/march (copy).csv'
DAY_S = 24 * 3600


@pytest.fixture
def wix() -> FakeWix:
    return FakeWix(header=ROWS[0], sample_rows=ROWS[1:], parse_after=1, success_count=2)


def drop(w: World, key: str, *, reimport: bool = False, dry_run: bool = False) -> ImporterOutcome:
    """The same balances uploaded under `key` and run through the importer."""
    metadata = {'reimport': 'true'} if reimport else {}
    if dry_run:
        metadata['dry-run'] = 'true'
    w.storage.put(key, csv_bytes(ROWS), metadata)
    source = SourceEvent(ref=SourceRef(bucket=BUCKET, key=key, version_id='v1'), event_time=START)
    return import_object(source, w.importer, lambda: 900.0)


def finish_imported(w: World, outcome: ImporterOutcome) -> ImportRecord:
    """The state machine's Finalize after Wix reported IMPORTED."""
    assert outcome.execution_name is not None
    task = PollerInput.model_validate(w.workflow.executions[outcome.execution_name])
    poll = {'status': 'IMPORTED', 'nextWait': 5, 'deadlineExceeded': False}
    finalize_import(FinalizerInput.model_validate({**task.to_wire(), 'poll': poll}), w.finalizer)
    record = w.records.get(outcome.source_id)
    assert record is not None
    assert record.status is RecordStatus.IMPORTED
    return record


def record_of(w: World, outcome: ImporterOutcome) -> ImportRecord:
    record = w.records.get(outcome.source_id)
    assert record is not None
    return record


def test_the_same_balances_dropped_again_are_refused_naming_the_earlier_import(w: World) -> None:
    # GIVEN a file imported (Finalize recorded it IMPORTED)
    first = finish_imported(w, drop(w, FIRST))
    assert first.content_fingerprint is not None
    claim = w.records.claims[first.content_fingerprint]
    assert (claim.status, claim.source_id, claim.wix_import_id) == (RecordStatus.IMPORTED, first.pk, 'imp-1')
    assert first.finished_at is not None
    assert claim.expires_at == int(first.finished_at.timestamp()) + 30 * DAY_S  # ReimportWindowDays
    sent = len(w.notifier.sent)
    # WHEN the same balances are dropped again a day later, under another name
    w.clock.advance(DAY_S)
    outcome = drop(w, SECOND)
    # THEN they are refused ALREADY_IMPORTED: nothing sent to Wix, one notification
    assert outcome.status is RecordStatus.REJECTED
    assert w.wix.count('create_import') == 1
    assert w.wix.count('upload_file') == 1
    record = record_of(w, outcome)
    assert record.error is not None
    assert record.error.code == ErrorCode.ALREADY_IMPORTED
    assert record.content_fingerprint == first.content_fingerprint
    # AND the message names the earlier file, its Wix import and its date
    assert f's3://{BUCKET}/{FIRST}' in record.error.message
    assert 'Wix import imp-1' in record.error.message
    assert first.finished_at.strftime('%Y-%m-%d %H:%M UTC') in record.error.message
    assert len(w.notifier.sent) == sent + 1
    notification = w.notifier.sent[-1]
    assert notification.subject == 'Loyalty import refused (ALREADY_IMPORTED) - march (copy).csv'
    assert 'x-amz-meta-reimport: true' in notification.message
    # AND the report beside the file says how to import it anyway
    assert record.report is not None
    assert 'x-amz-meta-reimport: true' in w.storage.written[record.report].decode()
    # AND the claim still names the first import
    assert w.records.claims[first.content_fingerprint].source_id == first.pk


def test_reimport_metadata_imports_the_same_balances_and_holds_them_from_then_on(w: World) -> None:
    # GIVEN balances already imported
    first = finish_imported(w, drop(w, FIRST))
    # WHEN they are dropped again with x-amz-meta-reimport: true
    w.clock.advance(DAY_S)
    outcome = drop(w, SECOND, reimport=True)
    second = finish_imported(w, outcome)
    # THEN they are imported again, and the re-import now holds them (its own date and import)
    assert w.wix.count('create_import') == 2
    assert second.reimport is True
    assert first.content_fingerprint is not None
    claim = w.records.claims[first.content_fingerprint]
    assert (claim.source_id, claim.wix_import_id) == (second.pk, 'imp-2')
    # AND a third plain drop is refused against the re-import
    third = drop(w, 'incoming/march (2).csv')
    error = record_of(w, third).error
    assert error is not None
    assert error.code == ErrorCode.ALREADY_IMPORTED
    assert 'imp-2' in error.message


def test_a_second_drop_while_the_first_is_still_importing_is_refused(w: World) -> None:
    # GIVEN a file the state machine is still following (IMPORTING, not finalized)
    first = drop(w, FIRST)
    assert first.status is RecordStatus.IMPORTING
    # WHEN the same balances are dropped meanwhile
    outcome = drop(w, SECOND)
    # THEN the second is refused: the first sets exactly these balances
    assert outcome.status is RecordStatus.REJECTED
    error = record_of(w, outcome).error
    assert error is not None
    assert error.code == ErrorCode.ALREADY_IMPORTED
    assert 'being imported right now' in error.message
    assert f's3://{BUCKET}/{FIRST}' in error.message
    assert w.wix.count('create_import') == 1


def test_balances_whose_import_failed_are_free_for_the_next_drop(w: World) -> None:
    # GIVEN a first drop that claimed the balances, then failed at Wix (nothing imported)
    w.wix.errors['create_upload_url'] = [WixAuthError('Forbidden', status_code=403)]
    first = drop(w, FIRST)
    assert first.status is RecordStatus.FAILED
    # WHEN the same balances are dropped again (credentials fixed)
    outcome = drop(w, SECOND)
    # THEN the new drop takes the claim over and imports
    assert outcome.status is RecordStatus.IMPORTING
    fingerprint = record_of(w, outcome).content_fingerprint
    assert fingerprint is not None
    assert w.records.claims[fingerprint].source_id == outcome.source_id


def test_past_the_window_the_same_balances_import_again(w: World) -> None:
    # GIVEN balances imported 31 days ago (ReimportWindowDays 30; DynamoDB's TTL deletes items late)
    finish_imported(w, drop(w, FIRST))
    w.clock.advance(31 * DAY_S)
    # WHEN they are dropped again
    outcome = drop(w, SECOND)
    # THEN they are imported
    assert outcome.status is RecordStatus.IMPORTING
    assert w.wix.count('create_import') == 2


def test_a_dry_run_records_the_fingerprint_but_never_claims_the_balances(w: World) -> None:
    # WHEN a dry run of the balances, then the real drop
    dry = drop(w, FIRST, dry_run=True)
    # THEN the dry run's record carries the fingerprint, and nothing holds the balances
    assert dry.status is RecordStatus.DRY_RUN
    assert record_of(w, dry).content_fingerprint is not None
    assert w.records.claims == {}
    # AND the real drop imports them
    assert drop(w, SECOND).status is RecordStatus.IMPORTING


def test_a_lost_mark_still_refuses_the_balances_from_the_record(w: World) -> None:
    # GIVEN an import whose Finalize could not mark its balances (DynamoDB failed just then)
    outcome = drop(w, FIRST)
    w.records.claim_failures_to_inject = 1
    first = finish_imported(w, outcome)  # never raises for the mark
    assert first.content_fingerprint is not None
    assert w.records.claims[first.content_fingerprint].status is RecordStatus.IMPORTING
    # WHEN the same balances are dropped again
    again = drop(w, SECOND)
    # THEN the claim's record says IMPORTED: refused, dated by the record
    error = record_of(w, again).error
    assert error is not None
    assert error.code == ErrorCode.ALREADY_IMPORTED
    assert first.finished_at is not None
    assert first.finished_at.strftime('%Y-%m-%d %H:%M UTC') in error.message
    assert 'imp-1' in error.message


def test_a_claim_that_changed_under_the_importer_is_read_again(w: World) -> None:
    # GIVEN the compare-and-set loses once (another writer changed the item in between)
    w.records.claim_conflicts_to_inject = 1
    # WHEN the importer claims the balances
    outcome = drop(w, FIRST)
    # THEN it read the item again, claimed it and imported
    assert outcome.status is RecordStatus.IMPORTING
    assert w.wix.count('create_import') == 1


def test_marking_keeps_a_later_import_of_the_same_balances(w: World) -> None:
    # GIVEN balances imported twice (the second a re-import)
    first = finish_imported(w, drop(w, FIRST))
    w.clock.advance(DAY_S)
    second = finish_imported(w, drop(w, SECOND, reimport=True))
    # WHEN the first import's Finalize runs again (a late Step Functions retry)
    mark_imported(first, records=w.records, window_days=30)
    # THEN the item still names the later import
    assert second.content_fingerprint is not None
    assert w.records.claims[second.content_fingerprint].source_id == second.pk


def test_the_mark_is_written_only_for_an_imported_record(w: World) -> None:
    # GIVEN a drop still importing
    outcome = drop(w, FIRST)
    record = record_of(w, outcome)
    assert record.content_fingerprint is not None
    before = w.records.claims[record.content_fingerprint]
    # WHEN mark_imported sees it (not IMPORTED)
    mark_imported(record, records=w.records, window_days=30)
    # THEN nothing changes
    assert w.records.claims[record.content_fingerprint] == before
    assert (before.status, before.at) == (RecordStatus.IMPORTING, START)  # claimed before Wix
