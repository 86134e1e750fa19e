"""`make demo` (`python -m rehearsal`): what a person and a script get from it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rehearsal.__main__ import DEFAULT_SAMPLE, main
from tests.e2e.conftest import FOLLOW_S

# Millisecond Wix steps and Step Functions waits at 1/100: the same flow as the demo, faster. The
# follow timeout is the conftest's hang guard: a busy machine makes the demo slower, not failed.
FAST = ['--wix-delay-s', '0.02', '--clock-scale', '0.01', '--timeout', str(FOLLOW_S)]


def last_line(output: str) -> dict[str, object]:
    record: dict[str, object] = json.loads(output.strip().splitlines()[-1])
    return record


def test_the_default_demo_imports_the_sample_and_ends_with_the_record(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # WHEN the demo runs on its bundled sample (a decoy balance column, three unknown customers)
    exit_code = main(FAST)

    # THEN it exits 0 and its last line is the final record, with Wix's counts
    output = capsys.readouterr().out
    record = last_line(output)
    assert exit_code == 0
    assert record['status'] == 'IMPORTED'
    assert record['importResult'] == {'successCount': 37, 'failureCount': 3, 'errorFileExists': True}
    mapping = record['mapping']
    assert isinstance(mapping, dict)
    assert (mapping['email']['name'], mapping['points']['name']) == ('Email', 'Points balance')
    # AND the stages a person follows were shown on the way
    for stage in ('dropped', 'mapping', 'uploaded', 'parsed', 'executing', 'polling', 'recorded', 'notified'):
        assert f'] {stage} ' in output, stage
    assert DEFAULT_SAMPLE.name in output
    # AND every alarm of the stack was evaluated on the run's metrics, and none went off
    assert ' alarms     none in ALARM (' in output


def test_a_refused_file_exits_non_zero_with_the_reason_in_the_record(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # GIVEN a file with no points balance
    customers = tmp_path / 'customers.csv'
    customers.write_text('Email,Name\r\n' + ''.join(f'c{n}@example.com,C{n}\r\n' for n in range(10)))

    # WHEN the demo runs on it
    exit_code = main(['--file', str(customers), *FAST])

    # THEN the record says REJECTED with a code and a message, and the exit code is not 0
    record = last_line(capsys.readouterr().out)
    assert exit_code == 1
    assert record['status'] == 'REJECTED'
    error = record['error']
    assert isinstance(error, dict)
    assert error['code'] == 'NO_POINTS_COLUMN'
    assert error['message']


def test_a_dry_run_with_overrides_uses_them_and_calls_no_wix(capsys: pytest.CaptureFixture[str]) -> None:
    # WHEN the sample is dry-run with the columns named explicitly
    exit_code = main(['--dry-run', '--email-column', 'Email', '--points-column', '6', *FAST])

    # THEN it is recorded as a dry run with that mapping; nothing was imported
    output = capsys.readouterr().out
    record = last_line(output)
    assert exit_code == 1
    assert record['status'] == 'DRY_RUN'
    mapping = record['mapping']
    assert isinstance(mapping, dict)
    assert (mapping['email']['column'], mapping['points']['column']) == (3, 6)
    assert 'Wix calls     none' in output


def test_the_demo_shows_the_snapshot_and_the_verification(capsys: pytest.CaptureFixture[str]) -> None:
    # WHEN the demo runs on its sample, into a site where 34 of its customers already have a balance
    assert main(FAST) == 0
    output = capsys.readouterr().out
    record = last_line(output)
    # THEN the record has the undo file and the verification, every balance matched
    assert str(record['undoFile']).endswith('.undo.csv')
    snapshot = {'emailsLookedUp': 40, 'accountsFound': 34, 'withoutAccount': 6, 'wixCalls': 1}
    assert record['snapshot'] == snapshot
    verification = {'checked': 37, 'matched': 37, 'mismatched': 0, 'examples': [], 'wixCalls': 1}
    assert record['verification'] == verification
    # AND the shift was routine (most balances up or unchanged), shown with a few balances
    shift = record['balanceShift']
    assert isinstance(shift, dict)
    assert (shift['up'], shift['down'], shift['unchanged']) == (25, 0, 9)
    for stage in ('snapshot', 'verified', 'balances'):
        assert f' {stage} ' in output, stage
    assert 'after the undo' not in output


def test_the_demo_with_undo_drops_the_undo_file_and_ends_with_its_record(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # WHEN the demo runs with --undo (make demo UNDO=1)
    exit_code = main(['--undo', *FAST])
    output = capsys.readouterr().out
    # THEN its last line is the undo's record: IMPORTED, the undo of the sample's import
    record = last_line(output)
    assert exit_code == 0
    assert record['status'] == 'IMPORTED'
    assert str(record['undoOf']).startswith('s3://')
    assert '/incoming/loyaltylion-export.csv#' in str(record['undoOf'])
    assert str(record['sourceUri']).endswith('.undo.csv')
    # AND its verification matched every balance it restored (the 34 customers that had one)
    verification = record['verification']
    assert isinstance(verification, dict)
    assert (verification['checked'], verification['matched'], verification['mismatched']) == (34, 34, 0)
    assert verification['restores'] == 'the balances before loyaltylion-export.csv (its snapshot)'
    assert record['accountsKept'] == 3
    # AND the balances shown after the undo are the ones before the import (the seeds) again,
    # except the account the import created, which stays
    table = output[output.index('after the undo') :].splitlines()[1:5]
    for row in table:
        cells = row.split()
        if 'kept' in row:
            assert cells[1] == '-'
            assert cells[2] == cells[3]
        else:
            assert cells[1] == cells[3] != cells[2]
    assert 'Loyalty undo finished: 34 balances restored, 0 failed - loyaltylion-export.csv' in output


UNCERTAIN_SAMPLE = DEFAULT_SAMPLE.parent / 'pos-export-no-header.csv'


def test_an_uncertain_file_is_decided_through_the_review_page_with_the_chosen_columns(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # WHEN the demo runs on a headerless POS export with APPROVE='EMAIL=1,POINTS=3' (another column
    # than the proposal)
    exit_code = main(['--file', str(UNCERTAIN_SAMPLE), '--approve', 'EMAIL=1,POINTS=3', *FAST])

    # THEN it showed the review link served on 127.0.0.1, submitted the page's form, and imported it
    output = capsys.readouterr().out
    record = last_line(output)
    assert exit_code == 0
    assert '] review     open http://127.0.0.1:' in output
    assert (
        "] decided    approve with EMAIL=column 1, POINTS=column 3 through the page's form: HTTP 200"
        in output
    )
    assert record['status'] == 'IMPORTED'
    mapping = record['mapping']
    assert isinstance(mapping, dict)
    assert (mapping['email']['column'], mapping['points']['column']) == (1, 3)
    history = record['statusHistory']
    assert isinstance(history, list)
    assert [change['status'] for change in history][:2] == ['RECEIVED', 'AWAITING_REVIEW']


def test_an_uncertain_file_declined_on_the_page_ends_review_rejected(
    capsys: pytest.CaptureFixture[str],
) -> None:
    exit_code = main(['--file', str(UNCERTAIN_SAMPLE), '--reject', *FAST])
    record = last_line(capsys.readouterr().out)
    assert exit_code == 1
    assert record['status'] == 'REVIEW_REJECTED'
    assert 'mapping' not in record
