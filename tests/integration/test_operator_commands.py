"""The operator commands of `loyalty-import` (reviews, review, layouts, forget, status, show) run
in this process against the rehearsal: template.yaml in moto, the real handlers, a Wix emulator.
Each command finds the stack by the rehearsal's stack name (region: boto3's configuration), as it
would find a deployed one.

One rehearsal serves the module (each test drops files of its own, with balances of its own, so
none is another's re-import); a command runs while the rehearsal holds its handlers still (creating
a boto3 client while a handler swaps os.environ fails), and every wait polls the record, bounded.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import json
import re
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from loyalty_import.cli import EXIT_OK, EXIT_REFUSED, EXIT_REVIEW, main
from loyalty_import.operator.render import short_id
from loyalty_import.pipeline.adapters.records import DynamoRecordStore
from loyalty_import.pipeline.models import ImportRecord, RecordStatus
from rehearsal import Rehearsal, RehearsalConfig
from rehearsal.harness import Drop, Outcome
from wix_emulator import EmulatorSettings, WixEmulator

FOLLOW_S = 120.0  # a hang guard far above what a test needs
POLL_S = 0.02
CLOCK_SCALE = 0.01


def csv(rows: Sequence[Sequence[str]], header: Sequence[str] | None = None) -> bytes:
    lines = ([','.join(header)] if header else []) + [','.join(row) for row in rows]
    return ('\n'.join(lines) + '\n').encode()


def customers(tag: str, *points: int) -> list[tuple[str, str]]:
    """Customers of one test (their balances are its own: never another test's re-import)."""
    return [(f'{name}.{tag}@example.com', str(p)) for name, p in zip(NAMES, points, strict=False)]


NAMES = ('ann', 'bob', 'cy', 'dee', 'eve', 'fay')
# What the brief's headerless file holds: emails and whole numbers, no header -> AWAITING_REVIEW.
HEADERLESS = (
    b'ann@example.com,120\nbob@example.com,45\ncy@example.com,300\n'
    b'dee@example.com,7\neve@example.com,88\nfay@example.com,12\n'
)


@contextlib.contextmanager
def rehearsed(**parameters: str) -> Iterator[Rehearsal]:
    """A rehearsal of its own (stack parameters overridden), stopped at the end."""
    settings = EmulatorSettings(parse_delay_s=0.02, import_delay_s=0.02, retry_after_s=0)
    config = RehearsalConfig(parameters=parameters, clock_scale=CLOCK_SCALE, async_retry_delay_s=0.01)
    with pytest.MonkeyPatch.context() as env, WixEmulator(settings) as emulator:
        # The commands' region is boto3's own configuration, as an operator's shell sets it.
        env.setenv('AWS_DEFAULT_REGION', config.region)
        env.delenv('LOYALTY_IMPORT_STACK', raising=False)
        with Rehearsal(config, emulator=emulator) as rehearsal:
            yield rehearsal


@pytest.fixture(scope='module')
def rehearsal(request: pytest.FixtureRequest) -> Iterator[Rehearsal]:
    """The module's rehearsal; a test that parametrizes it (indirect) gets one with those stack
    parameters, the other stopped first (one moto at a time)."""
    with rehearsed(**getattr(request, 'param', {})) as started:
        yield started


def run(rehearsal: Rehearsal, *argv: str, stack: str | None = None) -> tuple[int, str]:
    """`loyalty-import ARGV --stack <the rehearsal's stack>`: its exit code and output."""
    assert rehearsal.runtime is not None
    out = io.StringIO()
    with rehearsal.runtime.holding_still():
        code = main([*argv, '--stack', stack or rehearsal.config.stack_name], out=out)
    return code, out.getvalue()


def run_json(rehearsal: Rehearsal, *argv: str) -> Any:
    code, output = run(rehearsal, *argv, '--json')
    assert code == EXIT_OK, output
    return json.loads(output)


def wait_for(
    rehearsal: Rehearsal, drop: Drop, ready: Callable[[ImportRecord], bool], what: str
) -> ImportRecord:
    deadline = time.monotonic() + FOLLOW_S
    while True:
        record = rehearsal.record(drop)
        if record is not None and ready(record):
            return record
        if (record is not None and record.is_final) or time.monotonic() >= deadline:
            pytest.fail(f'{drop.key}: not {what} within {FOLLOW_S:.0f} s (last: {record and record.status})')
        time.sleep(POLL_S)


def asked(record: ImportRecord) -> bool:
    """Waiting for a person, with the link sent: the review execution waits for the decision."""
    return (
        record.status is RecordStatus.AWAITING_REVIEW
        and record.review is not None
        and record.review.link_sent_at is not None
    )


def pending(rehearsal: Rehearsal, name: str, content: bytes) -> tuple[Drop, ImportRecord]:
    drop = rehearsal.drop(name, content)
    return drop, wait_for(rehearsal, drop, asked, 'AWAITING_REVIEW with its link sent')


def finished(rehearsal: Rehearsal, drop: Drop) -> ImportRecord:
    outcome: Outcome = rehearsal.follow(drop, timeout_s=FOLLOW_S)
    assert outcome.finished, outcome.status
    assert outcome.record is not None
    return outcome.record


def records(rehearsal: Rehearsal) -> DynamoRecordStore:
    """The imports table, read with the product's own store (its client made while no handler runs)."""
    assert rehearsal.runtime is not None
    with rehearsal.runtime.holding_still():
        return DynamoRecordStore(rehearsal.resource('ImportsTable'))


def secrets_of(rehearsal: Rehearsal, record: ImportRecord) -> list[str]:
    """The review's secrets: the link's token (only in its notification) and, as the table holds
    them, the token's hash, the anti-CSRF value and the waiting execution's task token."""
    stored = records(rehearsal).get(record.pk)
    assert stored is not None
    assert stored.review is not None
    links = [m for m in rehearsal.notifications() if m.mentions(record.pk) and '?t=' in m.message]
    tokens = re.findall(r'\?t=([A-Za-z0-9_-]+)', links[0].message) if links else []
    found = [*tokens, stored.review.task_token, stored.review.csrf, stored.review.token_hash]
    assert len(found) == 4, 'a review that was asked has its link token'
    assert all(found), 'a review that was asked holds a token hash, a csrf value and a task token'
    return [secret for secret in found if secret]


def assert_none_printed(secrets: list[str], *outputs: str) -> None:
    for secret in secrets:
        assert all(secret not in output for output in outputs)


def row_of(output: str, ident: str) -> str:
    rows = [line for line in output.splitlines() if line.startswith(ident)]
    assert len(rows) == 1, output
    return rows[0]


# ---------------------------------------------------------------------------- reviews, review


def listed_as_pending(rehearsal: Rehearsal, record: ImportRecord) -> str:
    """`reviews` lists the record: file, rows, the proposal, the first reason, asked, deadline."""
    ident = short_id(record.pk)
    code, table = run(rehearsal, 'reviews')
    assert code == EXIT_OK
    assert table.splitlines()[0].split() == [
        'ID',
        'FILE',
        'ROWS',
        'PROPOSAL',
        'REASON',
        'REQUESTED',
        'DEADLINE',
    ]
    row = row_of(table, ident)
    assert row.split()[:3] == [ident, 'headerless.csv', '6']
    assert 'EMAIL 0 / POINTS 1' in row
    assert 'NO_HEADER +2' in row
    assert record.review is not None
    assert record.review.expires_at is not None
    assert f'{record.review.expires_at:%Y-%m-%d %H:%M:%S}Z' in row
    mine = next(entry for entry in run_json(rehearsal, 'reviews') if entry['id'] == ident)
    assert mine['pk'] == record.pk
    assert mine['proposal'] == {
        'email': {'column': 0, 'name': 'column 0'},
        'points': {'column': 1, 'name': 'column 1'},
    }
    assert [reason['code'] for reason in mine['reasons']] == ['NO_HEADER', 'CONTENT_DOUBT', 'CONTENT_DOUBT']
    return table


def shown_with_both_executions(rehearsal: Rehearsal, record: ImportRecord, imported: ImportRecord) -> str:
    """`show`: the record, its links, the review's and the import's execution steps."""
    ident = short_id(record.pk)
    code, shown = run(rehearsal, 'show', ident)
    assert code == EXIT_OK
    assert shown.startswith(f'Import {ident}  headerless.csv  IMPORTED\n')
    assert f'  source       {imported.source_uri} (version {imported.version_id})' in shown
    assert f'  undo file    {imported.undo_file}' in shown
    assert 'approved by operator command' in shown
    assert '(EMAIL column 0, POINTS column 1)' in shown
    assert record.review is not None
    names = [record.review.execution_name, imported.execution_name]
    steps = shown.split('State machine steps\n', 1)[1]
    for name in names:
        assert f'  {name}  SUCCEEDED' in steps
    for state in ('AskAPerson', 'Import', 'Poll', 'Finalize'):
        assert f'entered  {state}' in steps
        assert f'exited   {state}' in steps
    detail = run_json(rehearsal, 'show', ident)
    assert detail['record'] == imported.public_view()
    assert detail['links']['undo file'] == imported.undo_file
    assert [e['name'] for e in detail['executions']] == names
    review_steps = [(s['event'], s.get('state')) for s in detail['executions'][0]['steps']]
    assert review_steps[:2] == [('execution started', None), ('entered', 'AskAPerson')]
    assert review_steps[-1] == ('execution succeeded', None)
    return shown + json.dumps(detail)


def test_reviews_lists_a_waiting_file_and_approving_it_imports_it(rehearsal: Rehearsal) -> None:
    drop, record = pending(rehearsal, 'headerless.csv', HEADERLESS)
    ident = short_id(record.pk)
    table = listed_as_pending(rehearsal, record)
    # `review ID --approve` (the proposal); the full pk names it as well as the short id
    code, said = run(rehearsal, 'review', record.pk, '--approve')
    assert code == EXIT_OK, said
    assert said.startswith(
        f'Approved headerless.csv ({ident}): EMAIL = column 0, POINTS = column 1 (operator command, '
    )
    assert f'follow it with `loyalty-import show {ident}`' in said
    imported = finished(rehearsal, drop)
    assert imported.status is RecordStatus.IMPORTED, imported.error
    assert imported.review is not None
    assert imported.review.decision is not None
    assert imported.review.decision.by == 'operator command'
    assert imported.review.handed_over_at is not None
    assert imported.mapping is not None
    assert (imported.mapping.email.column, imported.mapping.points.column) == (0, 1)
    assert rehearsal.emulator.balances['cy@example.com'] == 300
    # no longer pending; deciding again says it was decided
    assert all(entry['id'] != ident for entry in run_json(rehearsal, 'reviews'))
    code, again = run(rehearsal, 'review', ident, '--reject')
    assert code == EXIT_REFUSED
    assert again.startswith(f'Not decided: headerless.csv ({ident}) was already approved (operator command, ')
    assert again.rstrip().endswith('the import is IMPORTED.')
    shown = shown_with_both_executions(rehearsal, record, imported)
    # no review token hash, anti-CSRF value or task token in anything printed
    assert_none_printed(secrets_of(rehearsal, imported), table, said, again, shown)


def test_approving_other_columns_imports_those_columns(rehearsal: Rehearsal) -> None:
    # emails, then two columns of whole numbers: the proposal is column 1, the person picks column 2
    rows = [
        (email, points, str(int(points) * 3 + 1))
        for email, points in customers('other', 240, 9, 77, 3, 150, 62)
    ]
    drop, record = pending(rehearsal, 'two-numbers.csv', csv(rows))
    assert record.review is not None
    assert record.review.points_column == 1
    code, said = run(rehearsal, 'review', short_id(record.pk), '--approve', '--points-column', 'column 2')
    assert code == EXIT_OK, said
    assert 'EMAIL = column 0, POINTS = column 2' in said
    imported = finished(rehearsal, drop)
    assert imported.status is RecordStatus.IMPORTED, imported.error
    assert imported.mapping is not None
    assert imported.mapping.points.column == 2
    assert {email: rehearsal.emulator.balances[email] for email, _, _ in rows} == {
        email: int(third) for email, _, third in rows
    }


def test_rejecting_ends_the_import_and_sends_nothing_to_wix(rehearsal: Rehearsal) -> None:
    rows = customers('reject', 15, 480, 33, 7, 96, 210)
    drop, record = pending(rehearsal, 'rejected.csv', csv(rows))
    ident = short_id(record.pk)
    code, said = run(rehearsal, 'review', ident, '--reject')
    assert code == EXIT_OK, said
    assert (
        said
        == f'Rejected rejected.csv ({ident}): the import ended REVIEW_REJECTED; nothing was sent to Wix.\n'
    )
    ended = finished(rehearsal, drop)
    assert ended.status is RecordStatus.REVIEW_REJECTED
    assert ended.error is not None
    assert ended.error.code == 'REVIEW_REJECTED'
    assert ended.wix_import_id is None
    assert all(email not in rehearsal.emulator.balances for email, _ in rows)
    code, again = run(rehearsal, 'review', ident, '--approve')
    assert code == EXIT_REFUSED
    assert 'was already rejected (operator command, ' in again
    assert 'the import is REVIEW_REJECTED' in again
    code, json_said = run(rehearsal, 'review', ident, '--approve', '--json')
    assert code == EXIT_REFUSED
    assert json.loads(json_said)['outcome'] == 'ALREADY_DECIDED'


@pytest.mark.parametrize(
    ('choice', 'says'),
    [
        # POINTS = the email column
        (('--points-column', '0'), 'Not decided: EMAIL and POINTS must be two different columns.\n'),
        # POINTS = the text column (names): the file's rows fail, as they would as an override
        (('--points-column', '1'), 'Not decided: 6 of 6 rows have no valid email in column 0'),
        (('--email-column', '2', '--points-column', '0'), 'Not decided: 6 of 6 rows have no valid email'),
    ],
)
def test_an_invalid_choice_says_why_and_changes_nothing(
    rehearsal: Rehearsal, choice: tuple[str, ...], says: str
) -> None:
    tag = 'invalid' + ''.join(choice).replace('-', '')
    rows = [
        (email, name.title(), points)
        for (email, points), name in zip(customers(tag, 120, 4, 880, 56, 31, 9), NAMES, strict=True)
    ]
    drop, record = pending(rehearsal, f'{tag}.csv', csv(rows))
    code, said = run(rehearsal, 'review', short_id(record.pk), '--approve', *choice)
    assert code == EXIT_REFUSED
    assert said.startswith(says), said
    assert said.endswith(f'Nothing changed: {tag}.csv ({short_id(record.pk)}) still waits for a review.\n')
    after = rehearsal.record(drop)
    assert after is not None
    assert after.review is not None
    assert after.version == record.version
    assert after.status is RecordStatus.AWAITING_REVIEW
    assert after.review.decision is None
    assert any(entry['id'] == short_id(record.pk) for entry in run_json(rehearsal, 'reviews'))


def test_a_column_the_file_does_not_have_is_refused_before_deciding(rehearsal: Rehearsal) -> None:
    drop, record = pending(rehearsal, 'narrow.csv', csv(customers('narrow', 17, 260, 5, 73, 340, 41)))
    ident = short_id(record.pk)
    for given in ('7', 'Punkte'):
        code, said = run(rehearsal, 'review', ident, '--approve', '--points-column', given)
        assert code == EXIT_REFUSED
        assert said == f"Not done: no POINTS column '{given}' in this file: its columns are 0, 1.\n"
    code, said = run(rehearsal, 'review', ident, '--reject', '--email-column', '0')
    assert code == EXIT_REFUSED
    assert 'choose the columns of an approval, not a rejection' in said
    after = rehearsal.record(drop)
    assert after is not None
    assert after.version == record.version


def test_an_approval_waits_until_the_review_is_open(rehearsal: Rehearsal) -> None:
    # A record as the importer leaves it before its review execution opened it: no task token yet.
    # An approval now would not reach the execution (it would ask a person and wait out the deadline).
    _, asked_record = pending(rehearsal, 'not-open.csv', csv(customers('notopen', 300, 12, 47, 950, 6, 88)))
    assert asked_record.review is not None
    review = asked_record.review.model_copy(
        update={
            'task_token': None,
            'token_hash': None,
            'csrf': None,
            'link_sent_at': None,
            'expires_at': None,
        }
    )
    unopened = asked_record.model_copy(
        update={'pk': asked_record.pk + '-unopened', 'review': review, 'version': 0}
    )
    store = records(rehearsal)
    assert store.create(unopened)
    code, said = run(rehearsal, 'review', short_id(unopened.pk), '--approve')
    assert code == EXIT_REFUSED
    assert 'is not open yet: its review execution has not asked for a decision' in said
    after = store.get(unopened.pk)
    assert after is not None
    assert after.review is not None
    assert after.review.decision is None


# ---------------------------------------------------------------------------- layouts, forget


def test_an_approved_layout_is_listed_and_forgetting_it_asks_again(
    rehearsal: Rehearsal, tmp_path: Path
) -> None:
    header = ('Kunde', 'Wert')
    first = csv(customers('layout1', 44, 610, 2, 139, 75, 28), header)
    sample = tmp_path / 'kunden.csv'
    sample.write_bytes(first)
    assert main(['inspect', str(sample)], out=io.StringIO()) == EXIT_REVIEW  # a header, still a review
    drop, record = pending(rehearsal, 'shop-a/kunden.csv', first)
    assert record.review is not None
    assert record.review.layout_id is not None
    layout_id = record.review.layout_id
    # approved by the header names
    code, said = run(
        rehearsal,
        'review',
        short_id(record.pk),
        '--approve',
        '--email-column',
        'kunde',
        '--points-column',
        'Wert',
    )
    assert code == EXIT_OK, said
    assert 'EMAIL = column 0 (Kunde), POINTS = column 1 (Wert)' in said
    assert finished(rehearsal, drop).status is RecordStatus.IMPORTED
    # `layouts`: id, folder, both columns with their names, when, from which file and import
    code, table = run(rehearsal, 'layouts')
    assert code == EXIT_OK
    assert table.splitlines()[0].split() == [
        'LAYOUT',
        'FOLDER',
        'EMAIL',
        'POINTS',
        'APPROVED',
        'FROM',
        'FILE',
        'IMPORT',
    ]
    row = row_of(table, layout_id).split()
    assert row[:6] == [layout_id, 'incoming/shop-a/', '0', '(Kunde)', '1', '(Wert)']
    assert row[-2:] == ['kunden.csv', short_id(record.pk)]
    listed = run_json(rehearsal, 'layouts')
    remembered = next(entry for entry in listed if entry['layoutId'] == layout_id)
    assert remembered['header'] == ['Kunde', 'Wert']
    assert remembered['approvedFrom'] == record.pk
    # the next file of this layout is imported on its own
    second = rehearsal.drop('shop-a/kunden-2.csv', csv(customers('layout2', 71, 8, 405, 19, 230, 55), header))
    recalled = finished(rehearsal, second)
    assert recalled.status is RecordStatus.IMPORTED, recalled.error
    assert recalled.approved_layout is not None
    assert recalled.approved_layout.startswith('approved for this layout')
    # `forget`: gone from `layouts`; the next file is asked about again
    code, said = run(rehearsal, 'forget', layout_id)
    assert code == EXIT_OK, said
    assert said.startswith(f'Forgot layout {layout_id} (incoming/shop-a/, EMAIL 0 (Kunde), POINTS 1 (Wert))')
    assert all(entry['layoutId'] != layout_id for entry in run_json(rehearsal, 'layouts'))
    code, said = run(rehearsal, 'forget', layout_id)
    assert code == EXIT_REFUSED
    assert said.startswith(f'Not forgotten: no remembered layout {layout_id} in the stack ')
    pending(rehearsal, 'shop-a/kunden-3.csv', csv(customers('layout3', 520, 36, 14, 690, 83, 3), header))


# ---------------------------------------------------------------------------- status, show


def test_status_lists_recent_imports_newest_first(rehearsal: Rehearsal) -> None:
    imported = finished(
        rehearsal,
        rehearsal.drop('status.csv', csv(customers('status', 27, 740, 61, 5, 118, 390), ('Email', 'Points'))),
    )
    assert imported.status is RecordStatus.IMPORTED, imported.error
    _, waiting = pending(rehearsal, 'status-waiting.csv', csv(customers('statusw', 93, 2, 275, 48, 860, 11)))
    # an import of three days ago, as the table would hold it
    old = imported.model_copy(
        update={
            'pk': imported.pk + '-old',
            'file_name': 'old.csv',
            'created_at': imported.created_at - dt.timedelta(days=3),
            'version': 0,
        }
    )
    assert records(rehearsal).create(old)
    code, table = run(rehearsal, 'status')
    assert code == EXIT_OK
    lines = table.splitlines()
    assert lines[0].split() == ['ID', 'FILE', 'STATUS', 'IMPORTED', 'FAILED', 'STARTED', 'DURATION']
    row = row_of(table, short_id(imported.pk)).split()
    assert row[:5] == [short_id(imported.pk), 'status.csv', 'IMPORTED', '6', '0']
    assert row[5:7] == [f'{imported.created_at:%Y-%m-%d}', f'{imported.created_at:%H:%M:%S}Z']
    assert row[7].endswith('s')  # seconds, in the rehearsal
    assert row_of(table, short_id(waiting.pk)).split()[2] == 'AWAITING_REVIEW'
    assert 'so far' in row_of(table, short_id(waiting.pk))
    ids = [line.split()[0] for line in lines[1:]]
    assert ids.index(short_id(waiting.pk)) < ids.index(short_id(imported.pk)) < ids.index(short_id(old.pk))
    # --since, --status, --json
    recent = run_json(rehearsal, 'status', '--since', '12h')
    assert short_id(old.pk) not in [entry['id'] for entry in recent]
    assert short_id(imported.pk) in [entry['id'] for entry in recent]
    assert all(not entry['pk'].startswith(('fingerprint#', 'review#')) for entry in recent)
    started = [entry['startedAt'] for entry in recent]
    assert started == sorted(started, reverse=True)
    only = run_json(rehearsal, 'status', '--status', 'imported', '--since', '30m')
    assert {entry['status'] for entry in only} == {'IMPORTED'}
    assert short_id(waiting.pk) not in [entry['id'] for entry in only]
    mine = next(entry for entry in only if entry['id'] == short_id(imported.pk))
    assert (mine['imported'], mine['failed'], mine['wixImportId']) == (6, 0, imported.wix_import_id)
    assert mine['durationSeconds'] == imported.duration_seconds
    code, said = run(rehearsal, 'status', '--since', '5x')
    assert (code, said) == (EXIT_REFUSED, "Not done: --since '5x' is not a time span like 30m, 12h or 7d.\n")
    code, said = run(rehearsal, 'status', '--status', 'DONE')
    assert code == EXIT_REFUSED
    assert said.startswith('Not done: no status DONE: one of RECEIVED, ')


def test_show_finds_an_import_by_its_wix_import_id_and_prints_its_steps(rehearsal: Rehearsal) -> None:
    imported = finished(
        rehearsal,
        rehearsal.drop('show.csv', csv(customers('show', 650, 39, 7, 182, 24, 470), ('Email', 'Points'))),
    )
    assert imported.wix_import_id is not None
    assert imported.execution_name is not None
    code, shown = run(rehearsal, 'show', imported.wix_import_id)
    assert code == EXIT_OK, shown
    record_json = shown.split('\nRecord\n', 1)[1].split('\nLinks\n', 1)[0]
    assert json.loads(record_json) == imported.public_view()
    assert 'review page' not in shown  # it had none
    steps = shown.split('State machine steps\n', 1)[1].splitlines()
    assert steps[0] == f'  {imported.execution_name}  SUCCEEDED'
    assert steps[1].endswith('  execution started')
    assert steps[2].endswith('  entered  Start')
    assert steps[-1].endswith('  execution succeeded')
    assert any(line.endswith('  exited   Finalize') for line in steps)


def test_unknown_ids_and_stacks_are_said(rehearsal: Rehearsal) -> None:
    for argv in (
        ('show', 'deadbeef0000'),
        ('review', 'deadbeef0000', '--approve'),
        ('review', 's3://nope/x.csv#v', '--reject'),
    ):
        code, said = run(rehearsal, *argv)
        assert code == EXIT_REFUSED
        assert said.startswith(f'Not done: no import {argv[1]} in the stack {rehearsal.config.stack_name}: ')
    code, said = run(rehearsal, 'reviews', stack='no-such-stack')
    assert code == EXIT_REFUSED
    assert said.startswith('Not done: no stack no-such-stack here (us-east-1): ')
    out = io.StringIO()
    assert main(['status'], out=out) == EXIT_REFUSED
    assert 'give --stack' in out.getvalue()


# ---------------------------------------------------------------------------- expired


@pytest.mark.parametrize('rehearsal', [{'ReviewWaitSeconds': '1'}], indirect=True)
def test_an_expired_review_says_so(rehearsal: Rehearsal) -> None:
    # A one-second review: nobody decides, the ReviewStateMachine's wait times out -> REVIEW_EXPIRED
    drop = rehearsal.drop('late.csv', HEADERLESS)
    ended = finished(rehearsal, drop)
    assert ended.status is RecordStatus.REVIEW_EXPIRED
    ident = short_id(ended.pk)
    code, said = run(rehearsal, 'review', ident, '--approve')
    assert code == EXIT_REFUSED
    assert (
        said == f'Not decided: the review of late.csv ({ident}) expired; the import ended REVIEW_EXPIRED.\n'
    )
    code, shown = run(rehearsal, 'show', ident)
    assert code == EXIT_OK
    assert 'expired undecided' in shown
    assert 'entered  Expire' in shown
