"""Undo with one drop, end to end: an import, then its undo file dropped (as `loyalty-import undo`
drops it) -> IMPORTED with undoOf, verified back to the snapshot, Wix's balances back to what they
were; a file whose undo-of metadata is forged still gets the guards."""

from __future__ import annotations

import json

import boto3

from rehearsal import Rehearsal
from rehearsal.harness import Outcome
from tests.e2e.conftest import FOLLOW_S, Rehearse
from tests.e2e.test_balance_checks import emulator, export, s3_text
from tests.e2e.test_imports import failures, follow

# Ten customers holding 100..109 points (one, customer10, has no account); the file multiplies
# the balances by five, so its undo takes 80% from every one of them: what the shift check refuses.
SEEDS = {f'customer{n}@example.com': 99 + n for n in range(1, 10)}
CUSTOMERS = [(email, points * 5) for email, points in SEEDS.items()] + [('customer10@example.com', 70)]


def claiming(rehearsal: Rehearsal, name: str, content: bytes, undo_of: str) -> Outcome:
    """Drop a file whose metadata says it is the undo of `undo_of`."""
    outcome = rehearsal.follow(
        rehearsal.drop(name, content, metadata={'undo-of': undo_of}), timeout_s=FOLLOW_S
    )
    assert outcome.finished, failures(rehearsal)
    return outcome


def test_dropping_the_undo_file_restores_the_balances_before_the_import(rehearse: Rehearse) -> None:
    for wix in emulator(SEEDS):
        rehearsal = rehearse(wix)
        original = follow(rehearsal, 'balances.csv', export(CUSTOMERS)).record
        assert original is not None
        assert original.status.value == 'IMPORTED'
        assert original.undo_file is not None
        assert wix.balances == dict(CUSTOMERS)
        # WHEN its undo file is dropped as loyalty-import undo drops it
        drop = rehearsal.drop_undo(original)
        assert drop.key == f'incoming/balances.csv.{original.wix_import_id}.undo.csv'
        outcome = rehearsal.follow(drop, timeout_s=FOLLOW_S)
        assert outcome.finished, failures(rehearsal)
        undone = outcome.record
        assert undone is not None
        # THEN it is imported as the original's undo, past the balance-shift check
        assert undone.status.value == 'IMPORTED', undone.error
        assert undone.undo_of == original.pk
        assert undone.balance_shift is not None
        assert undone.balance_shift.down == 9
        # AND its verification matched every balance: they are back to the original's snapshot
        check = undone.verification
        assert check is not None
        assert (check.checked, check.matched, check.mismatched) == (9, 9, 0)
        assert check.restores == 'the balances before balances.csv (its snapshot)'
        # AND Wix holds the seeds again; the account the original created stays, and is reported
        assert {email: wix.balances[email] for email in SEEDS} == SEEDS
        assert wix.balances['customer10@example.com'] == 70
        assert undone.accounts_kept == 1
        assert undone.undo_report is not None
        assert 'customer10@example.com' in s3_text(undone.undo_report)
        (notification,) = outcome.notifications
        assert notification.subject == 'Loyalty undo finished: 9 balances restored, 0 failed - balances.csv'
        balances = json.loads(notification.message)['balances']
        assert '9 of 9 checked balances are back to the balances before balances.csv' in balances
        # AND the undo is undoable too: its own undo file names it
        assert undone.undo_file is not None
        bucket, _, key = undone.undo_file.removeprefix('s3://').partition('/')
        head = boto3.client('s3', region_name='us-east-1').head_object(Bucket=bucket, Key=key)
        assert head['Metadata'] == {'undo-of': undone.pk}


def test_a_forged_undo_of_gets_the_guards(rehearse: Rehearse) -> None:
    for wix in emulator(SEEDS):
        rehearsal = rehearse(wix)
        original = follow(rehearsal, 'balances.csv', export(CUSTOMERS)).record
        assert original is not None
        assert original.status.value == 'IMPORTED'
        # WHEN a file taking 90% from every balance claims to be the original's undo
        forged = [(email, points // 10) for email, points in CUSTOMERS]
        record = claiming(rehearsal, 'forged.csv', export(forged), original.pk).record
        # THEN it is no undo: the balance-shift check refuses it, nothing executed
        assert record is not None
        assert record.undo_of is None
        assert record.status.value == 'REJECTED'
        assert record.error is not None
        assert record.error.code == 'BALANCE_SHIFT_SUSPICIOUS'
        # AND the original file claiming undo-of is refused ALREADY_IMPORTED as any re-drop
        again = claiming(rehearsal, 'again.csv', export(CUSTOMERS), original.pk).record
        assert again is not None
        assert again.error is not None
        assert again.error.code == 'ALREADY_IMPORTED'
        assert wix.balances == dict(CUSTOMERS)
