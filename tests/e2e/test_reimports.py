"""The same balances dropped twice through the rehearsed stack: the second is refused ALREADY_IMPORTED
unless it is uploaded with x-amz-meta-reimport: true."""

from __future__ import annotations

import boto3

from rehearsal import Outcome, Rehearsal
from tests.e2e.conftest import FOLLOW_S

CUSTOMERS = [(f'customer{n}@example.com', n * 35) for n in range(1, 6)]


def export(*, reordered: bool = False) -> bytes:
    if reordered:  # the same balances from another tool: other columns, other order, ';'
        lines = ['Points balance;E-mail'] + [f'{points};{email.upper()}' for email, points in CUSTOMERS[::-1]]
    else:
        lines = ['Email,First name,Points balance'] + [
            f'{email},Name{n},{points}' for n, (email, points) in enumerate(CUSTOMERS)
        ]
    return ('\r\n'.join(lines) + '\r\n').encode()


def follow(rehearsal: Rehearsal, name: str, content: bytes, *, reimport: bool = False) -> Outcome:
    outcome = rehearsal.follow(rehearsal.drop(name, content, reimport=reimport), timeout_s=FOLLOW_S)
    assert outcome.finished, f'not finished: {outcome.status}'
    return outcome


def test_the_same_balances_are_imported_once_unless_the_upload_says_reimport(rehearsal: Rehearsal) -> None:
    # GIVEN a file imported
    first = follow(rehearsal, 'balances.csv', export())
    assert first.status == 'IMPORTED'
    assert first.record is not None
    assert first.record.content_fingerprint is not None
    assert rehearsal.emulator.count('create_import') == 1

    # WHEN a re-export of the same balances (other columns and order, ';') is dropped
    second = follow(rehearsal, 'balances again.csv', export(reordered=True))

    # THEN it is refused ALREADY_IMPORTED, naming the first file and its Wix import; nothing went to Wix
    assert second.status == 'REJECTED'
    record = second.record
    assert record is not None
    assert record.error is not None
    assert record.error.code == 'ALREADY_IMPORTED'
    assert record.content_fingerprint == first.record.content_fingerprint
    assert first.record.source_uri in record.error.message
    assert f'Wix import {first.record.wix_import_id}' in record.error.message
    assert rehearsal.emulator.count('create_import') == 1
    assert rehearsal.emulator.count('create_upload_url') == 1
    assert len(rehearsal.executions()) == 1
    # AND one notification says so, with the metadata that imports it anyway
    assert [m.attributes.get('outcome') for m in second.notifications] == ['REJECTED']
    (notification,) = second.notifications
    assert notification.subject == 'Loyalty import refused (ALREADY_IMPORTED) - balances again.csv'
    assert 'x-amz-meta-reimport: true' in notification.message
    # AND the imports table keeps the fingerprint as an item of its own, marked IMPORTED with a TTL
    table = rehearsal.resource('ImportsTable')
    item = boto3.client('dynamodb', region_name='us-east-1').get_item(
        TableName=table, Key={'pk': {'S': f'fingerprint#{record.content_fingerprint}'}}, ConsistentRead=True
    )['Item']
    assert item['status'] == {'S': 'IMPORTED'}
    assert item['sourceId'] == {'S': first.record.pk}
    assert item['wixImportId'] == {'S': first.record.wix_import_id}
    assert 'expiresAt' in item

    # WHEN the same balances are dropped with x-amz-meta-reimport: true
    third = follow(rehearsal, 'balances.csv', export(), reimport=True)

    # THEN they are imported again
    assert third.status == 'IMPORTED'
    assert third.record is not None
    assert third.record.reimport is True
    assert rehearsal.emulator.count('create_import') == 2
    assert [m.attributes.get('outcome') for m in third.notifications] == ['IMPORTED']
