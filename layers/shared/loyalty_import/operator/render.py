"""Output of the operator commands: aligned plain-text tables, JSON, times and short ids."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Sequence
from typing import Any, TextIO

SHORT_ID_CHARS = 12
_MAX_CELL = 48


def short_id(pk: str) -> str:
    """An import's short, stable id: the first 12 hex characters of the SHA-256 of its pk."""
    return hashlib.sha256(pk.encode('utf-8')).hexdigest()[:SHORT_ID_CHARS]


def cell(value: object, width: int = _MAX_CELL) -> str:
    """One table cell: a file's own text (names, headers) with control characters shown as '?'
    (no terminal escape from a file name), on one line, cut to `width`."""
    text = '' if value is None else str(value)
    text = ''.join(ch if ch.isprintable() else '?' for ch in text)
    return text if len(text) <= width else text[: width - 1] + '…'


def table(headers: Sequence[str], rows: Sequence[Sequence[object]], out: TextIO) -> None:
    cells = [[cell(value) for value in row] for row in rows]
    widths = [max([len(h)] + [len(row[i]) for row in cells]) for i, h in enumerate(headers)]
    for row in [list(headers), *cells]:
        out.write('  '.join(value.ljust(width) for value, width in zip(row, widths, strict=True)).rstrip())
        out.write('\n')


def print_json(payload: Any, out: TextIO) -> None:
    out.write(json.dumps(payload, ensure_ascii=False, indent=2, default=str) + '\n')


def listing(
    out: TextIO,
    *,
    as_json: bool,
    items: Sequence[Any],
    headers: Sequence[str],
    rows: Sequence[Sequence[object]],
    empty: str,
) -> None:
    """A command's list: `items` as JSON, else `rows` as a table, or `empty` when there are none."""
    if as_json:
        print_json(list(items), out)
    elif not rows:
        out.write(empty + '\n')
    else:
        table(headers, rows, out)


def when(at: dt.datetime | None) -> str:
    """'2025-06-01 14:03:07Z' (UTC, to the second); '' for no time."""
    if at is None:
        return ''
    return at.astimezone(dt.UTC).strftime('%Y-%m-%d %H:%M:%SZ')


def iso(at: dt.datetime | None) -> str | None:
    return at.astimezone(dt.UTC).isoformat().replace('+00:00', 'Z') if at is not None else None


def duration(seconds: float | None) -> str:
    """'42s', '3m 05s', '2h 10m'; '' for none."""
    if seconds is None:
        return ''
    whole = round(seconds)
    if whole < 60:
        return f'{seconds:.1f}s' if seconds < 10 else f'{whole}s'
    minutes, secs = divmod(whole, 60)
    if minutes < 60:
        return f'{minutes}m {secs:02d}s'
    hours, minutes = divmod(minutes, 60)
    return f'{hours}h {minutes:02d}m'
