"""The boto3 adapters against moto: the exact AWS behaviour they rely on, and SDK errors mapped to
domain exceptions. Plus the importer service's Powertools idempotency on a real (moto) table."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import boto3
import pytest
from aws_lambda_powertools.utilities.typing import LambdaContext as PowertoolsLambdaContext
from moto import mock_aws

from loyalty_import.pipeline.adapters.notifier import SnsNotifier
from loyalty_import.pipeline.adapters.records import DynamoRecordStore
from loyalty_import.pipeline.adapters.secrets import WixCredentialsSource
from loyalty_import.pipeline.adapters.storage import STREAM_CHUNK_BYTES, S3Storage
from loyalty_import.pipeline.adapters.workflow import StepFunctionsWorkflow
from loyalty_import.pipeline.errors import (
    ConcurrentUpdate,
    CredentialsError,
    ImportStillInProgress,
    InvalidCredentials,
    NotificationError,
    ObjectTooLarge,
    RecordStoreError,
    SourceNotFound,
)
from loyalty_import.pipeline.models import (
    ImporterOutcome,
    ImportRecord,
    ImportResult,
    MappingSummary,
    Notification,
    RecordStatus,
    SourceEvent,
    SourceRef,
)
from loyalty_import.pipeline.steps.importer import ImporterDeps
from loyalty_import.pipeline.wiring import ImporterService
from rehearsal.template import load_template
from tests.conftest import REPO_ROOT
from tests.fakes.clock import FakeClock
from tests.fakes.wix import FakeWix
from tests.unit.pipeline.fakes import (
    FakeInspector,
    FakeLayouts,
    FakeNotifier,
    FakePaces,
    FakeRecords,
    FakeStorage,
    FakeWorkflow,
    csv_bytes,
    make_settings,
)

BUCKET = 'drop'
REGION = 'us-east-1'


def template_table(logical_id: str) -> dict[str, Any]:
    """Key schema and attribute definitions exactly as template.yaml declares the table."""
    template = load_template(REPO_ROOT / 'template.yaml')
    properties = template['Resources'][logical_id]['Properties']
    return {'KeySchema': properties['KeySchema'], 'AttributeDefinitions': properties['AttributeDefinitions']}


class LambdaContext(PowertoolsLambdaContext):
    """What Lambda passes a handler: a name, a request id and the time left (300 s, the template's)."""

    def __init__(self, name: str) -> None:
        self._function_name = name
        self._function_version = '$LATEST'
        self._memory_limit_in_mb = 1024
        self._invoked_function_arn = f'arn:aws:lambda:{REGION}:123456789012:function:{name}'
        self._aws_request_id = str(uuid.uuid4())
        self._log_group_name = f'/aws/lambda/{name}'
        self._log_stream_name = 'test'
        self._deadline = time.monotonic() + 300

    def get_remaining_time_in_millis(self) -> int:  # type: ignore[override]
        return int((self._deadline - time.monotonic()) * 1000)


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv('AWS_DEFAULT_REGION', REGION)
    monkeypatch.setenv('AWS_ACCESS_KEY_ID', 'testing')
    monkeypatch.setenv('AWS_SECRET_ACCESS_KEY', 'testing')
    with mock_aws():
        dynamodb = boto3.client('dynamodb', region_name=REGION)
        for table, logical_id in (('imports', 'ImportsTable'), ('idempotency', 'IdempotencyTable')):
            dynamodb.create_table(
                TableName=table, BillingMode='PAY_PER_REQUEST', **template_table(logical_id)
            )
        yield


def a_record(key: str = 'incoming/a.csv') -> ImportRecord:
    return ImportRecord.new(SourceEvent(ref=SourceRef(bucket=BUCKET, key=key, version_id='v1'), size=10))


# ------------------------------------------------------------------------------------- records


@pytest.mark.usefixtures('aws')
def test_a_record_round_trips_with_nested_models_and_floats() -> None:
    # GIVEN a record with a mapping (floats), results (ints, bools) and history (datetimes)
    store = DynamoRecordStore('imports')
    record = a_record()
    record.mapping = MappingSummary.model_validate(
        {
            'email': {'column': 1, 'name': 'Email', 'confidence': 0.97, 'why': 'addresses'},
            'points': {'column': 2, 'name': 'Points', 'confidence': 0.875},
            'confidence': 0.875,
            'emailIndex': 1,
            'pointsIndex': 2,
        }
    )
    record.import_result = ImportResult(success_count=498, failure_count=2, error_file_exists=True)
    record.move_to(RecordStatus.CREATED)
    # WHEN it is stored and read back
    assert store.create(record) is True
    read = store.get(record.pk)
    # THEN it is the same record, at version 1
    assert read is not None
    assert read.model_dump() == record.model_copy(update={'version': 1}).model_dump()
    # AND the item uses the camelCase names the README documents
    item = boto3.client('dynamodb', region_name=REGION).get_item(
        TableName='imports', Key={'pk': {'S': record.pk}}
    )['Item']
    assert item['importResult']['M']['successCount'] == {'N': '498'}
    assert item['status'] == {'S': 'CREATED'}


@pytest.mark.usefixtures('aws')
def test_create_is_conditional_and_save_is_optimistic() -> None:
    store = DynamoRecordStore('imports')
    record = a_record()
    assert store.create(record) is True
    # A second create of the same object version writes nothing
    assert store.create(a_record()) is False
    # Two writers from the same version: the second one loses
    first = store.get(record.pk)
    second = store.get(record.pk)
    assert first is not None
    assert second is not None
    first.move_to(RecordStatus.CREATED)
    store.save(first)
    second.move_to(RecordStatus.REJECTED)
    with pytest.raises(ConcurrentUpdate):
        store.save(second)
    stored = store.get(record.pk)
    assert stored is not None
    assert stored.status is RecordStatus.CREATED
    assert stored.version == 2


@pytest.mark.usefixtures('aws')
def test_a_missing_table_is_a_record_store_error() -> None:
    with pytest.raises(RecordStoreError):
        DynamoRecordStore('no-such-table').get('x')


# ------------------------------------------------------------------------------------- storage


@pytest.mark.usefixtures('aws')
def test_storage_reads_a_version_within_the_bound_and_maps_missing_objects() -> None:
    s3 = boto3.client('s3', region_name=REGION)
    s3.create_bucket(Bucket=BUCKET)
    s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={'Status': 'Enabled'})
    first = s3.put_object(Bucket=BUCKET, Key='incoming/a.csv', Body=b'one', Metadata={'dry-run': 'true'})
    s3.put_object(Bucket=BUCKET, Key='incoming/a.csv', Body=b'two!')
    storage = S3Storage()
    # The event's version is read, not the latest
    stored = storage.read(BUCKET, 'incoming/a.csv', first['VersionId'], max_bytes=100)
    assert (stored.content, stored.metadata) == (b'one', {'dry-run': 'true'})
    # Past the bound: refused without reading
    with pytest.raises(ObjectTooLarge):
        storage.read(BUCKET, 'incoming/a.csv', None, max_bytes=3)
    with pytest.raises(SourceNotFound):
        storage.read(BUCKET, 'incoming/gone.csv', None, max_bytes=100)
    uri = storage.write(BUCKET, 'results/a.csv.rejected.txt', b'report', content_type='text/plain')
    assert uri == f's3://{BUCKET}/results/a.csv.rejected.txt'


