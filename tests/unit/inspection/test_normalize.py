from __future__ import annotations

import codecs
import csv
import io

from loyalty_import.inspection import inspect_csv
from loyalty_import.inspection.models import MAX_CELL_CHARS, MAX_COLUMNS
from tests.unit.inspection.helpers import BALANCES, csv_text, people_rows


def _rows(content: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode('utf-8'), newline='')))


def test_an_already_clean_file_is_uploaded_byte_for_byte() -> None:
    # GIVEN a UTF-8, comma, one-header file with plain integer points
    data = csv_text(people_rows(['Name', 'Email', 'Points'], {'Points': BALANCES})).encode()
    # WHEN inspected / THEN the very same bytes are uploaded
    normalized = inspect_csv(data).normalized
    assert normalized.unchanged
    assert normalized.content == data
    assert (normalized.email_index, normalized.points_index) == (1, 2)


def test_a_cp1252_semicolon_file_with_bom_free_thousands_is_rewritten_for_wix() -> None:
    # GIVEN a German export: cp1252, ';', '1.234' thousands
    rows = people_rows(['Name', 'E-Mail', 'Punkte'], {'Punkte': ['1.234', '56', '12.500', '7']})
    data = csv_text(rows, delimiter=';', line_end='\r\n').encode('cp1252', errors='replace')
    # WHEN inspected
    inspection = inspect_csv(data)
    # THEN the upload is UTF-8, comma-delimited, with plain integers and the names intact
    assert inspection.encoding == 'cp1252'
    uploaded = _rows(inspection.normalized.content)
    assert uploaded[0] == ['Name', 'E-Mail', 'Punkte']
    assert uploaded[1] == ['José Núñez', 'jose.nunez@example.com', '1234']
    assert uploaded[3][2] == '12500'
    assert not inspection.normalized.unchanged


def test_a_bom_is_removed() -> None:
    data = codecs.BOM_UTF8 + csv_text(people_rows(['Email', 'Points'], {'Points': BALANCES})).encode()
    content = inspect_csv(data).normalized.content
    assert not content.startswith(codecs.BOM_UTF8)
    assert content.startswith(b'Email,Points')


def test_utf16_is_uploaded_as_utf8() -> None:
    data = codecs.BOM_UTF16_LE + csv_text(
        people_rows(['Email', 'Points'], {'Points': BALANCES}), '\t'
    ).encode('utf-16-le')
    inspection = inspect_csv(data)
    assert inspection.encoding == 'utf-16-le'
    assert _rows(inspection.normalized.content)[1] == ['jose.nunez@example.com', '1200']


def test_a_headerless_file_gets_a_header_row() -> None:
    data = csv_text(people_rows(['Name', 'Email', 'Points'], {'Points': BALANCES})[1:]).encode()
    normalized = inspect_csv(data).normalized
    assert _rows(normalized.content)[0] == ['column_1', 'email', 'points']
    assert normalized.header == ['column_1', 'email', 'points']


def test_more_than_wix_columns_are_cut_keeping_email_and_points() -> None:
    # GIVEN 150 columns with EMAIL and POINTS far to the right
    header = [f'Field {i}' for i in range(150)]
    header[120], header[140] = 'Email', 'Points'
    rows = people_rows(header, {'Points': BALANCES, **{f'Field {i}': ['x'] for i in range(150)}})
    # WHEN inspected
    inspection = inspect_csv(csv_text(rows).encode())
    # THEN at most 100 columns go to Wix, and the indexes point into the normalized file
    normalized = inspection.normalized
    uploaded = _rows(normalized.content)
    assert len(uploaded[0]) == MAX_COLUMNS
    assert uploaded[0][normalized.email_index] == 'Email'
    assert uploaded[1][normalized.points_index] == '1200'
    assert (inspection.mapping.email, inspection.mapping.points) == (120, 140)


def test_a_column_with_a_cell_too_long_for_wix_is_dropped() -> None:
    # GIVEN a notes column with one 2,000-character cell
    rows = people_rows(['Email', 'Notes', 'Points'], {'Points': BALANCES, 'Notes': ['short']})
    rows[5][1] = 'n' * (2 * MAX_CELL_CHARS)
    # WHEN inspected / THEN the notes column is dropped, the indexes follow
    normalized = inspect_csv(csv_text(rows).encode()).normalized
    assert normalized.dropped_columns == [1]
    assert _rows(normalized.content)[0] == ['Email', 'Points']
    assert (normalized.email_index, normalized.points_index) == (0, 1)


def test_cr_only_line_ends_are_rewritten() -> None:
    data = csv_text(people_rows(['Email', 'Points'], {'Points': BALANCES}), line_end='\r').encode()
    normalized = inspect_csv(data).normalized
    assert not normalized.unchanged
    assert normalized.content.count(b'\r\n') == 13


def test_the_bulk_writer_writes_exactly_what_csv_writer_writes() -> None:
    # GIVEN rows needing no quotes, and rows with commas, quotes and line breaks in cells
    from loyalty_import.inspection.normalize import OutputWriter  # noqa: PLC0415

    plain = [['a@example.com', '1', 'x'], ['b@example.com', '2', 'y']]
    tricky = [
        ['c@example.com', '3', 'Smith, Jr.'],
        ['d@example.com', '4', '5" screen'],
        ['e@example.com', '5', 'a\nb'],
    ]
    expected = io.StringIO()
    csv.writer(expected, lineterminator='\r\n').writerows(plain + tricky)
    # WHEN written in blocks, told (or not) that no cell holds a line break
    writer = OutputWriter()
    writer.write_block(plain, 3, single_line=True)
    writer.write_block(tricky, 3)
    # THEN the bytes are csv.writer's
    assert writer.getvalue() == expected.getvalue().encode()
