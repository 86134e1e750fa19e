"""The snapshot before execute (undo file, SNAPSHOT_FAILED), the balance-shift check
(BALANCE_SHIFT_SUSPICIOUS) and the verification after IMPORTED, through the importer, the executor
and the finalizer with the fake Wix's accounts."""

from __future__ import annotations

import json

import pytest

from loyalty_import.pipeline.errors import ImportAborted
from loyalty_import.pipeline.guards.verification import ADDED_NOT_SET
from loyalty_import.pipeline.models import ImportRecord, PollerInput, RecordStatus
from loyalty_import.pipeline.observability import Metric, metrics
from loyalty_import.pipeline.settings import ExecutorSettings, FinalizerSettings
from loyalty_import.pipeline.steps.executor import run_execute_step
from loyalty_import.pipeline.steps.importer import import_object
from loyalty_import.wix.errors import WixUnavailable
from tests.fakes.wix import FakeWix
from tests.unit.pipeline.conftest import World
from tests.unit.pipeline.fakes import BUCKET, csv_bytes, make_settings, settings_of
from tests.unit.pipeline.steps.test_importer import source

KEY = 'incoming/acme/customers.csv'
UPLOAD = f's3://{BUCKET}/results/acme/customers.csv.imp-1.upload.csv'
UNDO = f's3://{BUCKET}/results/acme/customers.csv.imp-1.undo.csv'


def rows(balances: dict[str, int]) -> list[list[str]]:
    return [['name', 'email', 'points'], *[['x', email, str(points)] for email, points in balances.items()]]


def customers(count: int, points: int = 100) -> dict[str, int]:
    return {f'c{index:03}@example.com': points + index for index in range(count)}


@pytest.fixture
def wix() -> FakeWix:
    return FakeWix(header=['name', 'email', 'points'], sample_rows=[['x', 'c000@example.com', '1']])


def drop(w: World, balances: dict[str, int], *, parse_after: int = 0) -> ImportRecord:
    w.wix.parse_after = parse_after
    w.wix.sample_rows = rows(balances)[1:3]
    w.wix.success_count = len(balances)
    w.storage.put(KEY, csv_bytes(rows(balances)))
    import_object(source(KEY), w.importer, lambda: 900.0)
    return w.records.only()


# ------------------------------------------------------------------------------------ the snapshot


def test_the_snapshot_reads_every_email_keeps_an_undo_file_and_then_executes(w: World) -> None:
    # GIVEN Wix knows two of the file's three customers
    w.wix.accounts = {'ann@example.com': 5, 'bob@example.com': 20}
    # WHEN the importer processes the file
    record = drop(w, {'ann@example.com': 10, 'bob@example.com': 20, 'cid@example.com': 30})
    # THEN the uploaded pairs and the undo file (the balances before) are kept under the results prefix
    assert record.upload_file == UPLOAD
    assert w.storage.written[UPLOAD] == (
        b'Email,Points balance\r\nann@example.com,10\r\nbob@example.com,20\r\ncid@example.com,30\r\n'
    )
    assert record.undo_file == UNDO
    assert w.storage.written[UNDO] == b'Email,Points balance\r\nann@example.com,5\r\nbob@example.com,20\r\n'
    # AND the record counts what the one Search Accounts call found, and how the balances move
    assert record.snapshot is not None
    assert record.snapshot.to_wire() == {
        'emailsLookedUp': 3,
        'accountsFound': 2,
        'withoutAccount': 1,
        'wixCalls': 1,
    }
    assert record.balance_shift is not None
    shift = record.balance_shift
    assert (shift.matched, shift.up, shift.unchanged) == (2, 1, 1)
    assert record.balance_shift.examples[0].email == 'a***@example.com'
    assert record.balance_shift.suspicious is None
    # AND the snapshot came before the execute
    assert w.wix.calls.index('find_accounts') < w.wix.calls.index('execute_import')
    assert record.status is RecordStatus.IMPORTING


def test_the_snapshot_asks_for_a_hundred_emails_a_call(w: World) -> None:
    record = drop(w, customers(250))
    assert [len(batch) for batch in w.wix.searched] == [100, 100, 50]
    assert record.snapshot is not None
    assert record.snapshot.wix_calls == 3
    assert record.snapshot.without_account == 250
    assert w.storage.written[UNDO] == b'Email,Points balance\r\n'  # nobody to restore


def test_a_snapshot_wix_cannot_answer_stops_the_import_before_execute(w: World) -> None:
    # GIVEN Wix's account search keeps failing (after the client's own retries)
    w.wix.script['find_accounts'] = [WixUnavailable('Wix search_accounts still failing after 5 attempt(s)')]
    # WHEN the importer processes a file
    record = drop(w, {'ann@example.com': 10})
    # THEN nothing is executed: FAILED with SNAPSHOT_FAILED, notified, no state machine to follow it
    assert w.wix.executed_with == []
    assert record.status is RecordStatus.FAILED
    assert record.error is not None
    assert record.error.code == 'SNAPSHOT_FAILED'
    assert w.workflow.executions == {}
    (notification,) = w.notifier.sent
    assert notification.subject.startswith('Loyalty import FAILED (SNAPSHOT_FAILED)')
    body = json.loads(notification.message)
    assert 'nothing was executed' in body['nextSteps'][0]
    assert body['balances'] == 'No balance changed: the import was not executed.'


