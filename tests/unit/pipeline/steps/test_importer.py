from __future__ import annotations

import pytest

from loyalty_import.pipeline.errors import FileRefused, InvalidCredentials, NotificationError
from loyalty_import.pipeline.models import ImportRecord, RecordStatus, SourceEvent, SourceRef
from loyalty_import.pipeline.results import results_key
from loyalty_import.pipeline.steps.dropped_file import overrides_from_metadata, wix_file_name
from loyalty_import.pipeline.steps.handover import execution_name
from loyalty_import.pipeline.steps.importer import import_object
from loyalty_import.wix.errors import WixAuthError, WixUnavailable
from loyalty_import.wix.models import LoyaltyImport
from tests.fakes.clock import START
from tests.fakes.wix import UPLOAD_FILE_PATH, FakeWix
from tests.unit.pipeline.conftest import World
from tests.unit.pipeline.fakes import (
    BUCKET,
    csv_bytes,
    make_settings,
)

KEY = 'incoming/acme/customers.csv'
ROWS = [['name', 'email', 'points'], ['Ann', 'ann@example.com', '10'], ['Bob', 'bob@example.com', '20']]


def source(key: str = KEY, version: str = 'v1') -> SourceEvent:
    return SourceEvent(
        ref=SourceRef(bucket=BUCKET, key=key, version_id=version, etag='e1'), size=100, event_time=START
    )


def plenty_of_time() -> float:
    return 900.0


@pytest.fixture
def wix() -> FakeWix:
    return FakeWix(header=ROWS[0], sample_rows=ROWS[1:], parse_after=1, success_count=2)


def test_a_clean_file_is_uploaded_executed_and_handed_to_the_state_machine(w: World) -> None:
    # GIVEN a CSV with an email and a points column in the drop bucket
    w.storage.put(KEY, csv_bytes(ROWS))
    # WHEN the importer processes its S3 record
    outcome = import_object(source(), w.importer, plenty_of_time)
    # THEN the normalized file went to Wix once and was executed with the normalized indexes
    assert w.wix.count('create_import') == 1
    assert w.wix.uploads == [csv_bytes(ROWS)]
    assert w.wix.executed_with == [('imp-1', 1, 2)]
    # AND the record tells the story so far, with the Wix import id
    record = w.records.only()
    assert record.status is RecordStatus.IMPORTING
    assert [change.status for change in record.status_history] == [
        RecordStatus.RECEIVED,
        RecordStatus.CREATED,
        RecordStatus.PARSED,
        RecordStatus.IMPORTING,
    ]
    assert record.wix_import_id == 'imp-1'
    assert record.sha256 is not None
    assert len(record.sha256) == 64
    assert record.mapping is not None
    assert record.mapping.email.name == 'email'
    assert record.source_uri == f's3://{BUCKET}/{KEY}'
    assert record.version_id == 'v1'
    # AND one execution named after the import carries the loop on; nothing is notified yet
    assert list(w.workflow.executions) == ['import-imp-1']
    payload = w.workflow.executions['import-imp-1']
    assert payload['importId'] == 'imp-1'
    assert payload['sourceId'] == record.pk
    assert payload['deadline'] == int(START.timestamp()) + 21600
    assert payload['wait'] == 5  # the template's PollFirstWaitSeconds
    assert outcome.status is RecordStatus.IMPORTING
    assert outcome.execution_name == 'import-imp-1'
    assert w.notifier.sent == []


def test_a_refused_file_is_rejected_reported_and_notified_without_calling_wix(w: World) -> None:
    # GIVEN a file the inspection refuses
    w.storage.put(KEY, csv_bytes([['name', 'total'], ['Ann', '10']]))
    w.inspector.refusal = FileRefused('NO_EMAIL_COLUMN', 'No column holds email addresses.', ['name'])
    # WHEN it is imported
    outcome = import_object(source(), w.importer, plenty_of_time)
    # THEN it is REJECTED with the refusal's code and message, and Wix was never called
    record = w.records.only()
    assert outcome.status is RecordStatus.REJECTED
    assert record.status is RecordStatus.REJECTED
    assert record.error is not None
    assert (record.error.code, record.error.message) == (
        'NO_EMAIL_COLUMN',
        'No column holds email addresses.',
    )
    assert w.wix.calls == []
    assert w.workflow.executions == {}
    # AND a short report sits under the results prefix, never under the incoming prefix
    report_uri = f's3://{BUCKET}/results/acme/customers.csv.rejected.txt'
    assert record.report == report_uri
    assert b'NO_EMAIL_COLUMN' in w.storage.written[report_uri]
    assert not any(uri.startswith(f's3://{BUCKET}/incoming/') for uri in w.storage.written)
    # AND exactly one notification says so, filterable by outcome
    assert len(w.notifier.sent) == 1
    assert w.notifier.sent[0].attributes == {'outcome': 'REJECTED', 'site': 'default'}
    assert record.notified_at is not None


