"""Splitting a normalized file into parts that each fit one Wix import."""

from __future__ import annotations

import csv
import io

import pytest

from loyalty_import.inspection.models import MAX_FILE_BYTES, Refusal, RefusalCode
from loyalty_import.inspection.parts import Part, name_columns, part_limit, split_normalized, split_rows


def _normalized(header: list[str], rows: list[list[str]]) -> bytes:
    text = io.StringIO()
    csv.writer(text, lineterminator='\r\n').writerows([header, *rows])
    return text.getvalue().encode('utf-8')


def _records(part: Part) -> list[list[str]]:
    return list(csv.reader(io.StringIO(part.content.decode('utf-8'), newline='')))


def _rows(n: int) -> list[list[str]]:
    return [[f'c{i}@example.com', str(i), f'First{i}', 'shop'] for i in range(n)]


def test_the_limit_keeps_a_margin_below_wix() -> None:
    assert MAX_FILE_BYTES - part_limit() == MAX_FILE_BYTES // 100  # 1% of 10 MiB is more than 64 KiB
    assert part_limit(1_000_000) == 1_000_000 - 64 * 1024


def test_every_part_has_the_header_fits_the_limit_and_the_rows_add_up() -> None:
    header = ['Email', 'Points', 'First Name', 'Store']
    rows = _rows(1000)
    parts = list(split_rows(header, rows, email_index=0, points_index=1, limit=4000))
    assert len(parts) > 5
    assert sum(p.rows for p in parts) == 1000
    seen = []
    for part in parts:
        assert len(part.content) <= 4000
        records = _records(part)
        assert records[0] == ['Email', 'Points', 'First Name']  # 'Store' is not a column Wix needs
        assert len(records) - 1 == part.rows
        seen.extend(records[1:])
    assert seen == [row[:3] for row in rows]
    assert [p.first_row for p in parts] == [
        1,
        *(1 + sum(p.rows for p in parts[:k]) for k in range(1, len(parts))),
    ]


def test_a_part_ends_on_a_record_not_on_a_line_inside_a_quoted_cell() -> None:
    header = ['email', 'points', 'name']
    rows = [[f'c{i}@example.com', str(i), f'Line one\nline two {i}\r\nthree, "quoted"'] for i in range(200)]
    content = _normalized(header, rows)
    parts = list(split_normalized(content, email_index=0, points_index=1, max_file_bytes=70 * 1024))
    assert len(parts) >= 2
    back = [record for part in parts for record in _records(part)[1:]]
    assert back == rows
    for part in parts:
        assert part.content.startswith(b'email,points,name\r\n')
        assert part.content.endswith(b'"\r\n')  # the last record's quoted cell closed in its part


def test_rows_that_fill_a_part_exactly_stay_in_it() -> None:
    header = ['email', 'points']
    rows = [['a@example.com', '1'], ['b@example.com', '2'], ['c@example.com', '3']]
    head, row = len(b'email,points\r\n'), len(b'a@example.com,1\r\n')
    exact = list(split_rows(header, rows, email_index=0, points_index=1, limit=head + 2 * row))
    assert [p.rows for p in exact] == [2, 1]
    assert len(exact[0].content) == head + 2 * row
    one_short = list(split_rows(header, rows, email_index=0, points_index=1, limit=head + 2 * row - 1))
    assert [p.rows for p in one_short] == [1, 1, 1]
    alone = list(split_rows(header, rows, email_index=0, points_index=1, limit=head + row))
    assert [p.rows for p in alone] == [1, 1, 1]


def test_a_row_larger_than_a_part_is_refused_with_its_code() -> None:
    header = ['email', 'points']
    rows = [['a@example.com', '1'], ['b' * 500 + '@example.com', '2']]
    with pytest.raises(Refusal) as refused:
        list(split_rows(header, rows, email_index=0, points_index=1, limit=200))
    assert refused.value.code is RefusalCode.ROW_TOO_LARGE
    assert 'Row 2' in refused.value.message


def test_name_cells_are_left_out_of_a_row_that_only_fits_without_them() -> None:
    header = ['email', 'points', 'last_name']
    rows = [['a@example.com', '1', 'Short'], ['b@example.com', '2', 'L' * 500]]
    parts = list(split_rows(header, rows, email_index=0, points_index=1, limit=200))
    assert [_records(p)[1:] for p in parts] == [[['a@example.com', '1', 'Short'], ['b@example.com', '2', '']]]
    assert [p.names_dropped for p in parts] == [1]


def test_email_and_points_come_first_whatever_their_place() -> None:
    header = ['Nachname', 'Punkte', 'Store', 'E-Mail']
    rows = [['Muster', '5', 'x', 'a@example.com']]
    [part] = split_rows(header, rows, email_index=3, points_index=1, limit=1000)
    assert _records(part) == [['E-Mail', 'Punkte', 'Nachname'], ['a@example.com', '5', 'Muster']]


def test_name_columns_by_header() -> None:
    header = ['Email', 'Points', 'First Name', 'last_name', 'Name', 'Full-Name', 'Username', 'Store name']
    assert name_columns(header) == [2, 3, 4]  # at most three, never a username or a store's name
    assert name_columns(['name', 'email'], exclude=(0,)) == []


def test_without_names_only_email_and_points_are_kept() -> None:
    header = ['email', 'points', 'first name']
    [part] = split_rows(header, _rows(3), email_index=0, points_index=1, limit=1000, keep_names=False)
    assert _records(part)[0] == ['email', 'points']


def test_a_file_that_fits_is_one_part_and_an_empty_one_none() -> None:
    content = _normalized(['email', 'points'], [['a@example.com', '1']])
    [part] = split_normalized(content, email_index=0, points_index=1)
    assert part.content == content
    assert part.rows == 1
    assert list(split_normalized(b'email,points\r\n', email_index=0, points_index=1)) == []
