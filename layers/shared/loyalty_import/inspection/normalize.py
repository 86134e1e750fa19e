"""The bytes Wix gets: UTF-8 without BOM, comma-delimited, one header row, plain integer points,
at most MAX_COLUMNS columns and MAX_CELL_CHARS characters a cell.

A file that already is all of that is uploaded byte for byte (`unchanged=True`); otherwise the
validation pass writes the rows through `OutputWriter` as it reads them.
"""

from __future__ import annotations

import csv
import io
import re
from collections import deque
from collections.abc import Iterable, Sequence
from itertools import chain, islice, repeat
from operator import contains, itemgetter, setitem

from loyalty_import.inspection.models import MAX_COLUMNS

_FLUSH_CHARS = 1 << 20
_REDUCE_ROWS = 256
# The NUL that starts a cell, when the cell holds what makes csv.writer quote it. Possessive, so a
# cell without one is given up at its end, never rescanned; a lookahead, so the replacement is a
# literal (Python 3.11 expands a group reference in Python, once per match).
_OPENS_QUOTED_CELL = re.compile('\x00(?=[^\x00,"\r\n]*+[,"\r\n])')
_QUOTED = (',', '"', '\n', '\r')
# Every cell of the NUL-joined column needs quotes (a money column of '1.234,56 €'): one match,
# then quoting them all is two replaces, not a substitution per cell.
_QUOTED_CELL = '[^\x00,"\r\n]*+[,"\r\n][^\x00]*+'
_ALL_QUOTED = re.compile(f'{_QUOTED_CELL}(?:\x00{_QUOTED_CELL})*+')


class OutputWriter:
    """csv.writer into UTF-8 bytes, encoded every ~1 MB so the text is never held twice in full.

    `comma_free`: the caller has proved that no cell holds a comma (see `cells_hold_no_comma`), so a
    block of rows needs no per-character count to know that none needs quotes for one.
    `quote_free`: the caller has proved that no cell holds a quote or a line break (see
    `cells_hold_no_quote`): a cell then needs quotes exactly when it holds a comma.
    """

    def __init__(self, *, comma_free: bool = False, quote_free: bool = False) -> None:
        self._parts: list[str] = []
        self._size = 0
        self._chunks: list[bytes] = []
        self._writer = csv.writer(self, lineterminator='\r\n')
        self._comma_free = comma_free
        self._quote_free = quote_free
        # The columns seen holding cells that need quotes ('1.234,56 €' from a ';' file): the
        # next blocks quote those first and only prove the others clean.
        self._quoted_columns: list[int] = []
        self.bytes_written = 0

    def write(self, text: str) -> None:  # the file-like protocol csv.writer needs
        self._parts.append(text)
        self._size += len(text)

    def writerows(self, rows: Iterable[Sequence[str]]) -> None:
        self._writer.writerows(rows)
        if self._size > _FLUSH_CHARS:
            self._flush()

    def write_block(self, rows: list[list[str]], width: int, *, single_line: bool = False) -> None:
        """Like writerows, faster: rows are joined in bulk, the cells needing quotes quoted column by
        column in C (`quoted_block`); csv.writer does only the rows neither can.

        `single_line`: the reader saw one physical line per row, so no cell holds a line break.
        The rows are spent: a cell needing quotes may hold its quoted form afterwards.
        """
        if self._parts:
            self._flush()
        if self._quote_free and len(set(map(len, rows))) == 1:
            chunk = self._quote_free_block(rows, width)
        else:
            block = self._block(rows, width, single_line)
            if block is None:
                self._write_rows(rows, width)
                return
            # Encoded at once: the block is never copied into a larger text first.
            chunk = block.encode('utf-8')
        self._chunks.append(chunk)
        self.bytes_written += len(chunk)

    def _quote_free_block(self, rows: list[list[str]], width: int) -> bytes:
        """The rows as csv.writer writes them when no cell holds a quote or a line break.

        The cells holding a comma are quoted, in the columns seen holding one; the count of commas
        in the encoded block (a ',' is the byte 0x2C in UTF-8) proves no other cell holds one, or
        the columns are looked for again and the block quoted once more.
        """
        if self._comma_free:
            return _joined(rows).encode('utf-8')
        chunk = _comma_quoted(rows, width, self._quoted_columns)
        if chunk is None:
            self._quoted_columns = sorted({*self._quoted_columns, *columns_holding_commas(rows)})
            chunk = _comma_quoted(rows, width, self._quoted_columns)
            if chunk is None:  # pragma: no cover - every column holding a comma is quoted now
                raise AssertionError('a comma outside the quoted columns')
        return chunk

    def _block(self, rows: list[list[str]], width: int, single_line: bool) -> str | None:
        if not self._quoted_columns:
            block = _plain_block(rows, width, self._comma_free, single_line)
            if block is not None:
                return block
        try:
            return self._quoted(rows, width, single_line)
        except (IndexError, ValueError):
            return None  # rows of different widths (the pass never writes them): csv.writer's turn

    def _quoted(self, rows: list[list[str]], width: int, single_line: bool) -> str | None:
        if self._quoted_columns:
            block = quoted_block(rows, width, self._quoted_columns, single_line)
            if block is not None:
                return block
        found = columns_needing_quotes(rows)
        if found is None:
            return None  # a cell holds a NUL: csv.writer writes the block
        self._quoted_columns = sorted({*self._quoted_columns, *found})
        return quoted_block(rows, width, self._quoted_columns, single_line)

    def _write_rows(self, rows: list[list[str]], width: int) -> None:
        for row in rows:
            line = ','.join(row)
            if line.count(',') == width - 1 and '"' not in line and '\n' not in line and '\r' not in line:
                self.write(line + '\r\n')
            else:
                self._writer.writerow(row)
        if self._size > _FLUSH_CHARS:
            self._flush()

    def _flush(self) -> None:
        chunk = ''.join(self._parts).encode('utf-8')
        self._chunks.append(chunk)
        self.bytes_written += len(chunk)
        self._parts.clear()
        self._size = 0

    def getvalue(self) -> bytes:
        self._flush()
        content = b''.join(self._chunks)
        self._chunks.clear()
        return content


