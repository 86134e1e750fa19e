"""Each site's learned Wix pace (`pipeline.pacing`): item `pace#<site>` in the sites table.

A read-modify-write without a condition: two finalizers of one site that learn at the same moment
keep one of their two samples, which costs the fit nothing (it keeps the newest 20).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from botocore.exceptions import BotoCoreError, ClientError

from loyalty_import.pipeline.errors import RecordStoreError
from loyalty_import.pipeline.observability import logger
from loyalty_import.pipeline.pacing import Pace

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient


class DynamoPaceStore:
    def __init__(self, table_name: str, client: DynamoDBClient | None = None) -> None:
        if client is None:
            import boto3  # noqa: PLC0415 - created at cold start, not at import

            client = boto3.client('dynamodb')
        self._client = client
        self._table = table_name

    def get(self, site: str) -> Pace:
        """The site's pace; an empty one (the priors) when it has none or it cannot be read: a
        schedule is an estimate, and never worth failing an import for."""
        try:
            item = self._client.get_item(TableName=self._table, Key=_key(site)).get('Item')
        except (ClientError, BotoCoreError) as exc:
            logger.warning('could not read the site pace; scheduling from the priors', error=str(exc))
            return Pace()
        if not item or 'pace' not in item:
            return Pace()
        return Pace.model_validate_json(item['pace']['S'])

    def put(self, site: str, pace: Pace) -> None:
        try:
            self._client.put_item(
                TableName=self._table, Item={**_key(site), 'pace': {'S': pace.model_dump_json()}}
            )
        except (ClientError, BotoCoreError) as exc:
            raise RecordStoreError('could not store the site pace') from exc


def _key(site: str) -> dict[str, dict[str, str]]:
    return {'pk': {'S': f'pace#{site}'}}
