"""What the importer reads from, and writes about, the dropped file (importer-only helpers).

The per-file controls in the object's S3 user metadata, the report beside a refused file, and the
name the file gets at Wix.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

from loyalty_import.pipeline import codes
from loyalty_import.pipeline.errors import FileRefused
from loyalty_import.pipeline.models import ImportRecord, Overrides

EMAIL_COLUMN_METADATA = 'email-column'
POINTS_COLUMN_METADATA = 'points-column'
DRY_RUN_METADATA = 'dry-run'
REIMPORT_METADATA = 'reimport'
_TRUE = {'true', '1', 'yes', 'on'}


def overrides_from_metadata(metadata: Mapping[str, str]) -> tuple[Overrides, bool]:
    """Column overrides and dry run from the object's user metadata (x-amz-meta-email-column, ...)."""
    lowered = {name.lower(): value.strip() for name, value in metadata.items()}

    def column(name: str) -> str | int | None:
        value = lowered.get(name)
        if not value:
            return None
        return int(value) if value.isdigit() else value

    overrides = Overrides(
        email_column=column(EMAIL_COLUMN_METADATA), points_column=column(POINTS_COLUMN_METADATA)
    )
    return overrides, lowered.get(DRY_RUN_METADATA, '').lower() in _TRUE


def reimport_from_metadata(metadata: Mapping[str, str]) -> bool:
    """x-amz-meta-reimport: true: import even balances already imported within the window."""
    lowered = {name.lower(): value.strip().lower() for name, value in metadata.items()}
    return lowered.get(REIMPORT_METADATA, '') in _TRUE


def rejection_report(record: ImportRecord, refusal: FileRefused) -> str:
    lines = [
        f'File: {record.source_uri}',
        f'Version: {record.version_id or record.etag or "-"}',
        'Outcome: REJECTED (nothing was sent to Wix)',
        f'Reason ({refusal.code}): {refusal.message}',
    ]
    if refusal.candidates:
        lines.append(
            'Candidates considered: ' + '; '.join(str(candidate) for candidate in refusal.candidates[:10])
        )
    meaning = codes.info(refusal.code)
    if meaning is not None and meaning.next_steps:  # e.g. ALREADY_IMPORTED: the file is not at fault
        lines += ['', 'What to do:', *meaning.next_steps]
    else:
        lines += [
            '',
            'What to do: fix the file and upload it again, or name the columns with S3 object metadata',
            'x-amz-meta-email-column and x-amz-meta-points-column (header name or 0-based column index).',
        ]
    return '\n'.join(lines) + '\n'


def wix_file_name(record: ImportRecord) -> str:
    """The name the file gets at Wix: the merchant's name plus a tag of this object version.

    The tag tells two versions of `customers.csv` apart in Wix's list, should Wix echo the name; the
    merchant still recognises it. Finding an import an earlier attempt created does not rely on it
    (the upload's `filePath` and the size do: `WixClient.find_created_import`).
    """
    stem = record.file_name[:-4] if record.file_name.lower().endswith('.csv') else record.file_name
    version_tag = hashlib.sha256(record.pk.encode('utf-8')).hexdigest()[:10]
    return f'{stem}.{version_tag}.csv'
