"""Undo with one drop: an import's undo file, dropped under the incoming prefix, sets its customers
back to the balances they had just before that import.

The snapshot writes the undo file (`<results><path>.<importId>.undo.csv`) with S3 user metadata
`undo-of: <pk of the import>` and records the SHA-256 of its bytes on that import (`undoSha256`).
A copy keeps both: `aws s3 cp` and CopyObject keep user metadata, and `loyalty-import undo` copies it
beside the original drop (`<original key>.<importId>.undo.csv`).

The importer recognises an undo only when the import the metadata names exists, ended IMPORTED and
its undo file has exactly the dropped bytes. Then, and only then, the file skips the two guards an
undo trips by nature: the balance-shift check (restoring moves balances back, often by a lot) and
the ALREADY_IMPORTED check (its balances may be ones imported earlier), unless the same undo was
already imported. A file merely claiming `undo-of` gets every guard. An undo is snapshotted like
any import, so it has an undo file of its own.

What an undo cannot do: delete the accounts the original import created (customers with no account
in the snapshot). They are listed in the undo's report and keep their balance.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING
from urllib.parse import quote, unquote

from loyalty_import.pipeline.guards import balances
from loyalty_import.pipeline.models import ImportRecord, RecordStatus
from loyalty_import.pipeline.observability import logger

if TYPE_CHECKING:  # transitions imports notifications, which imports this module
    from loyalty_import.pipeline.ports import RecordStore, Storage
    from loyalty_import.pipeline.transitions import Change

UNDO_OF_METADATA = 'undo-of'
# S3 user metadata travels as HTTP headers: ASCII only, so the pk (a key may hold any character) is
# percent-encoded; an ASCII pk reads as itself.
_SAFE = ":/#@+=,;!$&'()*~"


def metadata_for(record: ImportRecord) -> dict[str, str]:
    """The user metadata the undo file of `record` is written (and copied) with."""
    return {UNDO_OF_METADATA: quote(record.pk, safe=_SAFE)}


def claimed_original(metadata: Mapping[str, str]) -> str | None:
    """The pk the object's `undo-of` metadata names, if any (not yet checked)."""
    lowered = {name.lower(): value.strip() for name, value in metadata.items()}
    value = lowered.get(UNDO_OF_METADATA)
    return unquote(value) if value else None


def why_not_an_undo(original: ImportRecord | None, claimed: str, sha256: str) -> str | None:
    """Why a file whose metadata says `undo-of: <claimed>` is not that import's undo (None: it is)."""
    if original is None:
        return f'no import {claimed} in the imports table'
    if original.status is not RecordStatus.IMPORTED:
        return f'the import {claimed} ended {original.status.value}, not IMPORTED'
    if original.undo_file is None or original.undo_sha256 is None:
        return f'the import {claimed} kept no undo file'
    if original.undo_sha256 != sha256:
        return f'the file is not the undo file of {claimed} ({original.undo_file}): its bytes differ'
    return None


def recognised_original(
    metadata: Mapping[str, str], sha256: str, records: RecordStore
) -> ImportRecord | None:
    """The import this file is the undo of, or None (no claim, or a claim that does not hold)."""
    claimed = claimed_original(metadata)
    if claimed is None:
        return None
    original = records.get(claimed) if claimed.startswith('s3://') else None
    reason = why_not_an_undo(original, claimed, sha256)
    if reason is not None:
        logger.warning('undo-of metadata ignored: every check applies', reason=reason)
        return None
    logger.info('the file is the undo file of an earlier import', undo_of=claimed)
    return original


def file_name_of(pk: str) -> str:
    """'s3://bucket/incoming/acme/b.csv#v1' -> 'b.csv'."""
    uri = pk.rpartition('#')[0] or pk
    return uri.rsplit('/', 1)[-1]


def restores(pk: str) -> str:
    """What an undo's verification compared Wix with (the record's `verification.restores`)."""
    return f'the balances before {file_name_of(pk)} (its snapshot)'


def kept_accounts(original: ImportRecord, storage: Storage) -> list[str]:
    """The emails the original import gave an account: in its upload, not in its snapshot (the
    undo file), not refused by Wix (its error file)."""
    if original.upload_file is None or original.undo_file is None:
        return []
    uploaded = dict(_pairs(storage, original.upload_file))
    had_account = {email for email, _ in _pairs(storage, original.undo_file)}
    failed: set[str] = set()
    if original.error_file:
        bucket, key = balances.parse_s3_uri(original.error_file)
        content = storage.read(bucket, key, None, max_bytes=balances.MAX_RESULT_FILE_BYTES).content
        failed = balances.failed_emails(content)
    return [email for email in uploaded if email not in had_account and email not in failed]


def _pairs(storage: Storage, uri: str) -> list[balances.Pair]:
    bucket, key = balances.parse_s3_uri(uri)
    stored = storage.read(bucket, key, None, max_bytes=balances.MAX_RESULT_FILE_BYTES)
    return balances.read_csv(stored.content)


def report(record: ImportRecord, original: ImportRecord, kept: list[str]) -> str:
    """The undo report: what the undo restores, and the accounts it cannot take away."""
    lines = [
        f'Undo file: {record.source_uri}',
        f'Undoes: {original.source_uri} (Wix import {original.wix_import_id or "-"})',
        'Restores: the balances the customers that had an account held before that import',
        f'({original.undo_file}).',
        '',
    ]
    if not kept:
        lines.append('Every customer that import set had an account before it: nothing is left behind.')
    else:
        lines += [
            f'{len(kept)} customers had no loyalty account before that import; it created theirs.',
            'Accounts cannot be deleted: these keep their account and the balance that import set,',
            'unless a person changes it in the Wix dashboard:',
            *kept,
        ]
    return '\n'.join(lines) + '\n'


def undo_recognised(original: ImportRecord, *, report_file: str, kept: int) -> Change:
    """The record is the undo of `original`: its pk, the report, how many accounts stay."""
    pk = original.pk

    def change(record: ImportRecord) -> None:
        record.undo_of = pk
        record.undo_report = report_file
        record.accounts_kept = kept

    return change


def kept_sentence(record: ImportRecord) -> str | None:
    """The notification's line on the accounts an undo cannot take away (None: not an undo)."""
    if record.undo_of is None:
        return None
    original = file_name_of(record.undo_of)
    if not record.accounts_kept:
        return f'Undo of {original}: every customer it set had an account before it.'
    return (
        f'Undo of {original}: {record.accounts_kept} customers had no account before it and got one from '
        'it; accounts cannot be deleted, so they keep that balance unless a person changes it '
        f'(listed in {record.undo_report}).'
    )
