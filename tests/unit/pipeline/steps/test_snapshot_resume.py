"""A balance snapshot longer than one invocation (issue 14: 250,000 emails are ~14 min of calls at the
site's budget): it reads while the invocation has time and the budget gives tokens, saves its
progress, reports "not finished", and the next Execute resumes, ending with the same undo file and
check as a snapshot read in one go."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pytest

from loyalty_import.pipeline import transitions
from loyalty_import.pipeline.guards import snapshot
from loyalty_import.pipeline.models import ImportRecord, PollerInput, RecordStatus, SnapshotProgress
from loyalty_import.pipeline.settings import ExecutorSettings
from loyalty_import.pipeline.steps.executor import run_execute_step
from loyalty_import.pipeline.steps.importer import import_object
from loyalty_import.wix.accounts import AccountBalance
from loyalty_import.wix.errors import WixBudgetExhausted, WixRateLimited
from tests.fakes.wix import FakeWix
from tests.unit.pipeline.conftest import World
from tests.unit.pipeline.fakes import BUCKET, FakeStorage, csv_bytes, make_settings, settings_of
from tests.unit.pipeline.steps.test_balance_checks import KEY, UNDO, UPLOAD, drop, rows
from tests.unit.pipeline.steps.test_importer import source

PROGRESS = f'results/acme/customers.csv.imp-1.{snapshot.PROGRESS_SUFFIX}'
EMAILS = 1_000  # 10 Search Accounts batches


@dataclass
class Invocation:
    """A Lambda invocation whose time allows `batches` Search Accounts calls (time read, not slept)."""

    wix: FakeWix
    batches: int
    started_at: int = 0

    def start(self) -> Invocation:
        self.started_at = len(self.wix.searched)
        return self

    def remaining_s(self) -> float:
        done = len(self.wix.searched) - self.started_at
        return snapshot.SNAPSHOT_MARGIN_S + 30 if done < self.batches else snapshot.SNAPSHOT_MARGIN_S - 1


class DryAfter(FakeWix):
    """The fake Wix behind a site budget that gives `batches` Search Accounts calls, then `dry`."""

    def __init__(self, wix: FakeWix, *, batches: int, dry: Exception) -> None:
        self.__dict__.update(wix.__dict__)  # the same imports and accounts, the same call log
        self._left = batches
        self._dry = dry

    def find_accounts(self, emails: Sequence[str]) -> list[AccountBalance]:
        if self._left == 0:
            raise self._dry  # taken before the request is sent: Wix sees nothing
        self._left -= 1
        return super().find_accounts(emails)


@pytest.fixture
def wix() -> FakeWix:
    return FakeWix(header=['name', 'email', 'points'], sample_rows=[['x', 'c0000@example.com', '1']])


def file_balances() -> dict[str, int]:
    return {f'c{index:04}@example.com': 100 + index for index in range(EMAILS)}


def wix_accounts() -> dict[str, int]:
    """Wix knows 3 of every 5 customers: one lower, one equal, one higher than the file."""
    offsets = {0: -10, 1: 0, 2: 5}
    return {
        f'c{index:04}@example.com': 100 + index + offsets[index % 5]
        for index in range(EMAILS)
        if index % 5 in offsets
    }


def parsed_task(w: World) -> tuple[PollerInput, ImportRecord]:
    """A file Wix parsed after the importer handed it over, Wix knowing 600 of its 1,000 customers."""
    w.importer.settings = make_settings(PARSE_WAIT_SECONDS='0')
    w.wix.accounts = wix_accounts()
    record = drop(w, file_balances(), parse_after=1)
    w.wix.get_import('imp-1')  # now PARSED
    return PollerInput.model_validate(w.workflow.executions['import-imp-1']), record


def one_shot(record: ImportRecord, w: World) -> tuple[ImportRecord, bytes]:
    """The record and undo file of a snapshot read in one invocation, for the same file and accounts."""
    storage = FakeStorage()
    storage.put(UPLOAD.removeprefix(f's3://{BUCKET}/'), w.storage.written[UPLOAD])
    wix = FakeWix(accounts=wix_accounts())  # as before the import
    before = snapshot.take_snapshot(
        record, settings=settings_of(ExecutorSettings), storage=storage, wix=lambda: wix
    )
    assert len(wix.searched) == EMAILS // 100
    assert before.finished
    assert before.ending is None
    expected = record.model_copy(deep=True)
    for change in before.changes:
        change(expected)
    return expected, storage.written[UNDO]


def test_a_snapshot_of_four_invocations_ends_like_one(w: World) -> None:
    task, handed_over = parsed_task(w)
    invocation = Invocation(w.wix, batches=3)
    outputs = []
    for _ in range(4):
        w.executor.remaining_s = invocation.start().remaining_s
        outputs.append(run_execute_step(task, w.executor))
    # THEN three invocations stop unfinished (still PARSED, nothing executed), the fourth executes
    assert [(o.executed, o.status) for o in outputs[:3]] == [(False, 'PARSED')] * 3
    assert outputs[3].executed is True
    assert w.wix.executed_with == [('imp-1', 1, 2)]
    # AND every batch of 100 emails was asked for exactly once, 3 + 3 + 3 + 1
    assert [len(batch) for batch in w.wix.searched] == [100] * 10
    asked = [email for batch in w.wix.searched for email in batch]
    assert sorted(asked) == sorted(file_balances())
    assert len(set(asked)) == EMAILS
    # AND the record and the undo file are byte for byte what one invocation gives
    record = w.records.only()
    expected, reference_undo = one_shot(handed_over, w)
    assert w.storage.written[UNDO] == reference_undo
    assert reference_undo.count(b'\r\n') == 1 + 600
    assert record.snapshot == expected.snapshot
    assert record.snapshot is not None
    assert record.snapshot.wix_calls == 10
    assert record.snapshot.accounts_found == 600
    assert (record.undo_file, record.undo_sha256) == (expected.undo_file, expected.undo_sha256)
    assert record.balance_shift == expected.balance_shift
    assert record.status is RecordStatus.IMPORTING


def test_an_unfinished_snapshot_changes_nothing_in_the_record(w: World) -> None:
    task, handed_over = parsed_task(w)
    w.executor.remaining_s = Invocation(w.wix, batches=3).start().remaining_s
    run_execute_step(task, w.executor)
    record = w.records.only()
    assert (record.snapshot, record.undo_file, record.executed_at) == (None, None, None)
    assert record.status is handed_over.status
    assert UNDO not in w.storage.written
    # AND the progress (under the results prefix, beside the undo file), which the record names,
    # holds 3 batches' balances
    assert record.snapshot_progress == f's3://{BUCKET}/{PROGRESS}'
    progress = SnapshotProgress.model_validate_json(w.storage.written[record.snapshot_progress])
    assert (progress.import_id, progress.emails, progress.next_batch, progress.wix_calls) == (
        'imp-1',
        EMAILS,
        3,
        3,
    )
    assert len(progress.found) == 180  # 3 of every 5 customers of the first 300 have an account


@pytest.mark.parametrize(
    'dry',
    [WixBudgetExhausted("site acme's Wix call budget is empty"), WixRateLimited('429', status_code=429)],
)
def test_a_budget_running_dry_mid_snapshot_saves_and_resumes(w: World, dry: Exception) -> None:
    task, handed_over = parsed_task(w)
    # GIVEN the site's budget runs dry at the 5th batch (no time limit at all)
    w.executor.wix = lambda _site: DryAfter(w.wix, batches=4, dry=dry)
    first = run_execute_step(task, w.executor)
    # THEN it is not an error: progress saved after 4 batches, not executed, no SNAPSHOT_FAILED
    assert (first.executed, first.status) == (False, 'PARSED')
    assert w.records.only().error is None
    progress = SnapshotProgress.model_validate_json(w.storage.written[f's3://{BUCKET}/{PROGRESS}'])
    assert progress.next_batch == 4
    # WHEN the next Execute comes, the budget refilled
    w.executor.wix = lambda _site: w.wix
    second = run_execute_step(task, w.executor)
    # THEN it resumed at the 5th batch (the refused one asked again), and executed
    assert second.executed is True
    batches = [batch[0] for batch in w.wix.searched]
    assert batches[4] == 'c0400@example.com'  # the refused call (never sent), asked again
    assert len(set(batches)) == 10
    expected, reference_undo = one_shot(handed_over, w)
    assert w.storage.written[UNDO] == reference_undo
    record = w.records.only()
    assert (record.snapshot, record.undo_sha256) == (expected.snapshot, expected.undo_sha256)
    assert record.balance_shift == expected.balance_shift


def test_a_crash_after_saving_loses_nothing(w: World) -> None:
    task, handed_over = parsed_task(w)
    w.executor.remaining_s = Invocation(w.wix, batches=6).start().remaining_s
    run_execute_step(task, w.executor)
    # GIVEN the container dies: only the S3 objects and the record survive (the executor keeps no
    # other state), and a new container serves the next Execute without a time limit
    w.wix.searched.clear()
    w.executor.remaining_s = lambda: None
    # WHEN it runs the Execute step
    output = run_execute_step(task, w.executor)
    # THEN it asked only for the 4 batches not read before, and the undo file is complete
    assert output.executed is True
    assert [batch[0] for batch in w.wix.searched] == [
        f'c{index:04}@example.com' for index in (600, 700, 800, 900)
    ]
    assert w.storage.written[UNDO] == one_shot(handed_over, w)[1]
    record = w.records.only()
    assert record.snapshot is not None
    assert record.snapshot.wix_calls == 10


def test_a_progress_of_other_pairs_is_not_resumed(w: World) -> None:
    task, _ = parsed_task(w)
    stale = SnapshotProgress(import_id='imp-1', emails=3, next_batch=1, wix_calls=1, found={'x@y.z': 1})
    w.storage.put(PROGRESS, stale.model_dump_json().encode())
    named = transitions.snapshot_progress_kept(f's3://{BUCKET}/{PROGRESS}')
    transitions.advance(w.records.only(), named, records=w.records)
    assert run_execute_step(task, w.executor).executed is True
    assert len(w.wix.searched) == 10
    record = w.records.only()
    assert record.snapshot is not None
    assert record.snapshot.accounts_found == 600


def test_a_progress_the_record_does_not_name_is_not_read(w: World) -> None:
    # S3 answers 403, not 404, for a missing key to a role without ListBucket: only a progress the
    # record names (written before it was named) is ever read
    task, _ = parsed_task(w)
    w.storage.put(PROGRESS, b'not even json')
    reads = w.storage.reads
    assert run_execute_step(task, w.executor).executed is True
    assert w.storage.reads == reads + 1  # the uploaded pairs only
    assert len(w.wix.searched) == 10


def test_a_long_run_saves_its_progress_on_the_way(w: World, monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN an invocation killed (its timeout) after 7 batches, progress being saved every 5
    monkeypatch.setattr(snapshot, 'SAVE_EVERY_BATCHES', 5)
    saves: list[SnapshotProgress] = []
    progress = SnapshotProgress(import_id='imp-1', emails=EMAILS, next_batch=0, wix_calls=0)
    w.wix.accounts = file_balances()

    def killed_after_seven() -> float | None:
        if len(w.wix.searched) == 7:
            raise TimeoutError('Task timed out')
        return None

    with pytest.raises(TimeoutError):
        snapshot.read_batches(
            w.wix, list(file_balances()), progress, remaining_s=killed_after_seven, save=saves.append
        )
    # THEN the first 5 batches' balances were saved before it died
    (saved,) = saves
    assert (saved.next_batch, saved.wix_calls, len(saved.found)) == (5, 5, 500)


def test_an_unfinished_snapshot_in_the_importer_hands_over_to_a_short_wait(w: World) -> None:
    # GIVEN the importer waits for the parse (ParseWaitSeconds > 0) and its time allows 3 batches
    w.wix.accounts = wix_accounts()
    invocation = Invocation(w.wix, batches=3).start()
    w.wix.parse_after = 0
    w.storage.put(KEY, csv_bytes(rows(file_balances())))
    w.wix.sample_rows = rows(file_balances())[1:3]
    import_object(source(KEY), w.importer, invocation.remaining_s)
    # THEN it read 3 batches, did not execute, and started the state machine still in the parse
    # phase (its expected end passed): the first Poll comes soon, sees PARSED, and Execute resumes
    record = w.records.only()
    assert len(w.wix.searched) == 3
    assert (record.executed_at, record.snapshot) == (None, None)
    task = PollerInput.model_validate(w.workflow.executions['import-imp-1'])
    assert task.schedule is not None
    assert task.schedule.phase == 'parse'
    assert task.first_wait <= 5
    assert run_execute_step(task, w.executor).executed is True
    assert len(w.wix.searched) == 10
    assert w.storage.written[UNDO] == one_shot(record, w)[1]


def test_an_invocation_killed_mid_snapshot_resumes_from_its_last_save(
    w: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN progress saved every 4 batches, and a first invocation killed (its timeout) during the 7th
    monkeypatch.setattr(snapshot, 'SAVE_EVERY_BATCHES', 4)
    task, handed_over = parsed_task(w)

    def killed_after_six() -> float | None:
        if len(w.wix.searched) == 6:
            raise TimeoutError('Task timed out')
        return None

    w.executor.remaining_s = killed_after_six
    with pytest.raises(TimeoutError):
        run_execute_step(task, w.executor)
    # THEN the record already names the progress of the first 4 batches
    assert w.records.only().snapshot_progress == f's3://{BUCKET}/{PROGRESS}'
    # WHEN the state machine's retry runs Execute again
    w.wix.searched.clear()
    w.executor.remaining_s = lambda: None
    assert run_execute_step(task, w.executor).executed is True
    # THEN it asked again only from the 5th batch on, and the undo file is a one-shot's
    assert [batch[0] for batch in w.wix.searched] == [
        f'c{index:04}@example.com' for index in range(400, 1000, 100)
    ]
    assert w.storage.written[UNDO] == one_shot(handed_over, w)[1]