def _plain_block(rows: list[list[str]], width: int, comma_free: bool, single_line: bool) -> str | None:
    """The rows joined in bulk, when no cell needs quotes (None otherwise)."""
    n = len(rows)
    # The empty last item ends the block with a line break without copying it again.
    block = '\r\n'.join(chain(map(','.join, rows), ('',)))
    if (
        '"' not in block
        and (single_line or (block.count('\n') == n and block.count('\r') == n))
        and (comma_free or block.count(',') == n * (width - 1))
    ):
        return block
    return None


def _joined(rows: list[list[str]]) -> str:
    # The empty last item ends the block with a line break without copying it again.
    return '\r\n'.join(chain(map(','.join, rows), ('',)))


def _comma_quoted(rows: list[list[str]], width: int, columns: list[int]) -> bytes | None:
    """The rows encoded as csv.writer writes them, the cells of `columns` holding a comma quoted;
    None (the rows as they were) when a cell of another column holds one. No cell holds a quote
    or a line break (`OutputWriter`'s `quote_free`)."""
    n = len(rows)
    commas = 0
    before: list[tuple[int, list[str]]] = []
    for index in columns:
        cells = list(map(itemgetter(index), rows))
        inside = ''.join(cells).count(',')
        if not inside:
            continue
        commas += inside
        before.append((index, cells))
        if all(map(contains, cells, repeat(','))):  # a money column: '1.234,56 €' in every row
            # No cell holds a '"' or a line break: '"\n"' can only be the separator.
            quoted = ('"' + '"\n"'.join(cells) + '"').split('\n')
        else:
            quoted = [f'"{cell}"' if ',' in cell else cell for cell in cells]
        deque(map(setitem, rows, repeat(index, n), quoted), maxlen=0)
    chunk = _joined(rows).encode('utf-8')
    if chunk.count(b',') == n * (width - 1) + commas:
        return chunk
    for index, cells in before:
        deque(map(setitem, rows, repeat(index, n), cells), maxlen=0)
    return None


def columns_holding_commas(rows: list[list[str]]) -> list[int]:
    """The columns with a cell holding ','."""
    return [index for index, column in enumerate(zip(*rows, strict=True)) if ',' in ''.join(column)]


def columns_needing_quotes(rows: list[list[str]]) -> list[int] | None:
    """The columns with a cell holding ',', '"' or a line break; None when a cell holds a NUL."""
    found = []
    for index, column in enumerate(zip(*rows, strict=True)):
        joined = '\x00'.join(column)
        if any(char in joined for char in _QUOTED):
            if joined.count('\x00') != len(column) - 1:
                return None
            found.append(index)
    return found


