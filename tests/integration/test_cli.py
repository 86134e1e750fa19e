"""`loyalty-import inspect`: in-process runs of main(), and one run of the installed console script."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from loyalty_import.cli import EXIT_OK, EXIT_REFUSED, EXIT_REVIEW, main


def run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    code = main(list(argv), out=out)
    return code, out.getvalue()


def test_json_output_has_the_stable_schema(shared_dir: Path) -> None:
    # GIVEN Wix's own example file
    # WHEN inspected with --json
    code, output = run('inspect', '--json', str(shared_dir / 'samples' / 'wix_docs_example.csv'))
    # THEN exit 0 and one JSON object with the mapping of the source file
    assert code == EXIT_OK
    payload = json.loads(output)
    assert payload['mapping'] == {'EMAIL': 1, 'POINTS': 2}
    assert payload['encoding'] == 'utf-8'
    assert payload['delimiter'] == ','
    assert payload['has_header'] is True
    assert payload['rows'] == 60
    assert 0 < payload['confidence'] <= 1
    assert payload['validation']['invalid_rows'] == 0
    # AND the decision: nothing is left to judge
    assert payload['decision'] == 'auto'
    assert payload['reasons'] == []
    assert payload['choices']['EMAIL'][0] == 1
    assert payload['choices']['POINTS'][0] == 2


def test_a_file_a_person_must_confirm_exits_3_with_proposal_choices_and_reasons(tmp_path: Path) -> None:
    # GIVEN a headerless export: email and two whole-number columns, either could be the balance
    rows = [f'Name {i},user{i}@example.com,{(97 * i) % 1000 + 5},{(7 * i) % 50}' for i in range(30)]
    path = tmp_path / 'headerless.csv'
    path.write_text('\n'.join(rows) + '\n', encoding='utf-8')
    # WHEN inspected with --json
    code, output = run('inspect', '--json', str(path))
    # THEN exit 3: a proposal, the columns a person picks from, and what they must decide
    assert code == EXIT_REVIEW
    payload = json.loads(output)
    assert payload['decision'] == 'review'
    assert payload['mapping'] == {'EMAIL': 1, 'POINTS': payload['choices']['POINTS'][0]}
    assert sorted(payload['choices']['POINTS']) == [2, 3]
    codes = {reason['code'] for reason in payload['reasons']}
    assert 'NO_HEADER' in codes
    assert all(reason['message'] for reason in payload['reasons'])
    # AND the text output says so, with the same columns counted from 0
    code, text = run('inspect', str(path))
    assert code == EXIT_REVIEW
    assert 'Decision: review' in text
    assert 'POINTS could be column' in text


def test_naming_both_columns_settles_a_review(tmp_path: Path) -> None:
    # GIVEN the same kind of headerless file, with the two columns named by the merchant
    rows = [f'Name {i},user{i}@example.com,{(97 * i) % 1000 + 5},{(7 * i) % 50}' for i in range(30)]
    path = tmp_path / 'headerless.csv'
    path.write_text('\n'.join(rows) + '\n', encoding='utf-8')
    # WHEN inspected with both overrides / THEN nothing is left to judge
    code, output = run('inspect', '--json', '--email-column', '1', '--points-column', '3', str(path))
    assert code == EXIT_OK
    payload = json.loads(output)
    assert (payload['decision'], payload['mapping']) == ('auto', {'EMAIL': 1, 'POINTS': 3})


def test_points_names_make_a_program_currency_count_as_points(tmp_path: Path) -> None:
    # GIVEN a program whose points are called 'Stars'
    rows = ['Email,Stars balance'] + [f'user{i}@example.com,{(97 * i) % 1000 + 5}' for i in range(30)]
    path = tmp_path / 'stars.csv'
    path.write_text('\n'.join(rows) + '\n', encoding='utf-8')
    # WHEN inspected without and with --points-names
    plain, _ = run('inspect', '--json', str(path))
    named, output = run('inspect', '--json', '--points-names', 'Stars, Coins', str(path))
    # THEN another unit than points asks a person; named as the program's points, it is imported
    assert plain == EXIT_REVIEW
    assert named == EXIT_OK
    assert json.loads(output)['mapping'] == {'EMAIL': 0, 'POINTS': 1}


def test_human_output_shows_encoding_columns_samples_and_checks(shared_dir: Path) -> None:
    code, output = run('inspect', str(shared_dir / 'samples' / 'german_club_semicolon_cp1252.csv'))
    assert code == EXIT_OK
    for expected in (
        'Encoding: cp1252',
        "Delimiter: ';'",
        'Rows: 60',
        'EMAIL',
        'POINTS',
        'Punkte',
        'Pre-flight',
    ):
        assert expected in output
    assert 'Núñez' in output  # decoded right, shown in the sample rows


def test_a_refusal_prints_an_error_object_and_exits_non_zero(shared_dir: Path) -> None:
    code, output = run('inspect', '--json', str(shared_dir / 'samples' / 'shopify_customers_no_points.csv'))
    assert code == EXIT_REFUSED
    assert json.loads(output)['decision'] == 'refuse'
    error = json.loads(output)['error']
    assert error['code'] == 'NO_POINTS_COLUMN'
    assert error['message']
    assert isinstance(error['candidates'], list)


def test_overrides_are_passed_through(shared_dir: Path) -> None:
    # GIVEN the merchant names the redeemed column (a wrong choice, but theirs to make)
    code, output = run(
        'inspect',
        '--json',
        '--points-column',
        'Redeemed points',
        str(shared_dir / 'samples' / 'wix_docs_example.csv'),
    )
    assert code == EXIT_OK
    assert json.loads(output)['mapping'] == {'EMAIL': 1, 'POINTS': 3}


def test_a_missing_file_is_an_error_not_a_traceback(tmp_path: Path) -> None:
    code, output = run('inspect', '--json', str(tmp_path / 'nope.csv'))
    assert code == EXIT_REFUSED
    assert json.loads(output)['error']['code'] == 'FILE_NOT_READABLE'


@pytest.mark.parametrize(
    'content', [b'PK\x03\x04' + b'\x00' * 200, b'\x00\x01\x02' * 1000, b'a,"b\n' * 10, b'', b'x' * 100]
)
def test_hostile_input_ends_in_a_refusal_with_exit_2(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / 'hostile.csv'
    path.write_bytes(content)
    code, output = run('inspect', '--json', str(path))
    assert code == EXIT_REFUSED
    assert json.loads(output)['error']['code']


def test_the_installed_console_script_runs(shared_dir: Path) -> None:
    # GIVEN the console script installed in the virtualenv beside this interpreter
    script = Path(sys.executable).parent / 'loyalty-import'
    # WHEN run on a sample
    completed = subprocess.run(  # noqa: S603 - our own script, fixed arguments
        [str(script), 'inspect', '--json', str(shared_dir / 'samples' / 'yotpo_export.csv')],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    # THEN it exits 0 with the JSON mapping and nothing on stderr
    assert completed.returncode == EXIT_OK, completed.stderr
    assert json.loads(completed.stdout)['mapping'] == {'EMAIL': 0, 'POINTS': 3}
    assert completed.stderr == ''