@pytest.mark.usefixtures('aws')
def test_storage_streams_a_version_in_chunks_within_the_bound() -> None:
    s3 = boto3.client('s3', region_name=REGION)
    s3.create_bucket(Bucket=BUCKET)
    s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={'Status': 'Enabled'})
    big = bytes(range(256)) * (STREAM_CHUNK_BYTES // 256 * 2 + 3)  # two chunks and a bit
    first = s3.put_object(Bucket=BUCKET, Key='incoming/big.csv', Body=big, Metadata={'reimport': 'true'})
    s3.put_object(Bucket=BUCKET, Key='incoming/big.csv', Body=b'later')
    storage = S3Storage()
    stream = storage.stream(BUCKET, 'incoming/big.csv', first['VersionId'], max_bytes=len(big))
    assert (stream.size, stream.metadata, stream.version_id) == (
        len(big),
        {'reimport': 'true'},
        first['VersionId'],
    )
    chunks = list(stream.chunks)
    assert len(chunks) == 3
    assert max(map(len, chunks)) == STREAM_CHUNK_BYTES
    assert b''.join(chunks) == big
    with pytest.raises(ObjectTooLarge):
        storage.stream(BUCKET, 'incoming/big.csv', first['VersionId'], max_bytes=len(big) - 1)
    with pytest.raises(SourceNotFound):
        storage.stream(BUCKET, 'incoming/gone.csv', None, max_bytes=100)


# ----------------------------------------------------------------------- notifier, workflow, secrets


@pytest.mark.usefixtures('aws')
def test_notifications_carry_subject_and_outcome_attribute() -> None:
    sns = boto3.client('sns', region_name=REGION)
    sqs = boto3.client('sqs', region_name=REGION)
    topic = sns.create_topic(Name='t')['TopicArn']
    queue = sqs.create_queue(QueueName='q')['QueueUrl']
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=['QueueArn'])['Attributes'][
        'QueueArn'
    ]
    sns.subscribe(TopicArn=topic, Protocol='sqs', Endpoint=queue_arn)
    SnsNotifier(topic).publish(
        Notification(
            subject='Loyalty import dry run - a.csv', message='{}', attributes={'outcome': 'DRY_RUN'}
        )
    )
    (message,) = sqs.receive_message(QueueUrl=queue)['Messages']
    body: dict[str, Any] = json.loads(message['Body'])
    assert body['Subject'] == 'Loyalty import dry run - a.csv'
    assert body['MessageAttributes']['outcome'] == {'Type': 'String', 'Value': 'DRY_RUN'}
    with pytest.raises(NotificationError):
        SnsNotifier(topic.replace(':t', ':missing')).publish(
            Notification(subject='s', message='{}', attributes={'outcome': 'X'})
        )


