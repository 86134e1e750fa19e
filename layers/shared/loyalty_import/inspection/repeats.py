"""One row per customer: emails that appear more than once, read from the file Wix would get.

Read only when the pass found a duplicate email (rare in a balance export), from the normalized
file: UTF-8, comma, one header row, points already plain integers, so comparing cells compares
balances. The same email with the same points twice is merged (the repeat is dropped from the
upload); with different points it is a question for a person; when most customers repeat, the
file is an order or transaction log, not balances.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from dataclasses import dataclass, field

from loyalty_import.inspection.models import Refusal, RefusalCode
from loyalty_import.masking import mask_email

MOST_REPEAT = 0.5  # of the distinct emails, the share that repeats in a transaction log
_EXAMPLES = 3


@dataclass(frozen=True)
class Repeats:
    customers: int  # distinct valid emails
    repeated: int  # of those, how many appear more than once
    conflicts: int  # of those, how many with different points
    examples: list[tuple[str, list[str]]] = field(default_factory=list)  # (masked email, its points)
    merged_rows: int = 0  # rows dropped: the same email with the same points again

    def conflict_message(self) -> str:
        shown = '; '.join(f'{email}: {", ".join(points)}' for email, points in self.examples)
        return (
            f'{self.conflicts:,} customers appear more than once with different points ({shown}): '
            'which balance is current?'
        )


def find_repeats(content: bytes, email_index: int, points_index: int) -> tuple[Repeats, bytes]:
    """What repeats in the normalized `content`, and that content with identical repeats dropped."""
    rows = list(csv.reader(io.StringIO(content.decode('utf-8'), newline='')))
    header, body = rows[:1], rows[1:]
    balances: dict[str, list[str]] = {}  # email -> its distinct points, in file order
    rows_of: Counter[str] = Counter()
    kept: list[list[str]] = []
    for row in body:
        key = row[email_index].strip().lower() if email_index < len(row) else ''
        value = row[points_index] if points_index < len(row) else ''
        if key:
            rows_of[key] += 1
            seen = balances.setdefault(key, [])
            if value in seen:
                continue  # the same customer with the same balance: once is enough
            seen.append(value)
        kept.append(row)
    conflicting = [(email, points) for email, points in balances.items() if len(points) > 1]
    repeats = Repeats(
        customers=len(balances),
        repeated=sum(1 for count in rows_of.values() if count > 1),
        conflicts=len(conflicting),
        examples=[(mask_email(email), points[:4]) for email, points in conflicting[:_EXAMPLES]],
        merged_rows=len(body) - len(kept),
    )
    if repeats.customers and repeats.repeated > repeats.customers * MOST_REPEAT:
        raise Refusal(
            RefusalCode.NOT_A_BALANCE_FILE,
            f'{repeats.repeated:,} of {repeats.customers:,} customers appear on several rows: this looks '
            'like an order or transaction log, not one current balance per customer. Export the '
            'balances (one row per customer) instead.',
        )
    if not repeats.merged_rows:
        return repeats, content
    out = io.StringIO(newline='')
    csv.writer(out, lineterminator='\r\n').writerows([*header, *kept])
    return repeats, out.getvalue().encode('utf-8')
