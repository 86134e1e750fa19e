"""The snapshot before execute, the balance-shift check and the verification after IMPORTED, end to
end: template.yaml in moto, the real handlers, a Wix emulator serving Loyalty Accounts with seeded
balances (in add mode, with a read lag)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import boto3

from rehearsal import Rehearsal
from tests.e2e.conftest import Rehearse
from tests.e2e.test_imports import follow
from wix_emulator import EmulatorSettings, WixEmulator

CUSTOMERS = [(f'customer{n}@example.com', n * 35) for n in range(1, 11)]
# What the merchant's system holds for them in Wix before the import (most move a little).
HELD = {email: points - 5 for email, points in CUSTOMERS[:8]}
ADDED_NOT_SET = "Wix added the file's points to the existing balances instead of setting them"


def export(rows: list[tuple[str, int]], redeemed: dict[str, int] | None = None) -> bytes:
    lines = ['Email,First name,Points balance,Redeemed points']
    lines += [
        f'{email},Name{index},{points},{(redeemed or {}).get(email, index * 5)}'
        for index, (email, points) in enumerate(rows)
    ]
    return ('\r\n'.join(lines) + '\r\n').encode()


def emulator(accounts: dict[str, int], **settings: object) -> Iterator[WixEmulator]:
    base = {'parse_delay_s': 0.02, 'import_delay_s': 0.02, 'retry_after_s': 0}
    with WixEmulator(EmulatorSettings(**{**base, **settings}), accounts=accounts) as running:  # type: ignore[arg-type]
        yield running


def s3_text(uri: str) -> str:
    bucket, _, key = uri.removeprefix('s3://').partition('/')
    s3 = boto3.client('s3', region_name='us-east-1')
    content: bytes = s3.get_object(Bucket=bucket, Key=key)['Body'].read()
    return content.decode()


def metric_values(rehearsal: Rehearsal, name: str) -> list[float]:
    """The metric as the finalizer emitted it (EMF lines of its invocations only: in process, the
    first handler to run also flushes whatever earlier tests left in the metrics singleton)."""
    values: list[float] = []
    finalizers = [i for i in rehearsal.invocations if i.logical_id == 'FinalizerFunction']
    for line in (line for invocation in finalizers for line in invocation.log_lines):
        if '"_aws"' in line and f'"{name}"' in line:
            value = json.loads(line)[name]
            values.extend(value if isinstance(value, list) else [value])
    return values


def test_the_snapshot_keeps_an_undo_file_and_the_verification_reads_every_balance_back(
    rehearse: Rehearse,
) -> None:
    for wix in emulator(HELD):
        rehearsal = rehearse(wix)
        # WHEN a file of current balances is imported
        outcome = follow(rehearsal, 'balances.csv', export(CUSTOMERS))
        record = outcome.record
        assert record is not None
        assert record.status.value == 'IMPORTED'
        # THEN the balances before were read (one Search Accounts call for 10 emails) and kept as an
        # importable undo file, beside the uploaded pairs
        assert record.snapshot is not None
        assert record.snapshot.to_wire() == {
            'emailsLookedUp': 10,
            'accountsFound': 8,
            'withoutAccount': 2,
            'wixCalls': 1,
        }
        assert record.undo_file is not None
        assert record.upload_file is not None
        undo = s3_text(record.undo_file).splitlines()
        assert undo[0] == 'Email,Points balance'
        assert sorted(undo[1:]) == sorted(f'{email},{points}' for email, points in HELD.items())
        assert s3_text(record.upload_file).splitlines()[1] == 'customer1@example.com,35'
        # AND the shift was routine, and every balance read back equals the file
        assert record.balance_shift is not None
        assert (record.balance_shift.matched, record.balance_shift.up) == (8, 8)
        assert record.verification is not None
        assert (record.verification.checked, record.verification.mismatched) == (10, 0)
        assert wix.balances == dict(CUSTOMERS)
        # AND the notification says in one line how balances moved
        (notification,) = outcome.notifications
        body = json.loads(notification.message)
        assert body['balances'].startswith('Balances of the 8 customers that had an account: 8 up')
        assert body['balances'].endswith('10 of 10 checked balances equal the file.')
        assert metric_values(rehearsal, 'BalanceMismatches') == [0]


def test_a_wix_that_adds_instead_of_setting_is_reported_counted_and_alarmed(rehearse: Rehearse) -> None:
    for wix in emulator(HELD, import_mode='add'):
        rehearsal = rehearse(wix, VerifyRetrySeconds='2')
        outcome = follow(rehearsal, 'balances.csv', export(CUSTOMERS))
        record = outcome.record
        assert record is not None
        assert record.status.value == 'IMPORTED'
        # THEN the eight customers that held points are mismatches, and the verification names why
        check = record.verification
        assert check is not None
        assert (check.checked, check.matched, check.mismatched) == (10, 2, 8)
        assert check.diagnosis == ADDED_NOT_SET
        # AND the notification says it first, the metric counts it, an alarm watches the metric
        (notification,) = outcome.notifications
        assert (notification.subject or '').startswith('Loyalty import finished, 8 balances WRONG')
        assert json.loads(notification.message)['summary'].startswith('8 of 10 balances read back')
        assert metric_values(rehearsal, 'BalanceMismatches') == [8]
        alarms = boto3.client('cloudwatch', region_name='us-east-1').describe_alarms()['MetricAlarms']
        assert [a['Namespace'] for a in alarms if a['MetricName'] == 'BalanceMismatches'] == ['LoyaltyImport']


def test_a_search_lagging_less_than_the_retry_window_is_no_false_mismatch(rehearse: Rehearse) -> None:
    for wix in emulator(HELD, accounts_lag_s=1.0):
        rehearsal = rehearse(wix, VerifyRetrySeconds='30')
        outcome = follow(rehearsal, 'balances.csv', export(CUSTOMERS))
        record = outcome.record
        assert record is not None
        assert record.verification is not None
        assert (record.verification.checked, record.verification.mismatched) == (10, 0)
        assert metric_values(rehearsal, 'BalanceMismatches') == [0]


def test_a_file_of_the_points_customers_redeemed_is_not_executed(rehearse: Rehearse) -> None:
    # GIVEN Wix holds the customers' real balances, and an export whose "Points balance" column
    # holds what each of them redeemed
    real = dict(CUSTOMERS)
    redeemed = [(email, points // 10) for email, points in CUSTOMERS]
    for wix in emulator(real):
        rehearsal = rehearse(wix)
        outcome = follow(rehearsal, 'redeemed.csv', export(redeemed))
        # THEN it is REJECTED as BALANCE_SHIFT_SUSPICIOUS: the Wix import exists, nothing executed
        record = outcome.record
        assert record is not None
        assert record.status.value == 'REJECTED'
        assert record.error is not None
        assert record.error.code == 'BALANCE_SHIFT_SUSPICIOUS'
        assert record.wix_import_id is not None
        assert wix.count('execute_import') == 0
        assert wix.balances == real
        assert record.balance_shift is not None
        assert record.balance_shift.down == 10
        (notification,) = outcome.notifications
        assert (notification.subject or '').startswith('Loyalty import refused (BALANCE_SHIFT_SUSPICIOUS)')
        body = json.loads(notification.message)
        assert body['nextSteps'][0] == 'The Wix import was created but NOT executed: no balance changed.'
