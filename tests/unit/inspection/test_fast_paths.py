"""The bulk shortcuts of the validation pass give exactly what the slow, obvious way gives."""

from __future__ import annotations

import csv
import io

import pytest

from loyalty_import.inspection import inspect_csv
from loyalty_import.inspection.models import IssueKind
from loyalty_import.inspection.normalize import OutputWriter, cells_hold_no_comma
from loyalty_import.inspection.validation import count_formula_starts, formula_scan
from tests.unit.inspection.helpers import PEOPLE, csv_text


def _people(points: list[str], names: list[str] | None = None) -> list[list[str]]:
    rows = [['Name', 'Email', 'Points']]
    for i, point in enumerate(points):
        name, email = PEOPLE[i % len(PEOPLE)]
        rows.append([names[i] if names else name, email.replace('@', f'{i}@'), point])
    return rows


def test_formula_starts_are_counted_by_kind_and_flag_cp1252_only_bytes() -> None:
    # GIVEN a BOM, a signed number, a phone number, a lone '-', a '-' formula, an '=' and an '@' cell
    data = b'\xef\xbb\xbfa,b\n-12,+1 555 0100\n-,-A1+B1\n=SUM(A1),@x\n'
    # WHEN counted from after the BOM
    starts = count_formula_starts(data, 3, ',')
    # THEN numbers and 'no value' do not count; the BOM bytes are not cp1252's 0x80-0x9f
    assert (starts.signs, starts.at_or_equals, starts.c1_bytes) == (1, 2, False)
    assert count_formula_starts(b'a,b\n\x80,1\n', 0, ',').c1_bytes


@pytest.mark.parametrize(
    ('data', 'emails', 'expected'),
    [
        (b'email,note\na@example.com,hi\nb@example.com,-x\n', 2, 1),
        (b'email,note\na@example.com,hi\nb@example.com,-x\nc@example.com,@SUM(A1)\n', 3, 2),
        (b'email,note\na@example.com,=1+1\n', 1, 1),
    ],
)
def test_formula_scan_gives_the_same_answer_with_counts_taken_early(
    data: bytes, emails: int, expected: int
) -> None:
    # WHEN scanned from scratch, and from counts taken before the pass
    late = formula_scan(data, 0, ',', emails)
    early = formula_scan(data, 0, ',', emails, count_formula_starts(data, 0, ','))
    # THEN both agree: '-x' counts, and '=' or '@' cells count once some '@' is not in an address
    assert late == early
    assert late[0] == expected


@pytest.mark.parametrize(
    ('data', 'delimiter', 'ascii_compatible', 'expected'),
    [
        (b'a;b\n1;2\n', ';', True, True),
        (b'a;b\n"1,5";2\n', ';', True, False),
        (b'a,b\n1,2\n', ',', True, True),
        (b'a,b\n"x, y",2\n', ',', True, False),
        (b'a;b\n1;2\n', ';', False, False),
    ],
)
def test_cells_hold_no_comma_only_when_the_bytes_prove_it(
    data: bytes, delimiter: str, ascii_compatible: bool, expected: bool
) -> None:
    # WHEN asked / THEN a comma is ruled out only by a file without one, or without any quote
    assert cells_hold_no_comma(data, delimiter, ascii_compatible=ascii_compatible) is expected
    if expected:
        cells = [cell for row in csv.reader(io.StringIO(data.decode()), delimiter=delimiter) for cell in row]
        assert not any(',' in cell for cell in cells)


def test_a_comma_free_writer_still_quotes_what_csv_writer_quotes() -> None:
    # GIVEN comma-free rows, one of them holding a quote
    rows = [['a@example.com', '1', 'x'], ['b@example.com', '2', '5" screen']]
    expected = io.StringIO()
    csv.writer(expected, lineterminator='\r\n').writerows(rows)
    # WHEN written in one block by a writer told that no cell holds a comma
    writer = OutputWriter(comma_free=True)
    writer.write_block(rows, 3, single_line=True)
    # THEN the bytes are csv.writer's
    assert writer.getvalue() == expected.getvalue().encode()


@pytest.mark.parametrize('euro', [False, True])
def test_a_cp1252_file_reads_the_same_with_or_without_its_own_characters(euro: bool) -> None:
    # GIVEN a cp1252 semicolon export with '1.234' balances and accented names, one name with a
    # character only cp1252 has (bytes 0x80-0x9f, which latin-1 would read differently)
    names = [name.replace('\u0131', 'i') for name, _ in PEOPLE]  # cp1252 has no dotless i
    if euro:
        names[1] = 'Zoë € Müller'
    rows = _people([f'{i + 1}.{i:03d}' for i in range(12)], names)
    data = csv_text(rows, delimiter=';').encode('cp1252')
    # WHEN inspected
    inspection = inspect_csv(data)
    # THEN every name arrives intact in the UTF-8 upload, the balances ungrouped
    assert inspection.encoding == 'cp1252'
    uploaded = list(csv.reader(io.StringIO(inspection.normalized.content.decode('utf-8'), newline='')))
    assert [row[0] for row in uploaded[1:]] == names
    assert [row[2] for row in uploaded[1:]] == [str((i + 1) * 1000 + i) for i in range(12)]


@pytest.mark.parametrize(('points', 'thousands'), [('12\n34', False), ('1.234\n5.678', True)])
def test_a_balance_cell_holding_a_line_break_is_reported_not_split(points: str, thousands: bool) -> None:
    # GIVEN a file whose last balance is a quoted cell spanning two lines
    values = [f'{i + 1}.{i:03d}' if thousands else str(i + 10) for i in range(12)]
    rows = _people([*values, points])
    data = csv_text(rows, delimiter=';' if thousands else ',').encode()
    # WHEN inspected
    inspection = inspect_csv(data)
    # THEN that row is invalid (not two balances, not one swallowed), the others are imported
    assert inspection.validation.count(IssueKind.NON_INTEGER_POINTS) == 1
    assert (inspection.rows, inspection.validation.valid_rows) == (len(values) + 1, len(values))
