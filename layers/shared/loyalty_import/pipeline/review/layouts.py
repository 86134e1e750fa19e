"""Mapping memory: a mapping a person approved, remembered for its layout under its folder.

A layout is the exact header of the file (cells as the inspection read them) under one incoming
folder (`incoming/` or `incoming/shop-a/`): another shop's folder, or one renamed, added or moved
column, is another layout. A file of a remembered layout is inspected again with the remembered
columns as overrides whose content must still pass (`recheck_content`): changed content asks again.
Headerless files have no layout and are never remembered.
"""

from __future__ import annotations

import datetime as dt
import hashlib

from loyalty_import.pipeline.models import ImportRecord, RememberedLayout

LAYOUT_ID_CHARS = 16


def folder_of(key: str) -> str:
    """'incoming/shop-a/balances.csv' -> 'incoming/shop-a/'."""
    head, slash, _ = key.rpartition('/')
    return f'{head}{slash}'


def layout_id(prefix: str, header: list[str]) -> str:
    canonical = '\x1e'.join([prefix, *header])
    return hashlib.sha256(canonical.encode('utf-8')).hexdigest()[:LAYOUT_ID_CHARS]


def approved_reason(layout: RememberedLayout) -> str:
    return f'approved for this layout on {layout.approved_at:%Y-%m-%d}'


def remembered(
    record: ImportRecord, email_column: int, points_column: int, *, at: dt.datetime
) -> RememberedLayout | None:
    """The layout to remember for this record's approved mapping (None: the file has no header)."""
    review = record.review
    if review is None or review.header is None or review.layout_id is None or review.layout_prefix is None:
        return None
    header = review.header
    return RememberedLayout(
        layout_id=review.layout_id,
        prefix=review.layout_prefix,
        header=header,
        email_column=email_column,
        points_column=points_column,
        email_name=header[email_column] if email_column < len(header) else '',
        points_name=header[points_column] if points_column < len(header) else '',
        approved_at=at,
        approved_from=record.pk,
        file_name=record.file_name,
    )
