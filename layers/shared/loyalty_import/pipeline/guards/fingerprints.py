"""No stale re-imports: a fingerprint of the balances a file sets, and which import holds them.

The fingerprint is the SHA-256 of the normalized file's distinct (email lower-cased, points) pairs
in sorted order, so a re-export of the same balances with other columns, another column or row
order, another encoding or delimiter has the same one. It lives in the imports table as an item of
its own beside the records (`ContentClaim`, pk `fingerprint#<sha256>`):

- The importer claims it (IMPORTING, naming its record) before anything is sent to Wix. A claim
  already there refuses the file ALREADY_IMPORTED when its import ended IMPORTED within the window,
  or is still in flight (a second drop of the same balances while the first is importing: refused
  rather than queued, since the first sets exactly these balances).
- A claim whose import ended any other way (FAILED, TIMED_OUT, or REJECTED after the claim) holds
  nothing: the next drop of those balances takes it over, so no ending path has to release it.
- The finalizer marks it IMPORTED with the Wix import id and the date; `expiresAt`, the table's
  TTL, is the end of the window. That write is a courtesy: a claim still IMPORTING whose import
  ended IMPORTED refuses the same way (its record says when), so a lost write changes nothing.

Every write is conditional on the item as it was read, so two importers racing for the same
balances cannot both win, and a retry of the same object version finds its own claim. A dry run
never claims; `x-amz-meta-reimport: true` skips the check but still claims (it is now the import
that holds those balances); so does a recognised undo (`pipeline.guards.undo`), unless the holder is an
undo of the same import (the same undo dropped twice is refused).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

from loyalty_import.pipeline.errors import ConcurrentUpdate, PipelineError
from loyalty_import.pipeline.guards.balances import Pair
from loyalty_import.pipeline.models import ContentClaim, ImportRecord, RecordStatus, utc_now
from loyalty_import.pipeline.observability import logger
from loyalty_import.pipeline.ports import RecordStore
from loyalty_import.pipeline.sites import DEFAULT_SITE

MAX_CLAIM_ATTEMPTS = 5
_DAY_S = 24 * 3600


def content_fingerprint(pairs: Iterable[Pair], site: str = DEFAULT_SITE) -> str:
    """SHA-256 of the sorted distinct (email lower-cased, points) pairs the file sets, on one site.

    `pairs`: `balances.pairs_from_normalized` of the upload, the same pairs the snapshot and the
    verification read (so '0042' and '42' are one balance, and rows Wix refuses do not count).
    `site`: the same balances on another Wix site are other balances (docs/sites.md); the single
    site's fingerprint is the pairs' alone, as before sites existed.
    """
    digest = hashlib.sha256()
    if site != DEFAULT_SITE:
        digest.update(f'site\t{site}\n'.encode())
    for email, points in sorted(set(pairs)):
        digest.update(f'{email}\t{points}\n'.encode())
    return digest.hexdigest()


@dataclass(frozen=True)
class EarlierImport:
    """The import that holds the same balances: why a file is refused ALREADY_IMPORTED."""

    source_uri: str
    wix_import_id: str | None
    at: dt.datetime
    in_flight: bool

    def message(self) -> str:
        when = self.at.astimezone(dt.UTC).strftime('%Y-%m-%d %H:%M UTC')
        wix = f'Wix import {self.wix_import_id}' if self.wix_import_id else 'no Wix import id yet'
        if self.in_flight:
            return (
                f'The same balances (the same email/points pairs) are being imported right now from '
                f'{self.source_uri} (dropped {when}, {wix}); nothing was sent to Wix for this file.'
            )
        return (
            f'The same balances (the same email/points pairs) were already imported from '
            f'{self.source_uri} on {when} ({wix}); nothing was sent to Wix for this file. Importing '
            'them again would set every balance back to what this file says.'
        )


def _expiry(at: dt.datetime, window_days: int) -> int:
    return int(at.timestamp()) + window_days * _DAY_S


def claim(
    record: ImportRecord,
    fingerprint: str,
    *,
    records: RecordStore,
    now: dt.datetime,
    window_days: int,
    reimport: bool = False,
    undo_of: str | None = None,
) -> EarlierImport | None:
    """Claim the record's balances before they go to Wix; the import that already holds them, if any.

    Returns None once the claim is written (nothing else holds them, or `reimport`, or the record is
    a recognised undo of `undo_of` and the holder is not an undo of that same import); otherwise
    the earlier import, and nothing is written.
    """
    mine = _claim_of(record, fingerprint, RecordStatus.IMPORTING, now, window_days)
    for _ in range(MAX_CLAIM_ATTEMPTS):
        existing = records.get_claim(fingerprint)
        if existing is not None and not reimport and existing.source_id != record.pk:
            earlier = _holder(existing, records, now)
            if earlier is not None and not _undo_passes(existing, undo_of, records):
                return earlier
        if records.put_claim(mine, replacing=existing):
            logger.info('balances claimed', fingerprint=fingerprint, reimport=reimport)
            return None
    raise ConcurrentUpdate(f'the claim on {fingerprint} kept changing; giving up')


def _undo_passes(existing: ContentClaim, undo_of: str | None, records: RecordStore) -> bool:
    """A recognised undo passes the holder, unless the holder is the same undo imported already."""
    if undo_of is None:
        return False
    holder = records.get(existing.source_id)
    return holder is None or holder.undo_of != undo_of


def _holder(existing: ContentClaim, records: RecordStore, now: dt.datetime) -> EarlierImport | None:
    """The import a claim stands for, if it holds the balances (imported in the window, or in flight)."""
    if existing.expires_at <= now.timestamp():
        return None  # past the window (DynamoDB's TTL deletes items late)
    if existing.status is RecordStatus.IMPORTED:
        return EarlierImport(existing.source_uri, existing.wix_import_id, existing.at, in_flight=False)
    holder = records.get(existing.source_id)
    if holder is None:
        return None
    if holder.status is RecordStatus.IMPORTED:  # the finalizer's mark was lost: the record says
        return EarlierImport(
            holder.source_uri, holder.wix_import_id, holder.finished_at or existing.at, in_flight=False
        )
    if holder.is_final:
        return None  # it ended without importing: nothing holds the balances
    return EarlierImport(holder.source_uri, holder.wix_import_id, existing.at, in_flight=True)


def mark_imported(record: ImportRecord, *, records: RecordStore, window_days: int) -> None:
    """Mark an IMPORTED record's balances imported (its Wix import id, its end). Never raises:
    a claim still IMPORTING whose record ended IMPORTED refuses the same balances just the same."""
    fingerprint = record.content_fingerprint
    if record.status is not RecordStatus.IMPORTED or fingerprint is None or record.dry_run:
        return
    at = record.finished_at or utc_now()
    mine = _claim_of(record, fingerprint, RecordStatus.IMPORTED, at, window_days)
    try:
        for _ in range(MAX_CLAIM_ATTEMPTS):
            existing = records.get_claim(fingerprint)
            if existing == mine:
                return  # a repeat of this finalizer
            if _held_by_a_later_import(existing, mine):
                return
            if records.put_claim(mine, replacing=existing):
                logger.info('imported balances recorded', fingerprint=fingerprint)
                return
        logger.warning('the claim on these balances kept changing; left as it is', fingerprint=fingerprint)
    except PipelineError:
        logger.exception('could not mark the balances imported; the claim still refuses them')


def _claim_of(
    record: ImportRecord, fingerprint: str, status: RecordStatus, at: dt.datetime, window_days: int
) -> ContentClaim:
    """This record's claim on the balances: in flight (the importer) or imported (the finalizer)."""
    return ContentClaim(
        pk=ContentClaim.key(fingerprint),
        fingerprint=fingerprint,
        source_id=record.pk,
        source_uri=record.source_uri,
        status=status,
        at=at,
        expires_at=_expiry(at, window_days),
        wix_import_id=record.wix_import_id if status is RecordStatus.IMPORTED else None,
    )


def _held_by_a_later_import(existing: ContentClaim | None, mine: ContentClaim) -> bool:
    """Another import of the same balances whose window ends later (a re-import, a later drop)."""
    return (
        existing is not None
        and existing.source_id != mine.source_id
        and existing.expires_at > mine.expires_at
    )
