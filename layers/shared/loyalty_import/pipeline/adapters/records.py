"""The imports table (DynamoDB): one item per source object version, written with optimistic locking,
one per content fingerprint (`pk` = `fingerprint#<sha256>`), written compare-and-set, and one per
review link (`pk` = `review#<sha256 of the token>`)."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypeVar

from botocore.exceptions import BotoCoreError, ClientError

from loyalty_import.pipeline.adapters._aws import error_code
from loyalty_import.pipeline.errors import ConcurrentUpdate, RecordStoreError
from loyalty_import.pipeline.models import CamelModel, ContentClaim, ImportRecord, ReviewLink

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

Model = TypeVar('Model', bound=CamelModel)


def _to_item(record: CamelModel) -> dict[str, Any]:
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


def get_item(
    client: DynamoDBClient, table: str, key: dict[str, Any], model: type[Model], what: str
) -> Model | None:
    """One item read consistently, as `model` (None: absent); RecordStoreError when DynamoDB fails."""
    try:
        response = client.get_item(TableName=table, Key=key, ConsistentRead=True)
    except (ClientError, BotoCoreError) as exc:
        raise RecordStoreError(f'could not read the {what}') from exc
    item = response.get('Item')
    return _from_item(dict(item), model) if item else None


def _from_item(item: dict[str, Any], model: type[Model]) -> Model:
    from boto3.dynamodb.types import TypeDeserializer  # noqa: PLC0415 - boto3 only where it is used

    deserializer = TypeDeserializer()
    return model.model_validate(
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
        return get_item(self._client, self._table, {'pk': {'S': source_id}}, ImportRecord, 'import record')

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

    def get_claim(self, fingerprint: str) -> ContentClaim | None:
        key = {'pk': {'S': ContentClaim.key(fingerprint)}}
        return get_item(self._client, self._table, key, ContentClaim, 'content fingerprint')

    def put_claim(self, claim: ContentClaim, *, replacing: ContentClaim | None) -> bool:
        # Compare-and-set on what was read: the holder, its status and its expiry identify a claim.
        condition: dict[str, Any] = {'ConditionExpression': 'attribute_not_exists(pk)'}
        if replacing is not None:
            condition = {
                'ConditionExpression': 'sourceId = :source AND #status = :status AND expiresAt = :expires',
                'ExpressionAttributeNames': {'#status': 'status'},
                'ExpressionAttributeValues': {
                    ':source': {'S': replacing.source_id},
                    ':status': {'S': replacing.status.value},
                    ':expires': {'N': str(replacing.expires_at)},
                },
            }
        try:
            self._client.put_item(TableName=self._table, Item=_to_item(claim), **condition)
        except ClientError as exc:
            if error_code(exc) == 'ConditionalCheckFailedException':
                return False
            raise RecordStoreError(f'could not write the content fingerprint: {error_code(exc)}') from exc
        except BotoCoreError as exc:
            raise RecordStoreError('could not write the content fingerprint') from exc
        return True

    def put_link(self, link: ReviewLink) -> None:
        try:
            self._client.put_item(TableName=self._table, Item=_to_item(link))
        except (ClientError, BotoCoreError) as exc:
            raise RecordStoreError('could not write the review link') from exc

    def get_link(self, token_hash: str) -> ReviewLink | None:
        key = {'pk': {'S': ReviewLink.key(token_hash)}}
        return get_item(self._client, self._table, key, ReviewLink, 'review link')
