"""A rewritten file is validated and written in ONE pass, with exactly what csv.writer would write."""

# ruff: noqa: RUF001, RUF003 - typographic quotes, dashes and the euro sign (cp1252's 0x80-0x9f) are the point
from __future__ import annotations

import csv
import hashlib
import io
import random

import pytest
from benchmarks.generate import cp1252_export

import loyalty_import.inspection as inspection_module
from loyalty_import.inspection import inspect_csv
from loyalty_import.inspection.decoding import Encoding
from loyalty_import.inspection.dialect import Dialect
from loyalty_import.inspection.normalize import OutputWriter, quote_cells
from loyalty_import.inspection.validation import run_pass
from tests.unit.inspection.helpers import PEOPLE

_NOTES = ['', '„Stammkunde“ – bitte nicht anrufen…', 'Gutschein 10 € eingelöst', 'it’s a “VIP”', 'a, b; "c"']


def _csv_writer_bytes(blocks: list[list[list[str]]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator='\r\n')
    for rows in blocks:
        writer.writerows(rows)
    return out.getvalue().encode('utf-8')


def _german_export(rows: int) -> bytes:
    """cp1252, ';', '1.234' balances, '1.234,56 €' amounts, notes with „…“ and quotes: bytes in 0x80-0x9f."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=';', lineterminator='\r\n')
    writer.writerow(['Name', 'E-Mail', 'Punktestand', 'Umsatz', 'Notiz'])
    for i in range(rows):
        name, email = PEOPLE[i % len(PEOPLE)]
        name = name.replace('\u0131', 'i')  # cp1252 has no dotless i
        writer.writerow(
            [
                f'{name} O’Brien' if i % 3 == 0 else name,
                email.replace('@', f'{i}@'),
                f'{i % 900 + 1}.{i % 1000:03d}',
                f'{i},{i % 100:02d} €',
                _NOTES[i % len(_NOTES)],
            ]
        )
    return out.getvalue().encode('cp1252')


def _count_passes(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    calls: list[int] = []

    def counted(*args: object, **kwargs: object) -> object:
        calls.append(1)
        return run_pass(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(inspection_module, 'run_pass', counted)
    return calls


@pytest.mark.parametrize('single_line', [False, True])
def test_the_writer_quotes_exactly_what_csv_writer_quotes(single_line: bool) -> None:
    # GIVEN blocks of random cells holding commas, quotes, line breaks and cp1252 punctuation; the
    # columns needing quotes change from block to block (learnt in one, new ones in the next)
    rnd = random.Random(5)
    alphabet = ['a', ',', '"', '""', ' ', 'é', '€', '„', '“', ';', "'", '']
    if not single_line:
        alphabet += ['\n', '\r', '\r\n']
    for _ in range(300):
        width = rnd.randint(2, 5)
        blocks = [
            [
                [''.join(rnd.choice(alphabet) for _ in range(rnd.randint(0, 5))) for _ in range(width)]
                for _ in range(rnd.randint(1, 6))
            ]
            for _ in range(4)
        ]
        expected = _csv_writer_bytes(blocks)
        # WHEN written block by block
        writer = OutputWriter()
        for rows in blocks:
            writer.write_block([list(row) for row in rows], width, single_line=single_line)
        # THEN the bytes are csv.writer's
        assert writer.getvalue() == expected


def test_a_column_needing_quotes_for_the_first_time_is_found_after_the_learnt_ones() -> None:
    # GIVEN a block where column 1 needs quotes, then one where column 0 needs them too
    first = [['a@example.com', '1,50 €'], ['b@example.com', '2']]
    second = [['c@example.com', '3,00 €'], ['say "hi"', '4']]
    expected = _csv_writer_bytes([first, second])
    # WHEN written block by block (the second block's quick answer fails its count)
    writer = OutputWriter()
    for rows in (first, second):
        writer.write_block([list(row) for row in rows], 2, single_line=True)
    # THEN column 1 is quoted once, not twice, and column 0 where needed
    assert writer.getvalue() == expected


def test_a_cell_holding_a_nul_is_left_to_csv_writer() -> None:
    # GIVEN a column needing quotes with a NUL in one cell (NUL separates cells in the bulk path)
    rows = [['a@example.com', 'x,\x00y'], ['b@example.com', '2,5']]
    # WHEN written / THEN csv.writer's bytes all the same
    writer = OutputWriter()
    writer.write_block([list(row) for row in rows], 2)
    assert writer.getvalue() == _csv_writer_bytes([rows])


def test_quote_cells_quotes_only_the_cells_csv_writer_quotes() -> None:
    # WHEN NUL-joined cells are quoted, all of them needing it or some
    assert quote_cells('1,5 €\x002,0 €') == '"1,5 €"\x00"2,0 €"'
    assert quote_cells('plain\x00say "hi"\x00\x00a\nb') == 'plain\x00"say ""hi"""\x00\x00"a\nb"'


def test_a_cp1252_export_with_its_own_characters_is_rewritten_in_one_pass(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # GIVEN a German cp1252 export whose cells hold € ’ „ “ – … (bytes 0x80-0x9f), commas and quotes
    data = _german_export(700)
    assert any(0x80 <= byte <= 0x9F for byte in data)
    passes = _count_passes(monkeypatch)
    # WHEN inspected
    inspection = inspect_csv(data)
    # THEN one validation pass wrote what csv.writer writes for the decoded rows, balances ungrouped
    assert passes == [1]
    assert inspection.encoding == 'cp1252'
    assert inspection.normalized.content == _csv_writer_bytes([_decoded_rows(data)])


def _decoded_rows(data: bytes) -> list[list[str]]:
    """The export as a plain script reads it, balances ungrouped as the upload holds them."""
    rows = list(csv.reader(io.StringIO(data.decode('cp1252'), newline=''), delimiter=';'))
    for row in rows[1:]:
        row[2] = row[2].replace('.', '')
    return rows


def test_a_rewrite_too_large_for_wix_is_cut_to_email_and_points_without_a_second_pass(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # GIVEN a cp1252 export whose UTF-8 rewrite grows past the limit (3 bytes for each € „ “ ’)
    data = _german_export(1500)
    full = inspect_csv(data)
    limit = len(full.normalized.content) - 1
    assert len(data) <= limit
    passes = _count_passes(monkeypatch)
    # WHEN inspected with that limit
    inspection = inspect_csv(data, max_file_bytes=limit)
    # THEN one pass: the upload is EMAIL and POINTS alone, exactly as csv.writer writes those cells
    assert passes == [1]
    expected = [[row[1], row[2]] for row in _decoded_rows(data)]
    normalized = inspection.normalized
    assert normalized.content == _csv_writer_bytes([expected])
    assert normalized.header == ['E-Mail', 'Punktestand']
    assert (normalized.email_index, normalized.points_index) == (0, 1)
    assert normalized.dropped_columns == [0, 3, 4]
    assert normalized.sample_rows == expected[1:6]
    # AND the validation is the one of the full rewrite
    assert inspection.validation == full.validation
    assert inspection.rows == full.rows


def test_a_too_large_rewrite_of_a_file_with_multi_line_cells_is_cut_cell_for_cell() -> None:
    # GIVEN a rewrite whose cells hold quotes, commas and line breaks, kept columns among them
    rows = [['Note', 'E-Mail', 'Punkte', 'Umsatz']]
    for i in range(300):
        rows.append([f'line one\r\nline "two", {i}', f'k{i}@example.com', f'{i}.000', f'{i},50 €'])
    out = io.StringIO()
    csv.writer(out, delimiter=';', lineterminator='\r\n').writerows(rows)
    data = out.getvalue().encode('cp1252')
    limit = len(inspect_csv(data).normalized.content) - 1
    # WHEN inspected with a limit the full rewrite exceeds
    inspection = inspect_csv(data, max_file_bytes=limit)
    # THEN EMAIL and POINTS arrive intact
    uploaded = list(csv.reader(io.StringIO(inspection.normalized.content.decode(), newline='')))
    assert uploaded == [['E-Mail', 'Punkte']] + [[f'k{i}@example.com', f'{i}000'] for i in range(300)]


def test_a_rewrite_exactly_at_the_limit_keeps_every_column() -> None:
    # GIVEN a cp1252 export and the size of its full rewrite
    data = _german_export(1500)
    full = inspect_csv(data).normalized.content
    # WHEN that size is the limit / THEN every column is uploaded
    inspection = inspect_csv(data, max_file_bytes=len(full))
    assert inspection.normalized.content == full
    assert inspection.normalized.dropped_columns == []


def test_rows_of_different_widths_are_still_written_as_csv_writer_writes_them() -> None:
    # GIVEN rows the pass never hands over (widths differ), one needing quotes
    rows = [['a@example.com', '1,5'], ['b@example.com', '2', 'x']]
    # WHEN written / THEN csv.writer's bytes
    writer = OutputWriter()
    writer.write_block([list(row) for row in rows], 2)
    assert writer.getvalue() == _csv_writer_bytes([rows])


@pytest.mark.parametrize('projected_too_large', [True, False])
def test_the_cut_upload_is_the_same_whether_the_pass_wrote_it_or_read_the_rewrite_back(
    monkeypatch: pytest.MonkeyPatch, projected_too_large: bool
) -> None:
    # GIVEN a cp1252 export whose rewrite is well over the limit (so the head projects it)
    data = _german_export(1500)
    limit = len(data) + 16
    full = inspect_csv(data)
    assert len(full.normalized.content) > limit
    # AND the projection made, or forced off (the rewrite is then read back)
    if not projected_too_large:
        monkeypatch.setattr(inspection_module, '_may_outgrow', lambda *args: False)
    passes = _count_passes(monkeypatch)
    # WHEN inspected with that limit
    inspection = inspect_csv(data, max_file_bytes=limit)
    # THEN one pass, and the upload is EMAIL and POINTS exactly as csv.writer writes them
    assert passes == [1]
    expected = [[row[1], row[2]] for row in _decoded_rows(data)]
    assert inspection.normalized.content == _csv_writer_bytes([expected])
    assert inspection.normalized.sample_rows == expected[1:6]
    assert inspection.validation == full.validation


def test_the_head_projects_a_rewrite_too_large_and_not_one_that_fits() -> None:
    # GIVEN a cp1252 export whose UTF-8 rewrite is about a tenth larger than the file
    data = _german_export(1500)
    size = len(inspect_csv(data).normalized.content)
    encoding = Encoding('cp1252', 0, ascii_compatible=True)
    dialect = Dialect(delimiter=';', skip_lines=0, line_end='\r\n')
    # WHEN projected against limits around it / THEN too large below the rewrite's size only
    assert inspection_module._may_outgrow(data, 'cp1252', encoding, dialect, len(data) + 16)
    assert not inspection_module._may_outgrow(data, 'cp1252', encoding, dialect, size * 2)


def test_the_benchmark_cp1252_export_is_rewritten_byte_for_byte_as_csv_writer_writes_it() -> None:
    # GIVEN make bench's cp1252 export, small: ';', CRLF, '1.234' balances, '1.234,56 €' amounts in
    # every row, € ’ „ “ – … (bytes 0x80-0x9f), and not one '"' byte
    data = cp1252_export(300_000)
    assert b'"' not in data
    # WHEN inspected, and inspected with a limit its rewrite outgrows
    full = inspect_csv(data)
    cut = inspect_csv(data, max_file_bytes=len(data) + 16)
    # THEN the rewrite is what csv.writer writes for the decoded rows, POINTS ungrouped; the cut
    # upload is EMAIL and POINTS of it; both pinned (sha-256 of the bytes of the single-pass writer)
    rows = list(csv.reader(io.StringIO(data.decode('cp1252'), newline=''), delimiter=';'))
    for row in rows[1:]:
        row[6] = row[6].replace('.', '')
    assert full.normalized.content == _csv_writer_bytes([rows])
    assert cut.normalized.content == _csv_writer_bytes([[[row[3], row[6]] for row in rows]])
    assert hashlib.sha256(full.normalized.content).hexdigest() == (
        '4ed81e73fa15ce9192551a2b96aaa0ae0b1aab9f18e4e18db1a8dd19256b2ce1'
    )
    assert hashlib.sha256(cut.normalized.content).hexdigest() == (
        'f33e8b3183196937f0eb857576a02ebdce4aabf4ced0daadb7e59cce398967c9'
    )
    assert full.validation == cut.validation
    assert full.validation.model_dump() == {'rows': 2212, 'valid_rows': 2212, 'invalid_rows': 0, 'issues': []}


def test_a_file_without_quotes_gets_quotes_where_a_comma_first_shows_up_in_any_column() -> None:
    # GIVEN a ';' export without a single '"': commas in one column from the start, in two others
    # only from row 600 and row 1100 on (past the first blocks the writer learns its columns from)
    rows = [['Name', 'E-Mail', 'Punkte', 'Umsatz', 'Notiz']]
    for i in range(1500):
        name = f'Müller, Jürgen {i}' if i >= 600 and i % 7 == 0 else f'Jürgen Müller {i}'
        note = 'Grüße, Jörg' if i >= 1100 and i % 5 == 0 else 'schön'
        rows.append([name, f'j{i}@example.com', f'{i % 900 + 1}.{i % 1000:03d}', f'{i},50 €', note])
    out = io.StringIO()
    csv.writer(out, delimiter=';', lineterminator='\r\n').writerows(rows)
    data = out.getvalue().encode('cp1252')
    assert b'"' not in data
    # WHEN inspected / THEN csv.writer's bytes for the decoded rows, POINTS ungrouped
    for row in rows[1:]:
        row[2] = row[2].replace('.', '')
    assert inspect_csv(data).normalized.content == _csv_writer_bytes([rows])
