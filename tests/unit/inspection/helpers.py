"""Small builders for inspection tests: CSV text from rows, people with accented names."""

# ruff: noqa: RUF001 - names, digits and headers in other scripts are the point of these tests
from __future__ import annotations

import csv
import io

from loyalty_import.inspection import Inspection, inspect_csv

PEOPLE = [
    ('José Núñez', 'jose.nunez@example.com'),
    ('Zoë Müller', 'zoe.muller@example.net'),
    ('Chloé Dubois', 'chloe.dubois@example.org'),
    ('Åsa Lindqvist', 'asa.lindqvist@example.se'),
    ('Ömer Yılmaz', 'omer.yilmaz@example.com'),
    ('Liam Smith', 'liam.smith@example.co.uk'),
    ('Mia Rossi', 'mia.rossi@example.it'),
    ('Noah Cohen', 'noah.cohen@example.co.il'),
    ('Yuki Sato', 'yuki.sato@example.jp'),
    ('Léa Martin', 'lea.martin@example.fr'),
    ('Björn Berg', 'bjorn.berg@example.se'),
    ('Núria Puig', 'nuria.puig@example.es'),
]


def csv_text(rows: list[list[str]], delimiter: str = ',', line_end: str = '\n') -> str:
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator=line_end).writerows(rows)
    return out.getvalue()


def people_rows(columns: list[str], values: dict[str, list[str]] | None = None) -> list[list[str]]:
    """A header plus one row per person; 'name'/'email' come from PEOPLE, others from `values`."""
    values = values or {}
    rows = [columns]
    for i, (name, email) in enumerate(PEOPLE):
        row = []
        for column in columns:
            if column in values:
                row.append(values[column][i % len(values[column])])
            elif 'mail' in column.lower():
                row.append(email)
            else:
                row.append(name)
        rows.append(row)
    return rows


def inspect_rows(rows: list[list[str]], **kwargs: object) -> Inspection:
    return inspect_csv(csv_text(rows).encode('utf-8'), **kwargs)  # type: ignore[arg-type]


BALANCES = ['1200', '0', '350', '15', '4096', '250', '75', '1000', '40', '2210', '5', '860']
REDEEMED = ['300', '20', '0', '150', '900', '12', '7', '400', '100', '0', '33', '61']
