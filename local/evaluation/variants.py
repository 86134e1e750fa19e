"""Adversarial variants of a labelled file, made in memory from its table; deterministic, seeded.

Each generator takes the table, the careful reader's expectation and a seeded Random, and returns
the varied table with what a careful reader expects of it, or None when the kind does not apply
(no header to remove, no pair to vary).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, replace

from evaluation.expectations import NOT_A_BALANCE_FILE, Expectation, Pair
from evaluation.table import Table

NEUTRAL_HEADERS = ('Value', 'Column C', 'Field 7', 'Data', 'Wert', 'Valeur')
# A balance in another unit, with the range of whole numbers it holds (None: like the points).
OTHER_UNITS: tuple[tuple[str, int | None], ...] = (
    ('Stamps balance', 12),
    ('Cash balance', None),
    ('Store credit', None),
    ('Gift card balance', None),
    ('Wallet balance', None),
    ('Visits', 80),
    ('Guthaben (EUR)', None),
    ('Solde cagnotte', None),
    ('Saldo monedero', None),
    ('Credit balance', None),
)
COUNTER_HEADERS = ('#', 'No.', 'Row', 'Nr.', 'N°', '')

Variant = tuple[Table, Expectation]
Generator = Callable[[Table, Expectation, random.Random], Variant | None]


def _blank(row: list[str]) -> bool:
    return not any(cell.strip() for cell in row)


def _whole(cell: str) -> int | None:
    text = cell.strip().replace(',', '').replace('.', '').replace(' ', '')
    return int(text) if text.isdigit() else None


def no_header(table: Table, expect: Expectation, rng: random.Random) -> Variant | None:
    """The header row removed: the same pair, found by content alone, so never auto."""
    if table.header is None or expect.pair is None:
        return None
    return table.with_rows(None, table.body), replace(expect, auto_ok=False)


def neutral_header(table: Table, expect: Expectation, rng: random.Random) -> Variant | None:
    """The POINTS column's header renamed to a word that names nothing: review with the pair."""
    if table.header is None or expect.pair is None:
        return None
    taken = {cell.strip().casefold() for cell in table.header}
    words = [word for word in NEUTRAL_HEADERS if word.casefold() not in taken] or list(NEUTRAL_HEADERS)
    header = list(table.header)
    header[expect.pair[1]] = rng.choice(words)
    return table.with_rows(header, table.body), replace(expect, auto_ok=False)


def flag_values(table: Table, expect: Expectation, rng: random.Random) -> Variant | None:
    """The POINTS column's values replaced by 0/1: not a balance any more; review or refuse, never auto."""
    if expect.pair is None:
        return None
    points = expect.pair[1]
    body = [
        row if _blank(row) or len(row) <= points else [*row[:points], rng.choice('01'), *row[points + 1 :]]
        for row in table.body
    ]
    return table.with_rows(table.header, body), replace(
        expect, refuse_ok=True, refuse_codes=None, auto_ok=False
    )


def repeated_rows(table: Table, expect: Expectation, rng: random.Random) -> Variant | None:
    """Every customer 2-3 times with different points (a ledger, not balances): must be refused."""
    if expect.pair is None:
        return None
    points = expect.pair[1]
    values = [v for row in table.body if len(row) > points and (v := _whole(row[points])) is not None]
    high = max([*values, 100])
    body: list[list[str]] = []
    for row in table.body:
        if _blank(row) or len(row) <= points:
            body.append(row)
            continue
        seen = {row[points].strip()}
        body.append(row)
        for _ in range(rng.randint(1, 2)):
            value = str(rng.randint(0, high))
            while value in seen:
                value = str(rng.randint(0, high + len(seen)))
            seen.add(value)
            body.append([*row[:points], value, *row[points + 1 :]])
    rng.shuffle(body)
    refuse = Expectation(None, refuse_ok=True, refuse_codes=frozenset([NOT_A_BALANCE_FILE]), auto_ok=False)
    return table.with_rows(table.header, body), refuse


def reversed_columns(table: Table, expect: Expectation, rng: random.Random) -> Variant | None:
    """The columns in reverse order: the same answer, its indices mapped."""
    width = table.width

    def flip(row: list[str]) -> list[str]:
        if not row:
            return row
        padded = row[:width] + [''] * (width - len(row))
        return padded[::-1] + row[width:]

    header = flip(table.header) if table.header is not None else None
    pair: Pair | None = None
    if expect.pair is not None:
        pair = (width - 1 - expect.pair[0], width - 1 - expect.pair[1])
    return table.with_rows(header, [flip(row) for row in table.body]), expect.with_pair(pair)


def other_unit(table: Table, expect: Expectation, rng: random.Random) -> Variant | None:
    """A balance in another unit (stamps, cash, credit...) inserted at a seeded place: never the POINTS."""
    if table.header is None or expect.pair is None:
        return None
    name, ceiling = rng.choice(OTHER_UNITS)
    points = expect.pair[1]
    values = [v for row in table.body if len(row) > points and (v := _whole(row[points])) is not None]
    high = ceiling or max([*values, 100])
    at = rng.randint(0, table.width)
    header = [*table.header[:at], name, *table.header[at:]]
    body = [
        row if _blank(row) else [*row[:at], *([''] * (at - len(row))), str(rng.randint(0, high)), *row[at:]]
        for row in table.body
    ]
    pair = (expect.pair[0] + (expect.pair[0] >= at), expect.pair[1] + (expect.pair[1] >= at))
    return table.with_rows(header, body), expect.with_pair(pair)


def row_counter(table: Table, expect: Expectation, rng: random.Random) -> Variant | None:
    """A leading row-number column (1..n): the same answer, shifted by one."""
    body: list[list[str]] = []
    number = 0
    for row in table.body:
        if _blank(row):
            body.append(row)
            continue
        number += 1
        body.append([str(number), *row])
    header = [rng.choice(COUNTER_HEADERS), *table.header] if table.header is not None else None
    pair = (expect.pair[0] + 1, expect.pair[1] + 1) if expect.pair is not None else None
    return table.with_rows(header, body), expect.with_pair(pair)


@dataclass(frozen=True)
class Kind:
    name: str
    make: Generator


KINDS: tuple[Kind, ...] = (
    Kind('no_header', no_header),
    Kind('neutral_header', neutral_header),
    Kind('flag_values', flag_values),
    Kind('repeated_rows', repeated_rows),
    Kind('reversed_columns', reversed_columns),
    Kind('other_unit', other_unit),
    Kind('row_counter', row_counter),
)
KIND_NAMES = ('original', *(kind.name for kind in KINDS))


def make(kind: Kind, corpus: str, name: str, table: Table, expect: Expectation) -> Variant | None:
    """One variant, seeded by its kind, corpus and file name (the same bytes on every run)."""
    return kind.make(table, expect, random.Random(f'{kind.name}:{corpus}:{name}'))  # noqa: S311 - a seed
