"""A normalized file too large for one Wix import, split into parts that each fit one.

Each part is a file Wix can import on its own: our normalized format (UTF-8, ',' CRLF, quoted by
csv.writer), its own header row, whole CSV records only (a quoted cell holding a line break stays
in one part: the split reads records, never raw lines), at most `part_limit(max_file_bytes)` bytes.
Only the columns Wix needs are kept: EMAIL and POINTS, then the name columns (by header) when a
row with them still fits a part.

parts = list(split_normalized(content, email_index=0, points_index=1, max_file_bytes=MAX_FILE_BYTES))
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from loyalty_import.inspection.models import MAX_FILE_BYTES, Refusal, RefusalCode

# Kept below Wix's limit: Wix may count a file's size with its multipart framing or a trailing
# line break of its own; 1% (at least 64 KiB) costs one part in a hundred at most.
PART_MARGIN_BYTES = 64 * 1024
PART_MARGIN_SHARE = 0.01
# At most this many name columns ride along (first, last, full name: more is not a name).
MAX_NAME_COLUMNS = 3
_NAME_HEADERS = frozenset(
    {
        'name',
        'full name',
        'fullname',
        'customer name',
        'contact name',
        'display name',
        'first name',
        'firstname',
        'given name',
        'forename',
        'last name',
        'lastname',
        'surname',
        'family name',
        'vorname',
        'nachname',
        'prenom',
        'prénom',
        'nom',
        'nombre',
        'apellido',
        'apellidos',
    }
)
_SEPARATORS = re.compile(r'[\s_\-.]+')


def part_limit(max_file_bytes: int = MAX_FILE_BYTES) -> int:
    """The most bytes one part holds: Wix's limit less the safety margin."""
    return max_file_bytes - max(PART_MARGIN_BYTES, int(max_file_bytes * PART_MARGIN_SHARE))


def name_columns(header: Sequence[str], exclude: Iterable[int] = ()) -> list[int]:
    """The columns whose header names a customer's name ('First Name', 'last_name', 'Nom')."""
    skip = set(exclude)
    found = [
        index
        for index, cell in enumerate(header)
        if index not in skip and _SEPARATORS.sub(' ', cell.strip().lower()).strip() in _NAME_HEADERS
    ]
    return found[:MAX_NAME_COLUMNS]


@dataclass(frozen=True)
class Part:
    """One Wix import's file: its bytes, its data rows, and the first of them in the whole file."""

    content: bytes
    rows: int
    first_row: int  # 1 = the file's first data row
    names_dropped: int = 0  # rows whose name cells were left empty so that the row fits a part


class _Line:
    """The file-like csv.writer writes one record's text into (one write call per record)."""

    def __init__(self) -> None:
        self.text = ''

    def write(self, text: str) -> None:
        self.text = text


class PartSplitter:
    """Rows in, parts out: each part a header plus as many whole records as fit `limit` bytes.

    `columns`: the positions kept, EMAIL and POINTS first; `names`: the name columns among them
    (emptied for a row that only fits without them). Holds one part's bytes at a time.
    """

    def __init__(
        self, header: Sequence[str], columns: Sequence[int], names: Sequence[int], limit: int
    ) -> None:
        self._line = _Line()
        self._writer = csv.writer(self._line, lineterminator='\r\n')
        self._columns = list(columns)
        self._names = {self._columns.index(n) for n in names}
        self._limit = limit
        self._header = self._encode([header[i] for i in self._columns])
        if len(self._header) > limit:
            raise Refusal(
                RefusalCode.ROW_TOO_LARGE, 'The header row alone is larger than a Wix import can be.'
            )
        # One buffer, not a bytes object per record: 200,000 records a part cost 10 MB, not 25.
        self._buffer = bytearray(self._header)
        self._rows = 0
        self._row = 0
        self._first = 1
        self._names_dropped = 0

    def _encode(self, cells: Sequence[str]) -> bytes:
        self._writer.writerow(cells)
        return self._line.text.encode('utf-8')

    def _record(self, row: Sequence[str]) -> bytes:
        cells = [row[i] if i < len(row) else '' for i in self._columns]
        record = self._encode(cells)
        if len(self._header) + len(record) <= self._limit or not self._names:
            return record
        record = self._encode(['' if k in self._names else cell for k, cell in enumerate(cells)])
        self._names_dropped += 1
        return record

    def add(self, row: Sequence[str]) -> Part | None:
        """Take one data row; the finished part when this row starts the next one."""
        self._row += 1
        record = self._record(row)
        if len(self._header) + len(record) > self._limit:
            raise Refusal(
                RefusalCode.ROW_TOO_LARGE,
                f'Row {self._row:,} is {len(record):,} bytes even without its name columns: '
                f'larger than one Wix import ({self._limit:,} bytes with the header).',
            )
        done = None
        if len(self._buffer) + len(record) > self._limit:
            done = self._take()
        self._buffer += record
        self._rows += 1
        return done

    def _take(self) -> Part:
        part = Part(bytes(self._buffer), self._rows, self._first, self._names_dropped)
        self._first += self._rows
        self._buffer = bytearray(self._header)
        self._rows = 0
        self._names_dropped = 0
        return part

    def finish(self) -> Part | None:
        """The last part (None when it holds no row)."""
        return self._take() if self._rows else None


def split_rows(
    header: Sequence[str],
    rows: Iterable[Sequence[str]],
    *,
    email_index: int,
    points_index: int,
    limit: int,
    keep_names: bool = True,
) -> Iterator[Part]:
    """The rows (header excluded) as parts of at most `limit` bytes; EMAIL first, POINTS second."""
    names = name_columns(header, exclude=(email_index, points_index)) if keep_names else []
    splitter = PartSplitter(header, [email_index, points_index, *names], names, limit)
    for row in rows:
        part = splitter.add(row)
        if part is not None:
            yield part
    last = splitter.finish()
    if last is not None:
        yield last


def split_normalized(
    content: bytes,
    *,
    email_index: int,
    points_index: int,
    max_file_bytes: int = MAX_FILE_BYTES,
    keep_names: bool = True,
) -> Iterator[Part]:
    """A normalized file (header row first) as parts that each fit one Wix import."""
    reader = csv.reader(io.TextIOWrapper(io.BytesIO(content), encoding='utf-8', newline=''))
    header = next(reader, None)
    if header is None:
        raise Refusal(RefusalCode.EMPTY_FILE, 'The file holds no rows.')
    rows = (row for row in reader if row)
    yield from split_rows(
        header,
        rows,
        email_index=email_index,
        points_index=points_index,
        limit=part_limit(max_file_bytes),
        keep_names=keep_names,
    )