def test_a_dry_run_is_inspected_recorded_and_notified_without_calling_wix(w: World) -> None:
    # GIVEN a file uploaded with x-amz-meta-dry-run: true
    w.storage.put(KEY, csv_bytes(ROWS), metadata={'dry-run': 'true'})
    # WHEN it is imported
    import_object(source(), w.importer, plenty_of_time)
    # THEN the mapping is recorded as DRY_RUN, one notification goes out, Wix is untouched
    record = w.records.only()
    assert record.status is RecordStatus.DRY_RUN
    assert record.dry_run is True
    assert record.mapping is not None
    assert record.mapping.points.name == 'points'
    assert w.wix.calls == []
    assert [n.attributes['outcome'] for n in w.notifier.sent] == ['DRY_RUN']


@pytest.mark.parametrize('metadata', [{'dry-run': 'true'}, {}])
def test_what_the_importer_learnt_survives_a_concurrent_write(w: World, metadata: dict[str, str]) -> None:
    # GIVEN a file, and a record that another writer changes just before the importer's first save
    w.storage.put(KEY, csv_bytes(ROWS), metadata=metadata)
    w.records.conflicts_to_inject = 1
    # WHEN it is imported (the save conflicts, the importer re-reads the record and writes again)
    import_object(source(), w.importer, plenty_of_time)
    # THEN the re-read copy got everything the file and the inspection taught, not only the status
    record = w.records.only()
    assert record.sha256 is not None
    assert record.size == len(csv_bytes(ROWS))
    assert record.dry_run is bool(metadata)
    assert record.mapping is not None
    assert record.expected_header == ROWS[0]
    assert record.normalized_size == len(csv_bytes(ROWS))


def test_column_overrides_from_object_metadata_reach_the_inspection(w: World) -> None:
    # GIVEN metadata naming the columns by 0-based index
    w.storage.put(KEY, csv_bytes(ROWS), metadata={'email-column': '1', 'points-column': '2'})
    # WHEN it is imported
    import_object(source(), w.importer, plenty_of_time)
    # THEN the inspection got the overrides and the record keeps them
    assert w.inspector.calls[0][1].email_column == 1
    assert w.inspector.calls[0][1].points_column == 2
    record = w.records.only()
    assert record.overrides is not None
    assert record.overrides.points_column == 2


def test_a_redelivered_event_creates_no_second_import_and_no_second_execution(w: World) -> None:
    # GIVEN an object version the importer already handled
    w.storage.put(KEY, csv_bytes(ROWS))
    import_object(source(), w.importer, plenty_of_time)
    # WHEN the same S3 record arrives twice more
    import_object(source(), w.importer, plenty_of_time)
    import_object(source(), w.importer, plenty_of_time)
    # THEN Wix saw one import and one execute, and one execution exists
    assert w.wix.count('create_import') == 1
    assert w.wix.count('execute_import') == 1
    assert list(w.workflow.executions) == ['import-imp-1']
    assert len(w.records.items) == 1


def test_a_redelivered_refusal_is_not_notified_twice(w: World) -> None:
    # GIVEN a rejected object version
    w.storage.put(KEY, b'not,a,useful,file\n')
    w.inspector.refusal = FileRefused('NO_EMAIL_COLUMN', 'No email column.')
    import_object(source(), w.importer, plenty_of_time)
    # WHEN the event is redelivered
    outcome = import_object(source(), w.importer, plenty_of_time)
    # THEN it is reported as a duplicate and nothing more is sent or read
    assert outcome.duplicate is True
    assert outcome.status is RecordStatus.REJECTED
    assert len(w.notifier.sent) == 1
    assert w.storage.reads == 1


