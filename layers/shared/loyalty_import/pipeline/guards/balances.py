"""Balances around an import: the uploaded email/points pairs, the undo file, how the file would move
the balances Wix holds now, and whether that movement looks like the wrong column.

Pure functions over bytes and dicts: the snapshot (before execute) and the verification (after
IMPORTED) read and write the files through the Storage port and ask Wix through the client.

Both files are ordinary importable CSVs (`Email,Points balance`, UTF-8, comma): the pairs file is
what Wix was given, reduced to its two mapped columns; the undo file is the balance each customer
with an account held just before the import, so dropping it restores those balances.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from loyalty_import.masking import mask_email
from loyalty_import.pipeline.models import BalanceExample, BalanceShift

HEADER = ('Email', 'Points balance')
CSV_CONTENT_TYPE = 'text/csv; charset=utf-8'
# A pairs, undo or error file is at most about the size of the 10 MB file Wix accepts.
MAX_RESULT_FILE_BYTES = 32 * 1024 * 1024
MAX_EXAMPLES = 5

Pair = tuple[str, int]


@dataclass(frozen=True)
class ShiftThresholds:
    """When a file's balances move the way a wrong column does (template.yaml's BalanceShift*)."""

    drop_share_percent: float
    drop_percent: float
    jump_factor: float
    min_customers: int


def pairs_from_normalized(content: bytes, email_index: int, points_index: int) -> list[Pair]:
    """The (lower-cased email, points) of every row of the normalized file Wix is given."""
    reader = csv.reader(io.StringIO(content.decode('utf-8'), newline=''))
    next(reader, None)  # the header
    pairs: list[Pair] = []
    for row in reader:
        if len(row) <= max(email_index, points_index):
            continue
        email = row[email_index].strip().lower()
        try:
            points = int(row[points_index].strip())
        except ValueError:
            continue  # Wix refuses that row too
        if email:
            pairs.append((email, points))
    return pairs


def to_csv(pairs: Iterable[Pair]) -> bytes:
    """`Email,Points balance` rows: the shape Wix imports (and this pipeline maps automatically)."""
    text = io.StringIO(newline='')
    writer = csv.writer(text, lineterminator='\r\n')
    writer.writerow(HEADER)
    writer.writerows(pairs)
    return text.getvalue().encode('utf-8')


def read_csv(content: bytes) -> list[Pair]:
    """The pairs of a file `to_csv` wrote."""
    return pairs_from_normalized(content, 0, 1)


def undo_pairs(pairs: Sequence[Pair], before: Mapping[str, int]) -> list[Pair]:
    """The balance before the import of each file customer that had an account, in file order."""
    seen: set[str] = set()
    undo: list[Pair] = []
    for email, _ in pairs:
        if email in before and email not in seen:
            seen.add(email)
            undo.append((email, before[email]))
    return undo


def failed_emails(error_file: bytes) -> set[str]:
    """Every email Wix's error file names (the rows it did not import), lower-cased."""
    text = error_file.decode('utf-8', errors='replace')
    return {
        cell.strip().lower()
        for row in csv.reader(io.StringIO(text, newline=''))
        for cell in row
        if '@' in cell
    }


def balance_shift(
    pairs: Sequence[Pair], before: Mapping[str, int], thresholds: ShiftThresholds
) -> BalanceShift:
    """How the file moves the balances of the customers that already have an account, and whether
    that looks like a redeemed/spent column (most lose most) or a cents/id column (orders of magnitude)."""
    after = dict(pairs)  # the last row of an email is the one Wix keeps
    matched = [(email, before[email], new) for email, new in after.items() if email in before]
    changes = [new - old for _, old, new in matched]
    biggest = sorted(matched, key=lambda item: (-abs(item[2] - item[1]), item[0]))[:MAX_EXAMPLES]
    return BalanceShift(
        matched=len(matched),
        up=sum(1 for change in changes if change > 0),
        down=sum(1 for change in changes if change < 0),
        unchanged=sum(1 for change in changes if change == 0),
        median_change=float(_median(changes)) if changes else 0.0,
        examples=[BalanceExample(email=mask_email(e), before=old, after=new) for e, old, new in biggest],
        suspicious=_suspicious([(old, new) for _, old, new in matched if old > 0], thresholds),
    )


def _suspicious(holding: list[tuple[int, int]], thresholds: ShiftThresholds) -> str | None:
    """Why the balances of the customers holding points move like a wrong column, or None."""
    if len(holding) < thresholds.min_customers:  # e.g. a first import into empty accounts: routine
        return None
    keep = 1 - thresholds.drop_percent / 100
    drops = sum(1 for old, new in holding if new <= old * keep)
    if drops * 100 >= thresholds.drop_share_percent * len(holding):
        return (
            f'{drops} of the {len(holding)} customers holding points would lose '
            f'{thresholds.drop_percent:g}% of their balance or more (a points redeemed or spent column?)'
        )
    ratio = _median([new / old for old, new in holding])
    if ratio >= thresholds.jump_factor:
        return (
            f'the median customer holding points would get {ratio:.4g} times their balance '
            '(an amount in cents, or an id column?)'
        )
    return None


def _median(values: Sequence[float]) -> float:
    # Not statistics.median: that module (and fractions, decimal) would join every cold start.
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def shift_sentence(shift: BalanceShift) -> str:
    """One line: how the file moves (or moved) the balances of the customers that had an account."""
    if shift.matched == 0:
        return 'No customer in the file had a loyalty account before: every balance is new.'
    return (
        f'Balances of the {shift.matched} customers that had an account: {shift.up} up, '
        f'{shift.down} down, {shift.unchanged} unchanged (median change {shift.median_change:+g} points).'
    )


def parse_s3_uri(uri: str) -> tuple[str, str]:
    """'s3://bucket/key' -> ('bucket', 'key')."""
    bucket, _, key = uri.removeprefix('s3://').partition('/')
    return bucket, key