def test_without_the_snapshot_nothing_is_looked_up(w: World) -> None:
    w.importer.settings = make_settings(SNAPSHOT_BEFORE_IMPORT='false')
    record = drop(w, {'ann@example.com': 10})
    assert 'find_accounts' not in w.wix.calls
    assert record.upload_file == UPLOAD  # still kept: the verification compares with it
    assert (record.snapshot, record.undo_file, record.balance_shift) == (None, None, None)
    assert record.status is RecordStatus.IMPORTING


def test_the_executor_takes_the_snapshot_when_the_parse_outlasted_the_importer(w: World) -> None:
    # GIVEN a file Wix parses only after the importer stopped waiting
    w.wix.accounts = {'ann@example.com': 5}
    w.importer.settings = make_settings(PARSE_WAIT_SECONDS='0')
    record = drop(w, {'ann@example.com': 10}, parse_after=2)
    assert record.status is RecordStatus.CREATED
    assert 'find_accounts' not in w.wix.calls
    assert 'get_import' not in w.wix.calls  # no wait allowed: not even one read
    task = PollerInput.model_validate(w.workflow.executions['import-imp-1'])
    w.wix.get_import('imp-1')
    w.wix.get_import('imp-1')  # now PARSED
    # WHEN the state machine's Execute step runs
    output = run_execute_step(task, w.executor)
    # THEN it read the balances (from the kept pairs), wrote the undo file and executed
    assert output.executed is True
    record = w.records.only()
    assert record.snapshot is not None
    assert record.snapshot.accounts_found == 1
    assert w.storage.written[UNDO] == b'Email,Points balance\r\nann@example.com,5\r\n'
    assert w.wix.executed_with == [('imp-1', 1, 2)]


# --------------------------------------------------------------------------- the balance-shift check


def test_a_file_of_redeemed_points_is_not_executed(w: World) -> None:
    # GIVEN customers holding 100..109 points, and a file with what each of them redeemed
    held = customers(10)
    w.wix.accounts = dict(held)
    redeemed = dict.fromkeys(held, 20)
    # WHEN the importer processes it
    record = drop(w, redeemed)
    # THEN it is REJECTED as BALANCE_SHIFT_SUSPICIOUS and the Wix import stays unexecuted
    assert w.wix.executed_with == []
    assert w.wix.imports['imp-1']['status'] == 'PARSED'
    assert record.status is RecordStatus.REJECTED
    assert record.error is not None
    assert record.error.code == 'BALANCE_SHIFT_SUSPICIOUS'
    assert '10 of the 10 customers holding points would lose 50%' in record.error.message
    assert record.balance_shift is not None
    assert record.balance_shift.down == 10
    assert record.undo_file == UNDO  # the summary and the snapshot are kept either way
    assert w.workflow.executions == {}
    (notification,) = w.notifier.sent
    assert notification.subject.startswith('Loyalty import refused (BALANCE_SHIFT_SUSPICIOUS)')
    body = json.loads(notification.message)
    assert body['nextSteps'][0] == 'The Wix import was created but NOT executed: no balance changed.'
    assert body['balances'].startswith('No balance changed: the import was not executed.')
    assert '10 down' in body['balances']
    assert 'c00' not in notification.message.replace('c***@', '')  # only masked emails


def test_the_executor_path_refuses_the_same_file_and_leaves_the_loop(w: World) -> None:
    held = customers(5)
    w.wix.accounts = dict(held)
    w.importer.settings = make_settings(PARSE_WAIT_SECONDS='0')
    drop(w, {email: points * 100 for email, points in held.items()})  # cents
    task = PollerInput.model_validate(w.workflow.executions['import-imp-1'])
    with pytest.raises(ImportAborted, match='BALANCE_SHIFT_SUSPICIOUS'):
        run_execute_step(task, w.executor)
    record = w.records.only()
    assert record.status is RecordStatus.REJECTED
    assert w.wix.executed_with == []
    assert len(w.notifier.sent) == 1


def test_a_first_import_into_empty_accounts_is_routine(w: World) -> None:
    held = customers(10)
    w.wix.accounts = dict.fromkeys(held, 0)
    record = drop(w, held)
    assert record.status is RecordStatus.IMPORTING
    assert record.balance_shift is not None
    assert (record.balance_shift.matched, record.balance_shift.up) == (10, 10)


def test_the_thresholds_come_from_the_settings(w: World) -> None:
    held = customers(10)
    w.wix.accounts = dict(held)
    w.importer.settings = make_settings(
        BALANCE_SHIFT_DROP_SHARE_PERCENT='100', BALANCE_SHIFT_DROP_PERCENT='95'
    )
    record = drop(w, dict.fromkeys(held, 20))  # an 80-83% drop: below the 95% this site set
    assert record.status is RecordStatus.IMPORTING