def test_a_new_version_of_the_same_key_is_a_new_import(w: World) -> None:
    # GIVEN a key uploaded twice (two versions; the second, of the same balances, says reimport)
    w.storage.put(KEY, csv_bytes(ROWS))
    # WHEN both versions are imported
    import_object(source(version='v1'), w.importer, plenty_of_time)
    w.storage.put(KEY, csv_bytes(ROWS), {'reimport': 'true'})
    import_object(source(version='v2'), w.importer, plenty_of_time)
    # THEN each version got its own record and its own Wix import
    assert w.wix.count('create_import') == 2
    assert len(w.records.items) == 2


def test_a_slow_parse_is_handed_to_the_state_machine_without_executing(w: World) -> None:
    # GIVEN Wix takes longer to parse than the importer can wait
    w.storage.put(KEY, csv_bytes(ROWS))
    w.wix.parse_after = 10_000
    # WHEN the importer runs with 25 s left (20 s are its safety margin)
    import_object(source(), w.importer, lambda: 25.0)
    # THEN it stopped waiting, did not execute, recorded the import id and started the execution
    record = w.records.only()
    assert record.status is RecordStatus.CREATED
    assert record.wix_import_id == 'imp-1'
    assert w.wix.count('execute_import') == 0
    assert list(w.workflow.executions) == ['import-imp-1']


def test_a_header_wix_parsed_differently_stops_the_import_before_execute(w: World) -> None:
    # GIVEN Wix reports a header that differs from the file the pipeline uploaded
    w.storage.put(KEY, csv_bytes(ROWS))
    w.wix.header = ['name;email;points']
    # WHEN it is imported
    import_object(source(), w.importer, plenty_of_time)
    # THEN nothing is executed; the record ends FAILED with a clear code; one notification
    record = w.records.only()
    assert w.wix.count('execute_import') == 0
    assert record.status is RecordStatus.FAILED
    assert record.error is not None
    assert record.error.code == 'HEADER_MISMATCH'
    assert w.workflow.executions == {}
    assert [n.attributes['outcome'] for n in w.notifier.sent] == ['FAILED']


def test_a_transient_wix_failure_before_create_raises_and_the_retry_creates_once(w: World) -> None:
    # GIVEN Wix is unavailable for the first create
    w.storage.put(KEY, csv_bytes(ROWS))
    w.wix.errors['create_import'] = [WixUnavailable('503 after retries', status_code=503)]
    # WHEN the importer runs: it raises, so Lambda retries the event
    with pytest.raises(WixUnavailable):
        import_object(source(), w.importer, plenty_of_time)
    assert w.records.only().status is RecordStatus.RECEIVED
    assert w.notifier.sent == []
    # AND the retry resumes from the record
    import_object(source(), w.importer, plenty_of_time)
    # THEN exactly one import exists and was executed
    assert len(w.wix.imports) == 1
    assert w.wix.count('execute_import') == 1
    assert w.records.only().status is RecordStatus.IMPORTING


class WixThatCreatesThenFails(FakeWix):
    """Wix accepts the first create, but the invocation never learns it (WixUnavailable after retries)."""

    def create_import(self, file_url: str, file_name: str, file_size: int) -> LoyaltyImport:
        created = super().create_import(file_url, file_name, file_size)
        if len(self.imports) == 1:
            raise WixUnavailable('response lost after the import was created', status_code=None)
        return created


@pytest.mark.parametrize('file_name_mode', ['echo', 'guid'])
def test_a_retry_adopts_the_import_an_earlier_invocation_created_but_never_recorded(
    w: World, file_name_mode: str
) -> None:
    # GIVEN Wix creates the import (naming it as sent, or with a GUID), but the first invocation
    # ends with WixUnavailable
    w.storage.put(KEY, csv_bytes(ROWS))
    wix = WixThatCreatesThenFails(
        header=ROWS[0], sample_rows=ROWS[1:], success_count=2, file_name_mode=file_name_mode
    )
    w.importer.wix = lambda _site: wix
    with pytest.raises(WixUnavailable):
        import_object(source(), w.importer, plenty_of_time)
    assert w.records.only().create_attempted_at is not None
    assert w.records.only().create_file_paths == [UPLOAD_FILE_PATH]
    # WHEN Lambda retries the event
    outcome = import_object(source(), w.importer, plenty_of_time)
    # THEN the retry looks first, adopts that import, and never creates a second one
    assert wix.count('find_created_import') == 1
    assert wix.count('create_import') == 1
    assert len(wix.imports) == 1
    assert outcome.import_id == 'imp-1'
    assert wix.count('execute_import') == 1


