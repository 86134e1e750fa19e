"""Undo with one drop: an import's undo file (written with `undo-of` metadata and its SHA-256 on the
record), dropped under the incoming prefix, is imported past the balance-shift and ALREADY_IMPORTED
guards, reports the accounts it cannot take away, and is verified against the original's snapshot;
a file merely claiming `undo-of` gets every guard."""

from __future__ import annotations

import hashlib
import json

import pytest

from loyalty_import.pipeline.guards import undo
from loyalty_import.pipeline.models import ImportRecord, RecordStatus
from loyalty_import.pipeline.steps.importer import import_object
from tests.fakes.wix import FakeWix
from tests.unit.pipeline.conftest import World
from tests.unit.pipeline.fakes import BUCKET, csv_bytes
from tests.unit.pipeline.steps.test_importer import source

KEY = 'incoming/acme/customers.csv'
UNDO_KEY = 'results/acme/customers.csv.imp-1.undo.csv'
DROPPED_UNDO = 'incoming/acme/customers.csv.imp-1.undo.csv'
# Ten customers holding 100..109 points; the file multiplies them by ten (its undo then takes 90%
# from every one: what the balance-shift check refuses) and creates one account (new@example.com).
HELD = {f'c{index}@example.com': 100 + index for index in range(10)}
FILE = {**{email: points * 10 for email, points in HELD.items()}, 'new@example.com': 7}


@pytest.fixture
def wix() -> FakeWix:
    return FakeWix()


def drop(w: World, key: str, content: bytes, metadata: dict[str, str] | None = None) -> ImportRecord:
    rows = content.decode().splitlines()
    w.wix.header = rows[0].split(',')
    w.wix.sample_rows = [row.split(',') for row in rows[1:3]]
    w.wix.success_count = len(rows) - 1
    w.storage.put(key, content, metadata)
    import_object(source(key), w.importer, lambda: 900.0)
    record = w.records.get(source(key).ref.source_id)
    assert record is not None
    return record


def export(balances: dict[str, int]) -> bytes:
    return csv_bytes([['name', 'email', 'points'], *[['x', e, str(p)] for e, p in balances.items()]])


def imported_original(w: World) -> ImportRecord:
    w.wix.accounts = dict(HELD)
    original = w.finalize_imported(drop(w, KEY, export(FILE)))
    assert original.status is RecordStatus.IMPORTED
    return original


def test_the_undo_file_names_its_import_in_its_metadata_and_its_hash_on_the_record(w: World) -> None:
    original = imported_original(w)
    stored = w.storage.objects[(BUCKET, UNDO_KEY)]
    assert original.undo_file == f's3://{BUCKET}/{UNDO_KEY}'
    assert stored.metadata == {'undo-of': original.pk}
    assert original.undo_sha256 == hashlib.sha256(stored.content).hexdigest()
    assert undo.claimed_original(stored.metadata) == original.pk


def test_a_dropped_undo_file_restores_the_snapshot_past_the_shift_check(w: World) -> None:
    original = imported_original(w)
    stored = w.storage.objects[(BUCKET, UNDO_KEY)]
    # WHEN the undo file is dropped as it was written (content and metadata)
    record = w.finalize_imported(drop(w, DROPPED_UNDO, stored.content, dict(stored.metadata)))
    # THEN it is imported as the original's undo although it moves every balance down a lot
    assert record.status is RecordStatus.IMPORTED
    assert record.undo_of == original.pk
    assert record.balance_shift is not None
    assert (record.balance_shift.down, record.balance_shift.suspicious) == (10, None)
    assert record.balance_shift.median_change < -900
    # AND Wix holds the balances before the original again; the account it created stays
    assert w.wix.accounts == {**HELD, 'new@example.com': 7}
    # AND the verification compared with the original's snapshot, and says so
    assert record.verification is not None
    assert (record.verification.checked, record.verification.mismatched) == (10, 0)
    assert record.verification.restores == 'the balances before customers.csv (its snapshot)'
    # AND the account it cannot take away is counted, reported and notified
    assert record.accounts_kept == 1
    assert record.undo_report is not None
    report = w.storage.written[record.undo_report].decode()
    assert 'new@example.com' in report
    assert 'Accounts cannot be deleted' in report
    subject = 'Loyalty undo finished: 10 balances restored, 0 failed - customers.csv'
    assert w.notifier.sent[-1].subject == subject
    body = json.loads(w.notifier.sent[-1].message)
    assert '10 of 10 checked balances are back to the balances before customers.csv' in body['balances']
    assert '1 customers had no account before it' in body['balances']
    # AND the undo has an undo file of its own, naming the undo
    assert record.undo_file is not None
    undo_of_undo = w.storage.objects[(BUCKET, record.undo_file.removeprefix(f's3://{BUCKET}/'))]
    assert undo_of_undo.metadata == {'undo-of': record.pk}