def quote_cells(joined: str) -> str:
    """NUL-joined cells, each quoted as csv.writer quotes it (QUOTE_MINIMAL), still NUL-joined.

    NUL separates cells safely: no ASCII-compatible file decodes to one (a NUL byte is refused),
    and the callers check the count. One regex puts the opening quotes, the same regex on the
    reversed text the closing ones: two C passes instead of csv.writer's look at every character.
    """
    # csv.writer doubles every quote inside a quoted cell, and any cell holding one is quoted.
    doubled = joined.replace('"', '""')
    if _ALL_QUOTED.fullmatch(joined) is not None:
        return '"' + doubled.replace('\x00', '"\x00"') + '"'
    opened = _OPENS_QUOTED_CELL.sub('\x00"', '\x00' + doubled + '\x00')
    return _OPENS_QUOTED_CELL.sub('\x00"', opened[::-1])[::-1][1:-1]


def quoted_block(rows: list[list[str]], width: int, columns: list[int], single_line: bool) -> str | None:
    """The rows as csv.writer writes them, `columns` quoted in bulk; None if another column needs it.

    The quoted cells are set into the rows to join them, and left there when the block is the
    answer (putting the old ones back costs as much as setting them): the caller's rows are spent.
    Every ',', '"' and line break of the block is accounted for by the separators and the quoted
    columns, or some other cell holds one: then the rows get their own cells back and this is None.
    """
    n = len(rows)
    # Without line breaks in any cell (`single_line`), only commas and quotes need accounting for.
    checked = _QUOTED[:2] if single_line else _QUOTED
    quoted: list[tuple[int, list[str], list[str]]] = []
    expected = dict.fromkeys(checked, 0)
    for index in columns:
        cells = list(map(itemgetter(index), rows))
        joined = '\x00'.join(cells)
        if joined.count('\x00') != n - 1:
            return None
        text = quote_cells(joined)
        for char in checked:
            expected[char] += text.count(char)
        quoted.append((index, cells, text.split('\x00')))
    for index, _, new in quoted:
        deque(map(setitem, rows, repeat(index, n), new), maxlen=0)
    block = '\r\n'.join(chain(map(','.join, rows), ('',)))
    separators = {',': n * (width - 1), '"': 0, '\n': n, '\r': n}
    if all(block.count(char) == separators[char] + expected[char] for char in checked):
        return block
    for index, old, _ in quoted:
        deque(map(setitem, rows, repeat(index, n), old), maxlen=0)
    return None


def reduced_content(content: bytes, positions: list[int], *, comma_free: bool = False) -> bytes:
    """A normalized file (ours: UTF-8, ',' CRLF, quoted by csv.writer) cut to the columns at `positions`.

    Reading it back gives exactly the cells written, so this equals writing only those columns.
    """
    reader = csv.reader(io.TextIOWrapper(io.BytesIO(content), encoding='utf-8', newline=''))
    pick = itemgetter(*positions)
    writer = OutputWriter(comma_free=comma_free)
    while rows := list(islice(reader, _REDUCE_ROWS)):
        writer.write_block([list(pick(row)) for row in rows], len(positions))
    return writer.getvalue()


def cells_hold_no_comma(data: bytes, delimiter: str, *, ascii_compatible: bool) -> bool:
    """True when no cell of `data` can hold a comma, so no written row needs quotes for one.

    In an ASCII-compatible encoding a ',' character is the byte 0x2C: a file without that byte has
    no comma anywhere. In a comma-delimited file a cell holds a comma only if quoted: without any
    '"' byte, every comma is a delimiter. Either test is one memchr over the bytes.
    """
    if not ascii_compatible:
        return False
    if delimiter == ',':
        return b'"' not in data
    return b',' not in data


def cells_hold_no_quote(data: bytes, *, ascii_compatible: bool) -> bool:
    """True when no cell of `data` holds a quote or a line break: without any '"' byte no cell is
    quoted, and only a quoted cell can hold a line break (one memchr over the bytes)."""
    return ascii_compatible and b'"' not in data


def columns_to_keep(width: int, email: int, points: int, drop: set[int]) -> list[int]:
    """All columns but `drop`, cut to Wix's limit; EMAIL and POINTS are always kept."""
    keep = [i for i in range(width) if i not in drop or i in (email, points)]
    if len(keep) <= MAX_COLUMNS:
        return keep
    others = [i for i in keep if i not in (email, points)][: MAX_COLUMNS - 2]
    return sorted({email, points, *others})


def output_header(header: list[str] | None, width: int, email: int, points: int) -> list[str]:
    """The header row to write; a headerless file gets one ('email', 'points', 'column_3'...)."""
    if header is not None:
        names = [cell.replace('\ufeff', '').strip() for cell in header]
        return names + [f'column_{i + 1}' for i in range(len(names), width)]
    names = [f'column_{i + 1}' for i in range(width)]
    names[email] = 'email'
    names[points] = 'points'
    return names