def test_a_permanent_wix_error_ends_failed_and_notified_without_raising(w: World) -> None:
    # GIVEN Wix refuses the credentials
    w.storage.put(KEY, csv_bytes(ROWS))
    w.wix.errors['create_upload_url'] = [WixAuthError('Forbidden', status_code=403)]
    # WHEN it is imported
    import_object(source(), w.importer, plenty_of_time)
    # THEN the record ends FAILED with a code that says what to fix, and one notification
    record = w.records.only()
    assert record.status is RecordStatus.FAILED
    assert record.error is not None
    assert record.error.code == 'WIX_AUTH_FAILED'
    assert len(w.notifier.sent) == 1
    assert 'credentials' in w.notifier.sent[0].message


def test_a_wix_fault_after_create_hands_the_import_to_the_state_machine(w: World) -> None:
    # GIVEN Wix becomes unavailable right after the import was created
    w.storage.put(KEY, csv_bytes(ROWS))
    w.wix.errors['get_import'] = [WixUnavailable('timeout after retries')]
    # WHEN it is imported
    outcome = import_object(source(), w.importer, plenty_of_time)
    # THEN the importer does not fail: the state machine owns the import from here
    assert outcome.import_id == 'imp-1'
    assert list(w.workflow.executions) == ['import-imp-1']
    assert w.records.only().status is RecordStatus.CREATED


def test_a_deleted_object_ends_failed_and_notified(w: World) -> None:
    # GIVEN an event for an object that no longer exists
    # WHEN it is imported
    import_object(source(), w.importer, plenty_of_time)
    # THEN it ends FAILED with SOURCE_NOT_FOUND and one notification
    record = w.records.only()
    assert record.error is not None
    assert record.error.code == 'SOURCE_NOT_FOUND'
    assert len(w.notifier.sent) == 1


def test_a_file_over_the_size_bound_is_rejected_unread(w: World) -> None:
    # GIVEN a file one byte over MAX_SOURCE_BYTES (a file past MAX_FILE_BYTES and within it is
    # streamed: test_large_files.py)
    w.importer.settings = make_settings(MAX_FILE_BYTES='10', MAX_SOURCE_BYTES='10')
    w.storage.put(KEY, b'x' * 11)
    # WHEN it is imported
    import_object(source(), w.importer, plenty_of_time)
    # THEN it is REJECTED as too large and never inspected
    record = w.records.only()
    assert record.status is RecordStatus.REJECTED
    assert record.error is not None
    assert record.error.code == 'FILE_TOO_LARGE'
    assert w.inspector.calls == []


def test_an_inspection_crash_is_recorded_not_retried(w: World) -> None:
    # GIVEN a file that makes the inspection crash (a bug, which a retry would only repeat)
    w.storage.put(KEY, csv_bytes(ROWS))
    w.inspector.crash = IndexError('list index out of range')
    # WHEN it is imported
    import_object(source(), w.importer, plenty_of_time)
    # THEN the record ends FAILED with INSPECTION_ERROR instead of the exception escaping
    record = w.records.only()
    assert record.status is RecordStatus.FAILED
    assert record.error is not None
    assert record.error.code == 'INSPECTION_ERROR'


def test_overrides_from_metadata_read_names_indexes_and_dry_run() -> None:
    # GIVEN / WHEN metadata as boto3 returns it (lower-cased, without x-amz-meta-)
    overrides, dry_run = overrides_from_metadata(
        {'email-column': 'E-mail', 'points-column': '3', 'dry-run': 'TRUE'}
    )
    # THEN names stay strings, digits become indexes, and dry run is recognised
    assert overrides.email_column == 'E-mail'
    assert overrides.points_column == 3
    assert dry_run is True
    assert overrides_from_metadata({}) == (
        overrides.model_copy(update={'email_column': None, 'points_column': None}),
        False,
    )