@pytest.mark.usefixtures('aws')
def test_starting_the_same_execution_twice_is_not_an_error() -> None:
    sfn = boto3.client('stepfunctions', region_name=REGION)
    definition = json.dumps({'StartAt': 'Done', 'States': {'Done': {'Type': 'Succeed'}}})
    arn = sfn.create_state_machine(
        name='m', definition=definition, roleArn='arn:aws:iam::123456789012:role/r'
    )['stateMachineArn']
    workflow = StepFunctionsWorkflow(arn)
    assert workflow.start('import-1', {'importId': '1'}) is not None
    assert workflow.start('import-1', {'importId': '1', 'deadline': 2}) is None
    assert len(sfn.list_executions(stateMachineArn=arn)['executions']) == 1


@pytest.mark.usefixtures('aws')
def test_credentials_come_from_the_json_secret_and_bad_json_does_not_leak() -> None:
    secrets = boto3.client('secretsmanager', region_name=REGION)
    secrets.create_secret(
        Name='good', SecretString=json.dumps({'mode': 'api_key', 'api_key': 'k', 'site_id': 's'})
    )
    secrets.create_secret(Name='bad', SecretString='api_key=TOPSECRET')
    assert WixCredentialsSource('good').get() == {'mode': 'api_key', 'api_key': 'k', 'site_id': 's'}
    with pytest.raises(InvalidCredentials) as error:  # permanent: a retry reads the same text
        WixCredentialsSource('bad').get()
    assert 'TOPSECRET' not in str(error.value)
    with pytest.raises(CredentialsError):
        WixCredentialsSource('missing').get()


# ------------------------------------------------------------------------------- idempotency


ONE_VERSION = SourceEvent(
    ref=SourceRef(bucket='drop-bucket', key='incoming/a.csv', version_id='v1', etag='e'), size=1
)


