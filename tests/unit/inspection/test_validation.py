from __future__ import annotations

import pytest

from loyalty_import.inspection import Refusal, RefusalCode
from loyalty_import.inspection.models import IssueKind
from loyalty_import.inspection.validation import formula_scan, has_line_longer_than, is_formula
from tests.unit.inspection.helpers import BALANCES, csv_text, inspect_rows, people_rows


def test_row_problems_are_counted_with_the_first_examples_and_their_lines() -> None:
    # GIVEN a good file with a few broken rows
    rows = people_rows(['Email', 'Points'], {'Points': BALANCES})
    rows[2][0] = 'not-an-email'  # line 3
    rows[3][0] = ''  # line 4
    rows[4][0] = rows[1][0].upper()  # line 5: a duplicate, differing only in case
    rows[5][1] = '-20'  # line 6
    rows[6][1] = '12.5'  # line 7
    rows[7][1] = ''  # line 8
    rows[8][1] = '3000000000'  # line 9
    # WHEN inspected
    summary = inspect_rows(rows).validation
    # THEN each problem is counted once, located, and the importable rows are the rest
    expected = {
        IssueKind.INVALID_EMAIL: 3,
        IssueKind.BLANK_EMAIL: 4,
        IssueKind.DUPLICATE_EMAIL: 5,
        IssueKind.NEGATIVE_POINTS: 6,
        IssueKind.NON_INTEGER_POINTS: 7,
        IssueKind.BLANK_POINTS: 8,
        IssueKind.OVERFLOW_POINTS: 9,
    }
    for kind, line in expected.items():
        assert summary.count(kind) == 1, kind
        issue = next(i for i in summary.issues if i.kind is kind)
        assert issue.examples[0].line == line
    assert summary.rows == 12
    assert summary.invalid_rows == 6


def test_ragged_rows_are_reported_and_padded() -> None:
    # GIVEN a row missing a cell
    text = csv_text(people_rows(['Email', 'Points', 'Name'], {'Points': BALANCES})) + 'x@example.com,5\n'
    # WHEN inspected
    from loyalty_import.inspection import inspect_csv  # noqa: PLC0415

    inspection = inspect_csv(text.encode())
    # THEN reported, and the uploaded row has the header's width
    assert inspection.validation.count(IssueKind.RAGGED_ROW) == 1
    assert inspection.normalized.content.endswith(b'x@example.com,5,\r\n')


def test_formula_like_cells_are_reported_but_signed_numbers_and_phones_are_not() -> None:
    # GIVEN formula-like notes and harmless phone numbers
    rows = people_rows(['Email', 'Points', 'Note', 'Phone'], {'Points': BALANCES, 'Phone': ['+1 555 0100']})
    rows[3][2] = '=HYPERLINK("http://evil.example")'
    rows[5][2] = '@SUM(A1:A2)'
    rows[6][2] = '-cmd|calc'
    # WHEN inspected / THEN three formula cells
    summary = inspect_rows(rows).validation
    assert summary.count(IssueKind.FORMULA_CELL) == 3


@pytest.mark.parametrize(
    ('cell', 'formula'),
    [('=1+1', True), ('@x', True), ('+cmd', True), ('-5', False), ('+1 (555) 010', False), ('-', False)],
)
def test_is_formula(cell: str, formula: bool) -> None:
    assert is_formula(cell) is formula


def test_formula_scan_counts_quoted_formulas_and_locates_them() -> None:
    data = b'a,b\n1,"=evil()"\n2,ok\n'
    count, examples = formula_scan(data, 0, ',', 0)
    assert count == 1
    assert examples[0].line == 2


def test_long_lines_are_found_exactly() -> None:
    assert not has_line_longer_than(b'x' * 1000 + b'\n' + b'y' * 1000, 1000)
    assert has_line_longer_than(b'x' * 10 + b'\n' + b'y' * 1001 + b'\n', 1000)


def test_a_file_whose_chosen_columns_are_mostly_invalid_is_refused() -> None:
    # GIVEN a balance column that is mostly blank
    rows = people_rows(['Email', 'Points'], {'Points': ['10', '', '', '']})
    rows.append(['extra@example.com', '5'])
    with pytest.raises(Refusal) as refused:
        inspect_rows(rows, points_column='Points')
    assert refused.value.code is RefusalCode.TOO_MANY_INVALID_ROWS


def test_formula_scan_checks_at_signs_only_when_some_are_not_in_the_emails() -> None:
    # GIVEN one '@' per email row, and one more that starts a note cell
    clean = b'email,note\na@example.com,hi\nb@example.com,-\n'
    hostile = clean + b'c@example.com,@SUM(A1)\n'
    # WHEN scanned, told how many valid emails the pass saw
    # THEN the clean file has none (a lone '-' is 'no value'), the hostile one has exactly one
    assert formula_scan(clean, 0, ',', emails=2) == (0, [])
    count, examples = formula_scan(hostile, 0, ',', emails=3)
    assert count == 1
    assert examples[0].line == 4