def test_the_same_undo_dropped_twice_is_refused_already_imported(w: World) -> None:
    imported_original(w)
    stored = w.storage.objects[(BUCKET, UNDO_KEY)]
    w.finalize_imported(drop(w, DROPPED_UNDO, stored.content, dict(stored.metadata)))
    again = drop(w, DROPPED_UNDO + '.again.csv', stored.content, dict(stored.metadata))
    assert again.status is RecordStatus.REJECTED
    assert again.error is not None
    assert again.error.code == 'ALREADY_IMPORTED'


def test_a_file_claiming_undo_of_with_other_bytes_gets_every_guard(w: World) -> None:
    original = imported_original(w)
    # WHEN a file of the same customers at 10 points each claims to be the original's undo
    forged = export(dict.fromkeys(HELD, 100))
    record = drop(w, 'incoming/acme/forged.csv', forged, {'undo-of': original.pk})
    # THEN it is not an undo, and the balance-shift check refuses it
    assert record.undo_of is None
    assert record.status is RecordStatus.REJECTED
    assert record.error is not None
    assert record.error.code == 'BALANCE_SHIFT_SUSPICIOUS'


def test_the_original_file_claiming_undo_of_is_still_already_imported(w: World) -> None:
    original = imported_original(w)
    record = drop(w, 'incoming/acme/again.csv', export(FILE), {'undo-of': original.pk})
    assert record.undo_of is None
    assert record.error is not None
    assert record.error.code == 'ALREADY_IMPORTED'


def test_an_undo_of_an_import_that_did_not_end_imported_is_no_undo(w: World) -> None:
    original = imported_original(w)
    content = w.storage.objects[(BUCKET, UNDO_KEY)].content
    sha = hashlib.sha256(content).hexdigest()
    rejected = original.model_copy(update={'status': RecordStatus.REJECTED})
    assert 'ended REJECTED' in (undo.why_not_an_undo(rejected, original.pk, sha) or '')
    assert 'no import' in (undo.why_not_an_undo(None, original.pk, sha) or '')
    no_file = original.model_copy(update={'undo_sha256': None})
    assert 'kept no undo file' in (undo.why_not_an_undo(no_file, original.pk, sha) or '')
    assert undo.why_not_an_undo(original, original.pk, sha) is None
    assert 'bytes differ' in (undo.why_not_an_undo(original, original.pk, 'f' * 64) or '')


def test_a_pk_with_any_character_travels_as_ascii_metadata() -> None:
    pk = 's3://b/incoming/Müller & Söhne/kunden 2025.csv#v1'
    record = ImportRecord(pk=pk, source_uri=pk, bucket='b', key='k', file_name='kunden 2025.csv')
    metadata = undo.metadata_for(record)
    assert metadata['undo-of'].isascii()
    assert undo.claimed_original({'Undo-Of': metadata['undo-of']}) == pk
    assert undo.file_name_of(pk) == 'kunden 2025.csv'
