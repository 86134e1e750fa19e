"""A realistic ~10 MB loyalty export: a dozen columns, decoys included (seeded, deterministic)."""

# ruff: noqa: RUF001, RUF002 - the cp1252 export is about its typographic characters

from __future__ import annotations

import csv
import io
import random
import unicodedata
from pathlib import Path

HEADER = [
    'Customer ID',
    'First Name',
    'Last Name',
    'Email',
    'Phone',
    'Zip',
    'Points Balance',
    'Points Earned',
    'Points Redeemed',
    'Total Spent',
    'VIP Tier',
    'Signup Date',
]
_FIRST = [
    'Emma',
    'Liam',
    'Noah',
    'Mia',
    'José',
    'Zoë',
    'Björn',
    'Åsa',
    'Chloé',
    'Núria',
    'Yuki',
    'Léa',
    'Ömer',
]
_LAST = ['Smith', 'Núñez', 'Müller', 'Dubois', 'Cohen', 'Sato', 'Rossi', 'Silva', "O'Brien", 'Jansen']
_DOMAINS = ['example.com', 'mail.example.org', 'shop.example.co.uk', 'example.net']


def _ascii(text: str) -> str:
    return unicodedata.normalize('NFKD', text).encode('ascii', 'ignore').decode().lower().replace("'", '')


def export(target_bytes: int, *, seed: int = 7, thousands: str = '') -> str:
    """CSV text of about `target_bytes` UTF-8 bytes; `thousands` groups the point columns ('1.234')."""
    rnd = random.Random(seed)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator='\n')
    writer.writerow(HEADER)
    customer = 0
    while out.tell() < target_bytes * 0.97:
        customer += 1
        writer.writerow(_customer_row(rnd, customer, thousands))
    return out.getvalue()


def _customer_row(rnd: random.Random, customer: int, thousands: str) -> list[object]:
    first, last = rnd.choice(_FIRST), rnd.choice(_LAST)
    balance, earned = rnd.randrange(60000), rnd.randrange(90000)
    points = [balance, earned, rnd.randrange(earned + 1)]
    shown = [f'{p:,}'.replace(',', thousands) if thousands else str(p) for p in points]
    last_name = f'{last}, Jr.' if customer % 97 == 0 else last  # a quoted cell now and then
    return [
        1_000_000 + customer,
        first,
        last_name,
        f'{_ascii(first)}.{_ascii(last)}{customer}@{rnd.choice(_DOMAINS)}',
        f'+1 555 {rnd.randrange(10**7):07d}',
        f'{rnd.randrange(100000):05d}',
        *shown,
        f'{rnd.random() * 3000:.2f}',
        rnd.choice(['Gold', 'Silver', 'Bronze', '']),
        f'2023-{rnd.randint(1, 12):02d}-{rnd.randint(1, 28):02d}',
    ]


def write_large_export(path: Path, rows: int, *, seed: int = 7) -> int:
    """`export`'s rows, `rows` of them, written to `path` as they are made (a 1.2-million-row
    export is about 110 MB: never held in memory). Returns the file's size in bytes."""
    rnd = random.Random(seed)
    with path.open('w', encoding='utf-8', newline='') as out:
        writer = csv.writer(out, lineterminator='\n')
        writer.writerow(HEADER)
        for customer in range(1, rows + 1):
            writer.writerow(_customer_row(rnd, customer, ''))
    return path.stat().st_size


# What a German shop's Excel export holds: characters cp1252 stores in bytes 0x80-0x9f (where it
# differs from latin-1): euro signs, typographic apostrophes and quotes, dashes, ellipses.
_NOTES = [
    '',
    '',
    '',
    '„Stammkunde“ – bitte nicht anrufen…',
    'Gutschein über 10 € eingelöst',
    'it’s a “VIP” – see ticket #42…',
]


def _german_money(value: float) -> str:
    return f'{value:,.2f}'.replace(',', ' ').replace('.', ',').replace(' ', '.') + ' €'


def cp1252_export(target_bytes: int, *, seed: int = 7) -> bytes:
    """A realistic cp1252 export of about `target_bytes`: ';', CRLF, '1.234' balances, '1.234,56 €'
    amounts, 'O’Brien', and notes with „…“, – and … (bytes in 0x80-0x9f on most rows)."""
    rnd = random.Random(seed)
    out = io.StringIO()
    writer = csv.writer(out, delimiter=';', lineterminator='\r\n')
    writer.writerow([*HEADER, 'Notes'])
    customer = 0
    while out.tell() < target_bytes * 0.99:
        customer += 1
        first, last = rnd.choice(_FIRST), rnd.choice(_LAST).replace("'", '\u2019')
        balance, earned = rnd.randrange(60000), rnd.randrange(90000)
        points = [balance, earned, rnd.randrange(earned + 1)]
        email = f'{_ascii(first)}.{_ascii(last.replace(chr(0x2019), ""))}{customer}@{rnd.choice(_DOMAINS)}'
        writer.writerow(
            [
                1_000_000 + customer,
                first,
                last,
                email,
                f'+49 30 {rnd.randrange(10**7):07d}',
                f'{rnd.randrange(100000):05d}',
                *(f'{p:,}'.replace(',', '.') for p in points),
                _german_money(rnd.random() * 3000),
                rnd.choice(['Gold', 'Silber', 'Bronze', '']),
                f'{rnd.randint(1, 28):02d}.{rnd.randint(1, 12):02d}.2023',
                rnd.choice(_NOTES),
            ]
        )
    return out.getvalue().encode('cp1252')


def main(argv: list[str] | None = None) -> None:
    """`python -m benchmarks.generate --rows 1200000 --out <path>`: a large export, written as it is made."""
    import argparse  # noqa: PLC0415 - only the command line needs it

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument('--rows', type=int, default=1_200_000)
    parser.add_argument('--out', type=Path, required=True, help='where to write it (never in the repo)')
    parser.add_argument('--seed', type=int, default=7)
    args = parser.parse_args(argv)
    size = write_large_export(args.out, args.rows, seed=args.seed)
    print(f'{args.out}: {args.rows:,} rows, {size:,} bytes')


if __name__ == '__main__':
    main()