# ------------------------------------------------------------------------------- the verification


def test_after_imported_the_balances_are_read_back_and_all_match(w: World) -> None:
    w.wix.accounts = {'ann@example.com': 5}
    record = w.finalize_imported(drop(w, {'ann@example.com': 10, 'bob@example.com': 20}))
    assert record.status is RecordStatus.IMPORTED
    assert record.verification is not None
    assert record.verification.to_wire() == {
        'checked': 2,
        'matched': 2,
        'mismatched': 0,
        'examples': [],
        'wixCalls': 1,
    }
    (notification,) = w.notifier.sent
    assert notification.subject == 'Loyalty import finished: 2 imported, 0 failed - customers.csv'
    body = json.loads(notification.message)
    assert body['balances'] == (
        'Balances of the 1 customers that had an account: 1 up, 0 down, 0 unchanged '
        '(median change +5 points). '
        'Read back after the import: 2 of 2 checked balances equal the file.'
    )


def test_wix_adding_instead_of_setting_is_reported_first_and_counted(w: World) -> None:
    # GIVEN a Wix that adds the file's points to the balances
    w.wix.accounts = {'ann@example.com': 5, 'bob@example.com': 7}
    w.wix.import_mode = 'add'
    metrics.clear_metrics()
    # WHEN the import ends
    record = w.finalize_imported(
        drop(w, {'ann@example.com': 10, 'bob@example.com': 20, 'cid@example.com': 1})
    )
    # THEN the two customers that had points are mismatches, named for what Wix did
    check = record.verification
    assert check is not None
    assert (check.checked, check.matched, check.mismatched) == (3, 1, 2)
    assert check.diagnosis == ADDED_NOT_SET
    assert [(e.email, e.before, e.after, e.actual) for e in check.examples] == [
        ('a***@example.com', 5, 10, 15),
        ('b***@example.com', 7, 20, 27),
    ]
    # AND counted in the BalanceMismatches metric
    assert metrics.metric_set[Metric.BALANCE_MISMATCHES]['Value'] == [2.0]
    # AND said first in the notification, with the undo file in the next steps
    (notification,) = w.notifier.sent
    assert notification.subject.startswith('Loyalty import finished, 2 balances WRONG')
    body = json.loads(notification.message)
    said = f'2 of 3 balances read back from Wix differ from the file: {ADDED_NOT_SET}.'
    assert body['summary'].startswith(said)
    assert UNDO in body['nextSteps'][0]
    # AND the search was retried for the whole window before calling them mismatches
    assert sum(w.clock.sleeps) == pytest.approx(60)


def test_a_search_lagging_less_than_the_window_is_no_mismatch(w: World) -> None:
    w.wix.accounts = {'ann@example.com': 5}
    w.wix.search_lag = 3  # three searches after the execute still see the balance before
    record = w.finalize_imported(drop(w, {'ann@example.com': 10}))
    assert record.verification is not None
    assert record.verification.mismatched == 0
    assert record.verification.wix_calls == 4
    assert w.clock.sleeps == [2.0, 4.0, 8.0]


def test_a_search_lagging_past_the_window_is_reported(w: World) -> None:
    w.finalizer.settings = settings_of(FinalizerSettings, VERIFY_RETRY_SECONDS='5')
    w.wix.accounts = {'ann@example.com': 5}
    w.wix.search_lag = 100
    record = w.finalize_imported(drop(w, {'ann@example.com': 10}))
    assert record.verification is not None
    assert record.verification.mismatched == 1
    assert record.verification.diagnosis is None  # 5 is not 5 + 10
    assert w.clock.sleeps == [2.0, 3.0]


def test_rows_wix_did_not_import_are_not_checked(w: World) -> None:
    w.wix.failure_count = 1  # its error file names ghost@example.com
    record = w.finalize_imported(drop(w, {'ann@example.com': 10, 'ghost@example.com': 5}))
    assert record.verification is not None
    assert record.verification.checked == 1
    assert w.wix.searched[-1] == ['ann@example.com']


def test_a_verification_wix_cannot_answer_is_recorded_not_fatal(w: World) -> None:
    record = drop(w, {'ann@example.com': 10})
    w.wix.script['find_accounts'] = [WixUnavailable('down')]
    record = w.finalize_imported(record)
    assert record.status is RecordStatus.IMPORTED
    assert record.verification is not None
    assert record.verification.checked == 0
    assert record.verification.incomplete is not None
    assert 'down' in record.verification.incomplete


def test_an_executor_settings_model_feeds_the_snapshot() -> None:
    settings = settings_of(ExecutorSettings)
    assert settings.snapshot_before_import is True
    assert (settings.balance_shift_drop_share_percent, settings.balance_shift_drop_percent) == (60, 50)
    assert settings.balance_shift_jump_factor == 20
