"""The fingerprint of a file's balances: the same email/points pairs, however the file is exported."""

from __future__ import annotations

import hashlib

from loyalty_import.pipeline.guards.balances import pairs_from_normalized
from loyalty_import.pipeline.guards.fingerprints import content_fingerprint
from loyalty_import.pipeline.models import Overrides
from loyalty_import.pipeline.steps.inspection import inspect_file

BALANCES = [
    ('ann@example.com', 120),
    ('bob@example.com', 45),
    ('cid@example.com', 0),
    ('dee@example.com', 980),
]


def fingerprint_of(data: bytes) -> str:
    """Through the real inspection, as the importer computes it (normalized content and indexes)."""
    inspection = inspect_file(data, Overrides())
    mapping = inspection.mapping
    pairs = pairs_from_normalized(inspection.normalized_content, mapping.email_index, mapping.points_index)
    return content_fingerprint(pairs)


def export(rows: list[tuple[str, int]]) -> bytes:
    lines = ['Customer ID,Email,First name,Points balance']
    lines += [f'{100 + n},{email},Name{n},{points}' for n, (email, points) in enumerate(rows)]
    return ('\r\n'.join(lines) + '\r\n').encode()


def test_a_re_export_with_columns_reordered_has_the_same_fingerprint() -> None:
    # GIVEN the same balances exported with the columns in another order
    reordered = ['Points balance,First name,Email'] + [
        f'{points},Name{n},{email}' for n, (email, points) in enumerate(BALANCES)
    ]
    # THEN both files have one fingerprint
    assert fingerprint_of(export(BALANCES)) == fingerprint_of('\n'.join(reordered).encode())


def test_other_rows_order_case_encoding_delimiter_and_columns_keep_the_fingerprint() -> None:
    # GIVEN the same balances: rows reversed, emails upper-cased, ';' in cp1252, another extra column
    lines = ['E-mail;Points balance;Ville'] + [
        f'{email.upper()};{points};Montréal' for email, points in reversed(BALANCES)
    ]
    other = '\r\n'.join(lines).encode('cp1252')
    # THEN the fingerprint is the same
    assert fingerprint_of(other) == fingerprint_of(export(BALANCES))


def test_other_balances_have_another_fingerprint() -> None:
    changed = [*BALANCES[:-1], ('dee@example.com', 981)]
    assert fingerprint_of(export(changed)) != fingerprint_of(export(BALANCES))
    assert fingerprint_of(export(BALANCES[:-1])) != fingerprint_of(export(BALANCES))


def test_the_fingerprint_is_sha256_of_the_sorted_distinct_pairs() -> None:
    normalized = b'email,points\r\nBob@Example.com,20\r\nann@example.com, 10\r\nbob@example.com,20\r\n\r\n'
    expected = hashlib.sha256(b'ann@example.com\t10\nbob@example.com\t20\n').hexdigest()
    assert content_fingerprint(pairs_from_normalized(normalized, 0, 1)) == expected
