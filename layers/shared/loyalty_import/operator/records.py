"""The imports table as the operator commands read it: import records only (pk `s3://...`; the
table's `fingerprint#` and `review#` items are not imports), found by pk, short id or Wix import id."""

from __future__ import annotations

import datetime as dt
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from loyalty_import.operator import OperatorError
from loyalty_import.operator.render import SHORT_ID_CHARS, short_id
from loyalty_import.operator.stack import Stack
from loyalty_import.pipeline.adapters.records import DynamoRecordStore, _from_item
from loyalty_import.pipeline.errors import RecordStoreError
from loyalty_import.pipeline.models import ImportRecord, RecordStatus

IMPORT_PK_PREFIX = 's3://'


def import_records(
    stack: Stack, *, status: RecordStatus | None = None, since: dt.datetime | None = None
) -> list[ImportRecord]:
    """Every import record (of `status`, created at or after `since`), newest first (one Scan)."""
    condition = ['begins_with(pk, :imports)']
    values: dict[str, Any] = {':imports': {'S': IMPORT_PK_PREFIX}}
    names: dict[str, str] = {}
    if status is not None:
        condition.append('#status = :status')
        names['#status'] = 'status'
        values[':status'] = {'S': status.value}
    scan: dict[str, Any] = {
        'TableName': stack.imports_table,
        'FilterExpression': ' AND '.join(condition),
        'ExpressionAttributeValues': values,
    }
    if names:
        scan['ExpressionAttributeNames'] = names
    try:
        pages = stack.aws.client('dynamodb').get_paginator('scan').paginate(**scan)
        records = [_from_item(dict(item), ImportRecord) for page in pages for item in page.get('Items', [])]
    except (ClientError, BotoCoreError) as exc:
        raise OperatorError(f'could not read the imports table {stack.imports_table}: {exc}') from exc
    if since is not None:
        records = [record for record in records if record.created_at >= since]
    return sorted(records, key=lambda record: record.created_at, reverse=True)


def find_record(stack: Stack, identifier: str, *, wix_id: bool = False) -> ImportRecord:
    """The import `identifier` names: its pk, its short id (or, with `wix_id`, its Wix import id)."""
    identifier = identifier.strip()
    if identifier.startswith(IMPORT_PK_PREFIX):
        try:
            record = DynamoRecordStore(stack.imports_table, stack.aws.client('dynamodb')).get(identifier)
        except RecordStoreError as exc:
            raise OperatorError(f'could not read the imports table {stack.imports_table}') from exc
        matches = [record] if record is not None else []
    else:
        matches = [record for record in import_records(stack) if _names(record, identifier, wix_id=wix_id)]
    if len(matches) != 1:
        found = 'no import' if not matches else f'{len(matches)} imports'
        raise OperatorError(
            f'{found} {identifier} in the stack {stack.name}: give its ID from `loyalty-import status` '
            f'or `reviews` ({SHORT_ID_CHARS} hex characters) or its record pk (s3://<bucket>/<key>#<version>)'
        )
    return matches[0]


def _names(record: ImportRecord, identifier: str, *, wix_id: bool) -> bool:
    return short_id(record.pk) == identifier.lower() or (wix_id and record.wix_import_id == identifier)
