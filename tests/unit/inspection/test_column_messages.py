"""Messages name columns the way overrides take them: header name and 0-based index, said explicitly
('Points balance' (column 7, counting from 0)) - refusals, candidates, review reasons, the CLI and the
notification that quotes them, never a count from 1 beside a table that counts from 0.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from loyalty_import.cli import main
from loyalty_import.inspection import Refusal, RefusalCode
from loyalty_import.inspection.models import MAX_CELL_CHARS, Candidate, column_label
from loyalty_import.pipeline.models import ColumnChoice, ImportRecord, MappingSummary, RecordStatus
from loyalty_import.pipeline.notifications import summary_for
from tests.unit.inspection.helpers import BALANCES, PEOPLE, csv_text, inspect_rows

OWN = [email for _, email in PEOPLE]
OTHER = [f'someone.{i}@example.org' for i in range(len(PEOPLE))]
_LABEL = re.compile(r"'([^']*)' \(column (\d+), counting from 0\)")


def _rows(header: list[str], columns: dict[str, list[str]]) -> list[list[str]]:
    return [header] + [
        [columns[c][i % len(columns[c])] if c in columns else name for c in header]
        for i, (name, _) in enumerate(PEOPLE)
    ]


def test_column_label_says_name_and_0_based_index() -> None:
    assert column_label('Points balance', 7) == "'Points balance' (column 7, counting from 0)"
    assert column_label('column 2', 2) == 'column 2 (counting from 0)'  # a headerless file's column


def test_an_ambiguous_refusal_names_the_columns_as_the_override_takes_them() -> None:
    # GIVEN two equally good email columns / WHEN inspected / THEN refused, naming them from 0
    rows = _rows(['Name', 'Email', 'Mail', 'Points'], {'Email': OWN, 'Mail': OTHER, 'Points': BALANCES})
    with pytest.raises(Refusal) as refused:
        inspect_rows(rows)
    assert refused.value.code is RefusalCode.AMBIGUOUS_EMAIL
    named = dict(_LABEL.findall(refused.value.message))
    assert named == {'Email': '1', 'Mail': '2'}
    # AND the index the message gives is the one the override takes
    for name, index in named.items():
        assert inspect_rows(rows, email_column=int(index)).email.name == name


def test_a_candidate_reads_with_its_0_based_index() -> None:
    candidate = Candidate(column=3, name='Points', confidence=0.0, why='decimal numbers')
    assert str(candidate) == "'Points' (column 3, counting from 0): decimal numbers"


def test_a_headerless_file_names_its_columns_from_0() -> None:
    # GIVEN a headerless email,points file / WHEN inspected / THEN 'column 0' and 'column 1'
    inspection = inspect_rows([[email, BALANCES[i]] for i, (_, email) in enumerate(PEOPLE)])
    assert [c.name for c in inspection.columns] == ['column 0', 'column 1']
    assert inspection.email.name == 'column 0'


def test_an_oversized_cell_example_counts_columns_from_0() -> None:
    # GIVEN a 'Notes' cell (column 2) longer than Wix takes / WHEN inspected
    rows = _rows(['Name', 'Email', 'Notes', 'Points'], {'Email': OWN, 'Points': BALANCES})
    rows[3][2] = 'x' * (MAX_CELL_CHARS + 1)
    inspection = inspect_rows(rows)
    # THEN the example says column 2, counting from 0
    oversized = next(i for i in inspection.validation.issues if i.kind == 'OVERSIZED_CELL')
    assert oversized.examples[0].value.startswith('column 2 (counting from 0)')


def test_the_cli_names_columns_from_0(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # GIVEN a file with a runner-up / WHEN `loyalty-import inspect` prints it
    rows = _rows(
        ['Name', 'Email', 'Earned points', 'Points balance'], {'Email': OWN, 'Earned points': BALANCES}
    )
    for row, balance in zip(rows[1:], BALANCES, strict=False):
        row[3] = balance
    path = tmp_path / 'members.csv'
    path.write_text(csv_text(rows), encoding='utf-8')
    main(['inspect', str(path)])
    out = capsys.readouterr().out
    # THEN the mapping and the runner-up name their columns as the overrides take them
    assert "EMAIL = 'Email' (column 1, counting from 0)" in out
    assert "POINTS = 'Points balance' (column 3, counting from 0)" in out
    assert "Runner-up for POINTS: 'Earned points' (column 2, counting from 0)" in out


def test_the_cli_lists_refusal_candidates_from_0(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rows = _rows(['Name', 'Email', 'Amount'], {'Email': OWN, 'Amount': ['12.50', '3.99', '7.25']})
    path = tmp_path / 'orders.csv'
    path.write_text(csv_text(rows), encoding='utf-8')
    main(['inspect', str(path)])
    assert "'Amount' (column 2, counting from 0)" in capsys.readouterr().out


def test_the_dry_run_notification_names_columns_from_0() -> None:
    # GIVEN a dry run that mapped EMAIL to column 1 and POINTS to column 7
    record = ImportRecord(
        pk='p',
        source_uri='s3://bucket/incoming/members.csv',
        bucket='bucket',
        key='incoming/members.csv',
        file_name='members.csv',
        status=RecordStatus.DRY_RUN,
        mapping=MappingSummary(
            email=ColumnChoice(column=1, name='Email', confidence=0.95),
            points=ColumnChoice(column=7, name='Points balance', confidence=0.95),
            confidence=0.95,
            email_index=1,
            points_index=7,
        ),
    )
    # WHEN summarized / THEN the columns count from 0, as the S3 metadata overrides take them
    text = summary_for(record)
    assert "EMAIL = 'Email' (column 1, counting from 0)" in text
    assert "POINTS = 'Points balance' (column 7, counting from 0)" in text
