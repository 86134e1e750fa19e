"""The layouts table (DynamoDB): one item per remembered layout (`layoutId`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from botocore.exceptions import BotoCoreError, ClientError

from loyalty_import.pipeline.adapters._aws import error_code
from loyalty_import.pipeline.adapters.records import _from_item, _to_item, get_item
from loyalty_import.pipeline.errors import RecordStoreError
from loyalty_import.pipeline.models import RememberedLayout

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient


class DynamoLayoutStore:
    def __init__(self, table_name: str, client: DynamoDBClient | None = None) -> None:
        if client is None:
            import boto3  # noqa: PLC0415 - created at cold start, not at import

            client = boto3.client('dynamodb')
        self._client = client
        self._table = table_name

    def get(self, layout_id: str) -> RememberedLayout | None:
        key = {'layoutId': {'S': layout_id}}
        return get_item(self._client, self._table, key, RememberedLayout, 'remembered layout')

    def put(self, layout: RememberedLayout) -> None:
        try:
            self._client.put_item(TableName=self._table, Item=_to_item(layout))
        except (ClientError, BotoCoreError) as exc:
            raise RecordStoreError('could not remember the layout') from exc

    def list(self) -> list[RememberedLayout]:
        layouts: list[RememberedLayout] = []
        try:
            for page in self._client.get_paginator('scan').paginate(TableName=self._table):
                layouts.extend(_from_item(dict(item), RememberedLayout) for item in page.get('Items', []))
        except (ClientError, BotoCoreError) as exc:
            raise RecordStoreError('could not list the remembered layouts') from exc
        return sorted(layouts, key=lambda layout: layout.approved_at, reverse=True)

    def delete(self, layout_id: str) -> bool:
        try:
            self._client.delete_item(
                TableName=self._table,
                Key={'layoutId': {'S': layout_id}},
                ConditionExpression='attribute_exists(layoutId)',
            )
        except ClientError as exc:
            if error_code(exc) == 'ConditionalCheckFailedException':
                return False
            raise RecordStoreError(f'could not forget the layout: {error_code(exc)}') from exc
        except BotoCoreError as exc:
            raise RecordStoreError('could not forget the layout') from exc
        return True
