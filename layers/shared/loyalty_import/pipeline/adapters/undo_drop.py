"""`loyalty-import undo`: find an import's record and drop its undo file under the incoming prefix.

The copy goes beside the original drop (`<original key>.<importId>.undo.csv`: under the incoming
prefix because the original was), with the `undo-of` metadata the importer checks (`pipeline.guards.undo`)
set explicitly, so it does not depend on how the undo file was written. The importer then imports
it like any file. Used by the command line and by `make demo UNDO=1`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from botocore.exceptions import ClientError

from loyalty_import.pipeline.adapters._aws import error_code
from loyalty_import.pipeline.adapters.records import DynamoRecordStore
from loyalty_import.pipeline.guards import balances, undo
from loyalty_import.pipeline.models import ImportRecord, RecordStatus

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_s3 import S3Client


class UndoUnavailableError(Exception):
    """The import cannot be undone this way (not found, no undo file, not IMPORTED)."""


@dataclass(frozen=True)
class DroppedUndo:
    original: ImportRecord
    bucket: str
    key: str
    version_id: str | None
    etag: str
    size: int

    @property
    def uri(self) -> str:
        return f's3://{self.bucket}/{self.key}'

    @property
    def source_id(self) -> str:
        """The pk the undo's own record gets (`SourceRef.source_id`)."""
        return f'{self.uri}#{self.version_id or self.etag}'


def find_import(identifier: str, *, table: str, dynamodb: DynamoDBClient) -> ImportRecord:
    """The record of an import, by its pk (`s3://...#...`) or its Wix import id."""
    store = DynamoRecordStore(table, dynamodb)
    pk = identifier if identifier.startswith('s3://') else _pk_of_wix_import(identifier, table, dynamodb)
    record = store.get(pk) if pk is not None else None
    if record is None:
        raise UndoUnavailableError(
            f'no import {identifier} in the table {table}: give its record pk '
            "(s3://<bucket>/<key>#<version>) or its Wix import id (the record's wixImportId)"
        )
    return record


def _pk_of_wix_import(import_id: str, table: str, dynamodb: DynamoDBClient) -> str | None:
    paginator = dynamodb.get_paginator('scan')
    pages = paginator.paginate(
        TableName=table,
        FilterExpression='wixImportId = :id',
        ExpressionAttributeValues={':id': {'S': import_id}},
        ProjectionExpression='pk',
    )
    for page in pages:
        for item in page.get('Items', []):
            return item['pk']['S']
    return None


def undo_key(record: ImportRecord) -> str:
    return f'{record.key}.{record.wix_import_id}.undo.csv'


def drop_undo(record: ImportRecord, *, s3: S3Client, bucket: str | None = None) -> DroppedUndo:
    """Copy the record's undo file under the incoming prefix with its `undo-of` metadata."""
    if record.status is not RecordStatus.IMPORTED:
        raise UndoUnavailableError(
            f'the import {record.pk} ended {record.status.value}, not IMPORTED: only an imported file '
            'changed balances to undo'
        )
    if not record.undo_file:
        raise UndoUnavailableError(
            f'the import {record.pk} kept no undo file (SnapshotBeforeImport was off when it ran)'
        )
    source_bucket, source_key = balances.parse_s3_uri(record.undo_file)
    target = bucket or record.bucket
    key = undo_key(record)
    try:
        copied = s3.copy_object(
            Bucket=target,
            Key=key,
            CopySource={'Bucket': source_bucket, 'Key': source_key},
            Metadata=undo.metadata_for(record),
            MetadataDirective='REPLACE',
            ContentType=balances.CSV_CONTENT_TYPE,
        )
        size = int(s3.head_object(Bucket=target, Key=key)['ContentLength'])
    except ClientError as exc:
        if error_code(exc) in {'NoSuchKey', '404', 'NotFound'}:
            raise UndoUnavailableError(f'the undo file {record.undo_file} no longer exists') from exc
        raise
    return DroppedUndo(
        original=record,
        bucket=target,
        key=key,
        version_id=copied.get('VersionId'),
        etag=str(copied.get('CopyObjectResult', {}).get('ETag', '')).strip('"'),
        size=size,
    )
