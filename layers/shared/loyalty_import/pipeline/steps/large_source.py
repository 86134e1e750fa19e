"""A source file past MaxFileBytes (and within MaxSourceBytes): read as a stream, reduced to one upload.

The stream goes through `inspection.large.inspect_large`: the head decides the columns, every row
is validated as in a small file, the whole-file checks hold over every row. What it writes is the
upload reduced to EMAIL and POINTS (first and second) and the name columns; if that needs more
than one Wix import, the file is read once more without the names. One part: the importer carries
on with it exactly as with a small file (same inspection of the upload, fingerprint, snapshot,
execute, state machine). More than one: each part becomes its own Wix import, followed on the
one record (steps/parts_create.py, docs/large-files.md).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from loyalty_import.pipeline.errors import FileRefused
from loyalty_import.pipeline.models import ColumnChoice, MappingSummary, Overrides
from loyalty_import.pipeline.observability import logger
from loyalty_import.pipeline.ports import StoredStream
from loyalty_import.pipeline.steps.dropped_file import overrides_from_metadata
from loyalty_import.pipeline.steps.inspection import bounded_preflight

if TYPE_CHECKING:
    from loyalty_import.inspection.large import LargeInspection
    from loyalty_import.inspection.models import RoleChoice
    from loyalty_import.inspection.parts import Part

# The reduced upload names its columns by position: EMAIL first, POINTS second (parts.py).
REDUCED_OVERRIDES = Overrides(email_column=0, points_column=1)


@dataclass(frozen=True)
class ReducedSource:
    """The source's identity (size, SHA-256, metadata) and the one upload it reduces to."""

    content: bytes
    size: int
    sha256: str
    metadata: Mapping[str, str]
    rows: int
    review: str  # why a person would have to decide ('' when none): a large file cannot be reviewed yet
    # What the record and the notification say: the SOURCE's columns as the head chose them (the
    # upload's inspection only sees them named), and the whole file's pre-flight summary.
    mapping: MappingSummary
    preflight: dict[str, Any]
    header: list[str] | None
    # Every part's upload and rows (one, `content`, for a file that fits one Wix import), and the
    # whole file's fingerprint of balances (what a file of several parts claims).
    parts: tuple[bytes, ...] = ()
    part_rows: tuple[int, ...] = ()
    content_fingerprint: str = ''


class _Hashing:
    """The stream's chunks, hashed as they pass (the source's SHA-256 without holding it)."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks
        self.digest = hashlib.sha256()

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self._chunks:
            self.digest.update(chunk)
            yield chunk


def reduce_large(
    open_stream: Callable[[], StoredStream],
    *,
    points_names: str,
    max_file_bytes: int,
    max_source_bytes: int,
) -> ReducedSource:
    """The source reduced to its parts (one upload, or several), or FileRefused (its refusal).

    The columns named in the object's metadata (x-amz-meta-email-column...) are the head's overrides.
    """
    stream = open_stream()
    overrides, _ = overrides_from_metadata(stream.metadata)
    hashing = _Hashing(stream.chunks)
    large, parts = _inspect(
        hashing, overrides, points_names, max_file_bytes, max_source_bytes, keep_names=True
    )
    sha256 = hashing.digest.hexdigest()
    if len(parts) > 1 and large.normalized.header[2:]:
        logger.info('the upload needs several parts with the name columns: reading it again without them')
        large, parts = _inspect(
            iter(open_stream().chunks),
            overrides,
            points_names,
            max_file_bytes,
            max_source_bytes,
            keep_names=False,
        )
    review = ' '.join(reason.message for reason in large.reasons)
    logger.info(
        'large file reduced',
        size=stream.size,
        rows=large.rows,
        parts=len(parts),
        upload_bytes=len(parts[0].content) if parts else 0,
    )
    return ReducedSource(
        content=parts[0].content if parts else b'',
        size=stream.size,
        sha256=sha256,
        metadata=stream.metadata,
        rows=large.rows,
        review=review,
        mapping=_mapping(large),
        preflight=bounded_preflight(
            {**large.to_json_dict(), 'parts': len(parts), 'source_bytes': stream.size}
        ),
        header=[column.name for column in large.columns] if large.has_header else None,
        parts=tuple(part.content for part in parts),
        part_rows=tuple(part.rows for part in parts),
        content_fingerprint=large.content_fingerprint,
    )


def _mapping(large: LargeInspection) -> MappingSummary:
    """The head's choice of source columns; in the upload EMAIL is first and POINTS second."""

    def choice(role: RoleChoice) -> ColumnChoice:
        return ColumnChoice(
            column=role.column, name=role.name, confidence=float(role.confidence), why=role.why
        )

    return MappingSummary(
        email=choice(large.email),
        points=choice(large.points),
        confidence=float(large.confidence),
        email_index=0,
        points_index=1,
    )


def _inspect(
    chunks: Iterator[bytes] | _Hashing,
    overrides: Overrides,
    points_names: str,
    max_file_bytes: int,
    max_source_bytes: int,
    *,
    keep_names: bool,
) -> tuple[LargeInspection, list[Part]]:
    """The large inspection and its parts."""
    from loyalty_import.inspection import Refusal  # noqa: PLC0415 - on the first file, as inspect_file
    from loyalty_import.inspection.large import inspect_large  # noqa: PLC0415

    parts: list[Part] = []
    # Every part is kept (at most MaxSourceBytes / MaxFileBytes of them, about 10 MB each): a file
    # of several parts is imported as several Wix imports (steps/parts_create.py).
    keep = parts.append

    try:
        large = inspect_large(
            chunks,
            sink=keep,
            email_column=overrides.email_column,
            points_column=overrides.points_column,
            points_names=tuple(name.strip() for name in points_names.split(',') if name.strip()),
            max_file_bytes=max_file_bytes,
            max_source_bytes=max_source_bytes,
            keep_names=keep_names,
        )
    except Refusal as refusal:
        raise FileRefused(str(refusal.code), refusal.message, list(refusal.candidates)) from refusal
    return large, parts
