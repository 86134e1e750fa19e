"""The bytes Wix gets: UTF-8 without BOM, comma-delimited, one header row, plain integer points,
at most MAX_COLUMNS columns and MAX_CELL_CHARS characters a cell.

A file that already is all of that is uploaded byte for byte (`unchanged=True`); otherwise the
validation pass writes the rows through `OutputWriter` as it reads them.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from itertools import chain

from loyalty_import.inspection.models import MAX_COLUMNS

_FLUSH_CHARS = 1 << 20


class OutputWriter:
    """csv.writer into UTF-8 bytes, encoded every ~1 MB so the text is never held twice in full.

    `comma_free`: the caller has proved that no cell holds a comma (see `cells_hold_no_comma`), so a
    block of rows needs no per-character count to know that none needs quotes for one.
    """

    def __init__(self, *, comma_free: bool = False) -> None:
        self._parts: list[str] = []
        self._size = 0
        self._chunks: list[bytes] = []
        self._writer = csv.writer(self, lineterminator='\r\n')
        self._comma_free = comma_free
        self.bytes_written = 0

    def write(self, text: str) -> None:  # the file-like protocol csv.writer needs
        self._parts.append(text)
        self._size += len(text)

    def writerows(self, rows: Iterable[Sequence[str]]) -> None:
        self._writer.writerows(rows)
        if self._size > _FLUSH_CHARS:
            self._flush()

    def write_block(self, rows: list[list[str]], width: int, *, single_line: bool = False) -> None:
        """Like writerows, faster: rows needing no quotes are joined in bulk, csv.writer does the rest.

        `single_line`: the reader saw one physical line per row, so no cell holds a line break.
        """
        n = len(rows)
        # The empty last item ends the block with a line break without copying it again.
        block = '\r\n'.join(chain(map(','.join, rows), ('',)))
        if (
            '"' not in block
            and (single_line or (block.count('\n') == n and block.count('\r') == n))
            and (self._comma_free or block.count(',') == n * (width - 1))
        ):
            # Encoded at once: the block is never copied into a larger text first.
            if self._parts:
                self._flush()
            chunk = block.encode('utf-8')
            self._chunks.append(chunk)
            self.bytes_written += len(chunk)
            return
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
