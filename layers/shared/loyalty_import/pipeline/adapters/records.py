"""The imports table (DynamoDB): one item per source object version, written with optimistic locking."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from loyalty_import.pipeline.adapters._aws import error_code
from loyalty_import.pipeline.errors import ConcurrentUpdate, RecordStoreError
from loyalty_import.pipeline.models import ImportRecord

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient


def _to_item(record: ImportRecord) -> dict[str, Any]:
    from boto3.dynamodb.types import TypeSerializer  # noqa: PLC0415 - boto3 only where it is used

    # DynamoDB numbers must be Decimal; a JSON round trip turns every float into one.
    plain = json.loads(
        json.dumps(record.model_dump(mode='json', by_alias=True, exclude_none=True)), parse_float=Decimal
    )
    serializer = TypeSerializer()
    return {name: serializer.serialize(value) for name, value in plain.items()}


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {name: _plain(item) for name, item in value.items()}
    if isinstance(value, list | set):
        return [_plain(item) for item in value]
    return value


def _from_item(item: dict[str, Any]) -> ImportRecord:
    from boto3.dynamodb.types import TypeDeserializer  # noqa: PLC0415 - boto3 only where it is used

    deserializer = TypeDeserializer()
    return ImportRecord.model_validate(
        {name: _plain(deserializer.deserialize(value)) for name, value in item.items()}
    )


class DynamoRecordStore:
    def __init__(self, table_name: str, client: DynamoDBClient | None = None) -> None:
        if client is None:
            import boto3  # noqa: PLC0415 - created at cold start, not at import

            client = boto3.client('dynamodb')
        self._client = client
        self._table = table_name

    def create(self, record: ImportRecord) -> bool:
        item = _to_item(record.model_copy(update={'version': 1}))
        try:
            self._client.put_item(
                TableName=self._table, Item=item, ConditionExpression='attribute_not_exists(pk)'
            )
        except ClientError as exc:
            if error_code(exc) == 'ConditionalCheckFailedException':
                return False
            raise RecordStoreError(f'could not create the import record: {error_code(exc)}') from exc
        except BotoCoreError as exc:
            raise RecordStoreError('could not create the import record') from exc
        record.version = 1
        return True

    def get(self, source_id: str) -> ImportRecord | None:
        try:
            response = self._client.get_item(
                TableName=self._table, Key={'pk': {'S': source_id}}, ConsistentRead=True
            )
        except (ClientError, BotoCoreError) as exc:
            raise RecordStoreError('could not read the import record') from exc
        item = response.get('Item')
        return _from_item(dict(item)) if item else None

    def save(self, record: ImportRecord) -> ImportRecord:
        expected = record.version
        updated = record.model_copy(update={'version': expected + 1})
        try:
            self._client.put_item(
                TableName=self._table,
                Item=_to_item(updated),
                ConditionExpression='#version = :expected',
                ExpressionAttributeNames={'#version': 'version'},
                ExpressionAttributeValues={':expected': {'N': str(expected)}},
            )
        except ClientError as exc:
            if error_code(exc) == 'ConditionalCheckFailedException':
                raise ConcurrentUpdate(f'record {record.pk} changed since version {expected}') from exc
            raise RecordStoreError(f'could not save the import record: {error_code(exc)}') from exc
        except BotoCoreError as exc:
            raise RecordStoreError('could not save the import record') from exc
        return updated
