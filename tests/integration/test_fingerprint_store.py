"""The imports table's content fingerprint items against moto: compare-and-set writes, camelCase
attributes, the TTL attribute, and records and fingerprints side by side in one table."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import boto3
import pytest
from moto import mock_aws

from loyalty_import.pipeline.adapters.records import DynamoRecordStore
from loyalty_import.pipeline.errors import RecordStoreError
from loyalty_import.pipeline.models import ContentClaim, RecordStatus
from tests.integration.test_pipeline_adapters import REGION, a_record, template_table

FINGERPRINT = 'ab' * 32
AT = dt.datetime(2026, 11, 26, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def store(monkeypatch: pytest.MonkeyPatch) -> Iterator[DynamoRecordStore]:
    monkeypatch.setenv('AWS_DEFAULT_REGION', REGION)
    monkeypatch.setenv('AWS_ACCESS_KEY_ID', 'testing')
    monkeypatch.setenv('AWS_SECRET_ACCESS_KEY', 'testing')
    with mock_aws():
        boto3.client('dynamodb', region_name=REGION).create_table(
            TableName='imports', BillingMode='PAY_PER_REQUEST', **template_table('ImportsTable')
        )
        yield DynamoRecordStore('imports')


def a_claim(source_id: str, status: RecordStatus = RecordStatus.IMPORTING, days: int = 30) -> ContentClaim:
    return ContentClaim(
        pk=ContentClaim.key(FINGERPRINT),
        fingerprint=FINGERPRINT,
        source_id=source_id,
        source_uri=source_id.partition('#')[0],
        status=status,
        at=AT,
        expires_at=int(AT.timestamp()) + days * 86400,
        wix_import_id='imp-1' if status is RecordStatus.IMPORTED else None,
    )


def test_a_claim_is_written_once_then_only_over_what_was_read(store: DynamoRecordStore) -> None:
    first, second = a_claim('s3://drop/incoming/a.csv#v1'), a_claim('s3://drop/incoming/b.csv#v1')
    # The first writer of an absent item wins; a second "absent" write loses
    assert store.put_claim(first, replacing=None) is True
    assert store.put_claim(second, replacing=None) is False
    read = store.get_claim(FINGERPRINT)
    assert read == first
    # A write over the item as read wins once; a write over a stale read loses
    imported = a_claim(first.source_id, RecordStatus.IMPORTED, days=31)
    assert store.put_claim(imported, replacing=read) is True
    assert store.put_claim(second, replacing=read) is False
    assert store.get_claim(FINGERPRINT) == imported


def test_the_item_uses_camel_case_names_and_an_epoch_ttl_attribute(store: DynamoRecordStore) -> None:
    record = a_record()
    assert store.create(record) is True
    assert store.put_claim(a_claim(record.pk, RecordStatus.IMPORTED), replacing=None) is True
    item = boto3.client('dynamodb', region_name=REGION).get_item(
        TableName='imports', Key={'pk': {'S': f'fingerprint#{FINGERPRINT}'}}
    )['Item']
    assert item['sourceId'] == {'S': record.pk}
    assert item['wixImportId'] == {'S': 'imp-1'}
    assert item['expiresAt'] == {'N': str(int(AT.timestamp()) + 30 * 86400)}
    # AND the record beside it is untouched
    assert store.get(record.pk) is not None
    assert store.get_claim('cd' * 32) is None


def test_a_missing_table_is_a_record_store_error(store: DynamoRecordStore) -> None:
    with pytest.raises(RecordStoreError):
        DynamoRecordStore('no-such-table').get_claim(FINGERPRINT)
    with pytest.raises(RecordStoreError):
        DynamoRecordStore('no-such-table').put_claim(a_claim('s3://x#v1'), replacing=None)