def test_results_go_beside_the_source_under_the_results_prefix() -> None:
    # GIVEN a record of a file under the incoming prefix
    imported = ImportRecord.new(SourceEvent(ref=source().ref))
    # WHEN / THEN results keep the file's path below the results prefix
    assert results_key(make_settings(), imported, 'rejected.txt') == 'results/acme/customers.csv.rejected.txt'


def test_execution_names_are_valid_and_derived_from_the_import_id() -> None:
    assert (
        execution_name('1f0c3a5e-7d2b-4c1e-9a8f-5b6d7e8f9a0b')
        == 'import-1f0c3a5e-7d2b-4c1e-9a8f-5b6d7e8f9a0b'
    )
    assert execution_name('a/b c') == 'import-a-b-c'
    assert len(execution_name('x' * 200)) == 80


def test_a_refusal_whose_notification_failed_is_notified_by_the_retry(w: World) -> None:
    # GIVEN a refused file and SNS failing once
    w.storage.put(KEY, b'no,useful,columns\n')
    w.inspector.refusal = FileRefused('NO_EMAIL_COLUMN', 'No email column.')
    w.notifier.failures = 1
    # WHEN the importer runs (raising, so Lambda retries) and the retry comes
    with pytest.raises(NotificationError):
        import_object(source(), w.importer, plenty_of_time)
    outcome = import_object(source(), w.importer, plenty_of_time)
    # THEN the retry sent the one notification without inspecting the file again
    assert outcome.status is RecordStatus.REJECTED
    assert [n.attributes['outcome'] for n in w.notifier.sent] == ['REJECTED']
    assert len(w.inspector.calls) == 1
    assert w.records.only().notified_at is not None


class _Killed(BaseException):
    """Lambda ending the invocation (a timeout): no `except Exception` of the product sees it."""


def test_a_refusal_whose_sender_was_killed_after_its_claim_is_notified_by_the_retry(w: World) -> None:
    # GIVEN a refused file, and the invocation ended right after the write that claims the
    # notification, before the publish (make chaos: kill-importer-after-rejected-claim)
    w.storage.put(KEY, b'no,useful,columns\n')
    w.inspector.refusal = FileRefused('NO_EMAIL_COLUMN', 'No email column.')

    def killed(notification: object) -> str:
        raise _Killed

    w.notifier.publish = killed  # type: ignore[method-assign]
    with pytest.raises(_Killed):
        import_object(source(), w.importer, plenty_of_time)
    claimed = w.records.only()
    assert claimed.notified_at is not None
    assert claimed.notification_pending
    # WHEN Lambda's retry comes
    del w.notifier.publish
    import_object(source(), w.importer, plenty_of_time)
    outcome = import_object(source(), w.importer, plenty_of_time)
    # THEN the retry sent the one notification and confirmed it; a later one sends nothing
    assert outcome.status is RecordStatus.REJECTED
    assert [n.attributes['outcome'] for n in w.notifier.sent] == ['REJECTED']
    assert not w.records.only().notification_pending
    assert len(w.inspector.calls) == 1


def test_each_object_version_gets_its_own_file_name_at_wix(w: World) -> None:
    # GIVEN two versions of the same file name
    first = ImportRecord.new(source(version='v1'))
    second = ImportRecord.new(source(version='v2'))
    # WHEN they are named for Wix
    names = {wix_file_name(first), wix_file_name(second)}
    # THEN the names differ (so adoption by name and size cannot confuse them) and stay recognisable
    assert len(names) == 2
    assert all(name.startswith('customers.') and name.endswith('.csv') for name in names)


def test_a_malformed_credentials_secret_ends_failed_and_notified_without_raising(w: World) -> None:
    # GIVEN a credentials secret that is not JSON (reading it again cannot help)
    w.storage.put(KEY, csv_bytes(ROWS))

    def unusable_credentials(site: str) -> FakeWix:
        raise InvalidCredentials('the Wix credentials secret is not valid JSON')

    w.importer.wix = unusable_credentials
    # WHEN the file is imported
    outcome = import_object(source(), w.importer, plenty_of_time)
    # THEN it ends FAILED with a code that says what to fix, and one notification (no DLQ trip)
    record = w.records.only()
    assert outcome.status is RecordStatus.FAILED
    assert record.error is not None
    assert record.error.code == 'WIX_CREDENTIALS_INVALID'
    assert len(w.notifier.sent) == 1