@dataclass
class IdempotentImporter:
    """The importer service with Powertools idempotency on the (moto) idempotency table."""

    wix: FakeWix = field(
        default_factory=lambda: FakeWix(header=['email', 'points'], sample_rows=[['ann@example.com', '1']])
    )
    storage: FakeStorage = field(default_factory=FakeStorage)
    records: FakeRecords = field(default_factory=FakeRecords)

    def __post_init__(self) -> None:
        # x-amz-meta-reimport: its versions hold the same balances, and each must be its own import.
        rows = csv_bytes([['email', 'points'], ['ann@example.com', '1']])
        self.storage.put('incoming/a.csv', rows, {'reimport': 'true'})
        deps = ImporterDeps(
            settings=make_settings(),
            records=self.records,
            notifier=FakeNotifier(),
            storage=self.storage,
            workflow=FakeWorkflow(),
            inspector=FakeInspector(),
            wix=lambda _site: self.wix,
            clock=FakeClock().as_clock(),
            layouts=FakeLayouts(),
            review_workflow=FakeWorkflow(),
            paces=FakePaces(),
        )
        self.service = ImporterService(deps)
        self.context = LambdaContext('importer')

    def process(self, source: SourceEvent) -> ImporterOutcome:
        return self.service.process(source, self.context)


@pytest.mark.usefixtures('aws')
def test_the_importer_service_runs_once_per_object_version() -> None:
    # GIVEN the importer service
    importer = IdempotentImporter()
    # WHEN the same object version is processed twice, and another version once
    first = importer.process(ONE_VERSION)
    again = importer.process(ONE_VERSION.model_copy(update={'size': 999}))
    other = importer.process(
        ONE_VERSION.model_copy(update={'ref': ONE_VERSION.ref.model_copy(update={'version_id': 'v2'})})
    )
    # THEN the second call replays the first result without running (no second read), marked duplicate
    assert first.duplicate is False
    assert again.duplicate is True
    assert again.import_id == first.import_id
    # (each run reads its object, then its uploaded pairs for the snapshot before execute)
    assert importer.storage.reads == 4
    assert other.import_id != first.import_id
    assert importer.wix.count('create_import') == 2
    stored = [importer.records.get(pk) for pk in importer.records.items]
    assert [record.status for record in stored if record is not None] == [RecordStatus.IMPORTING] * 2


@pytest.mark.usefixtures('aws')
def test_a_duplicate_arriving_before_the_first_hands_over_is_retried_later_not_dropped() -> None:
    # GIVEN a duplicate S3 delivery that arrives while the first run is talking to Wix, before it
    # started the state machine: the first may yet crash (its lock would outlive it), so the
    # duplicate must not be answered as done
    duplicates: list[ImporterOutcome | Exception] = []

    class DuplicateDuringUpload(FakeWix):
        def upload_file(self, upload_url: str, file_name: str, content: bytes) -> None:
            try:
                duplicates.append(importer.process(ONE_VERSION))
            except ImportStillInProgress as exc:
                duplicates.append(exc)
            super().upload_file(upload_url, file_name, content)

    importer = IdempotentImporter(
        wix=DuplicateDuringUpload(header=['email', 'points'], sample_rows=[['ann@example.com', '1']])
    )
    # WHEN the first run processes the object
    first = importer.process(ONE_VERSION)
    # THEN the duplicate raised a retryable error (Lambda retries it; the DLQ if nobody finishes it)
    # and imported nothing: one Wix import
    assert [type(outcome) for outcome in duplicates] == [ImportStillInProgress]
    assert first.duplicate is False
    assert importer.wix.count('create_import') == 1
    assert importer.storage.reads == 2  # the object and its uploaded pairs (the snapshot), once
    # AND its retry, once the first has handed the import over, is answered as a duplicate
    retried = importer.process(ONE_VERSION)
    assert retried.duplicate is True
    assert retried.import_id == first.import_id
    assert importer.wix.count('create_import') == 1
