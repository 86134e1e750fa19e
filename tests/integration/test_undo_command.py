"""`loyalty-import undo` against moto: the record found by pk or Wix import id, its undo file copied
beside the original drop with the `undo-of` metadata, clear refusals; and S3 copies keeping the
metadata the snapshot writes (what `aws s3 cp` of an undo file relies on)."""

from __future__ import annotations

import io
from collections.abc import Iterator

import boto3
import pytest
from moto import mock_aws

from loyalty_import.cli import EXIT_OK, EXIT_REFUSED, main
from loyalty_import.pipeline.adapters.records import DynamoRecordStore
from loyalty_import.pipeline.adapters.storage import S3Storage
from loyalty_import.pipeline.guards import undo
from loyalty_import.pipeline.models import ImportRecord, RecordStatus
from tests.integration.test_pipeline_adapters import REGION, template_table

BUCKET = 'drop'
PK = f's3://{BUCKET}/incoming/acme/balances.csv#v1'
UNDO_KEY = 'results/acme/balances.csv.imp-7.undo.csv'
UNDO = b'Email,Points balance\r\nann@example.com,5\r\n'


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[DynamoRecordStore]:
    for name, value in (
        ('AWS_DEFAULT_REGION', REGION),
        ('AWS_ACCESS_KEY_ID', 'testing'),
        ('AWS_SECRET_ACCESS_KEY', 'testing'),
    ):
        monkeypatch.setenv(name, value)
    monkeypatch.delenv('IMPORTS_TABLE', raising=False)
    with mock_aws():
        boto3.client('dynamodb', region_name=REGION).create_table(
            TableName='imports', BillingMode='PAY_PER_REQUEST', **template_table('ImportsTable')
        )
        s3 = boto3.client('s3', region_name=REGION)
        s3.create_bucket(Bucket=BUCKET)
        s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={'Status': 'Enabled'})
        yield DynamoRecordStore('imports')


def original(store: DynamoRecordStore, **fields: object) -> ImportRecord:
    record = ImportRecord(
        pk=PK,
        source_uri=PK.partition('#')[0],
        bucket=BUCKET,
        key='incoming/acme/balances.csv',
        file_name='balances.csv',
        version_id='v1',
        status=RecordStatus.IMPORTED,
        wix_import_id='imp-7',
        undo_file=f's3://{BUCKET}/{UNDO_KEY}',
    )
    record = record.model_copy(update=fields)
    S3Storage().write(
        BUCKET, UNDO_KEY, UNDO, content_type='text/csv; charset=utf-8', metadata=undo.metadata_for(record)
    )
    assert store.create(record)
    return record


def run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    return main(list(argv), out=out), out.getvalue()


@pytest.mark.parametrize('identifier', [PK, 'imp-7'])
def test_undo_copies_the_undo_file_beside_the_original_with_its_metadata(
    aws: DynamoRecordStore, identifier: str
) -> None:
    original(aws)
    code, output = run('undo', identifier, '--table', 'imports')
    assert code == EXIT_OK, output
    copied = boto3.client('s3', region_name=REGION).get_object(
        Bucket=BUCKET, Key='incoming/acme/balances.csv.imp-7.undo.csv'
    )
    assert copied['Body'].read() == UNDO
    assert copied['Metadata'] == {'undo-of': PK}
    assert f'Dropped s3://{BUCKET}/incoming/acme/balances.csv.imp-7.undo.csv ({len(UNDO)} bytes)' in output
    assert f'its record will be s3://{BUCKET}/incoming/acme/balances.csv.imp-7.undo.csv#' in output


def test_the_table_can_come_from_the_environment(
    aws: DynamoRecordStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    original(aws)
    monkeypatch.setenv('IMPORTS_TABLE', 'imports')
    assert run('undo', 'imp-7')[0] == EXIT_OK


@pytest.mark.parametrize(
    ('fields', 'identifier', 'says'),
    [
        ({}, 'imp-404', 'no import imp-404 in the table imports'),
        ({}, PK.replace('v1', 'v2'), 'no import s3://drop/incoming/acme/balances.csv#v2'),
        ({'undo_file': None}, 'imp-7', 'kept no undo file'),
        ({'status': RecordStatus.REJECTED}, 'imp-7', 'ended REJECTED, not IMPORTED'),
    ],
)
def test_undo_refuses_what_it_cannot_undo_and_says_why(
    aws: DynamoRecordStore, fields: dict[str, object], identifier: str, says: str
) -> None:
    original(aws, **fields)
    code, output = run('undo', identifier, '--table', 'imports')
    assert code == EXIT_REFUSED
    assert output.startswith('Not undone: ')
    assert says in output
    listed = boto3.client('s3', region_name=REGION).list_objects_v2(Bucket=BUCKET, Prefix='incoming/')
    assert listed.get('KeyCount', 0) == 0


def test_a_gone_undo_file_is_said(aws: DynamoRecordStore) -> None:
    original(aws)
    s3 = boto3.client('s3', region_name=REGION)
    versions = s3.list_object_versions(Bucket=BUCKET, Prefix=UNDO_KEY)['Versions']
    for version in versions:
        s3.delete_object(Bucket=BUCKET, Key=UNDO_KEY, VersionId=version['VersionId'])
    code, output = run('undo', 'imp-7', '--table', 'imports')
    assert code == EXIT_REFUSED
    assert 'no longer exists' in output


def test_without_a_table_it_says_where_to_find_one(aws: DynamoRecordStore) -> None:
    code, output = run('undo', 'imp-7')
    assert code == EXIT_REFUSED
    assert 'ImportsTableName' in output


def test_a_plain_s3_copy_keeps_the_undo_of_metadata(aws: DynamoRecordStore) -> None:
    # What `aws s3 cp s3://drop/results/... s3://drop/incoming/...` does: CopyObject, metadata copied
    original(aws)
    s3 = boto3.client('s3', region_name=REGION)
    s3.copy_object(Bucket=BUCKET, Key='incoming/by-hand.csv', CopySource={'Bucket': BUCKET, 'Key': UNDO_KEY})
    assert s3.head_object(Bucket=BUCKET, Key='incoming/by-hand.csv')['Metadata'] == {'undo-of': PK}
