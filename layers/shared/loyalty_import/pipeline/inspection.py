"""Adapter from the CSV intelligence (`loyalty_import.inspection`) to what the importer needs.

Keeps the importer independent of the inspection's internals: it gets an `InspectionOutcome`, or
a `FileRefused` carrying the refusal's code and merchant-facing message.
"""

from __future__ import annotations

from typing import Any

from loyalty_import.pipeline.errors import FileRefused
from loyalty_import.pipeline.models import ColumnChoice, InspectionOutcome, MappingSummary, Overrides


def _why(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, list | tuple):
        return '; '.join(str(part) for part in value)
    return str(value)


def _choice(role: Any, column: int) -> ColumnChoice:
    return ColumnChoice(
        column=column,
        name=getattr(role, 'name', None),
        confidence=float(getattr(role, 'confidence', 0.0)),
        why=_why(getattr(role, 'why', None)),
    )


def inspect_file(data: bytes, overrides: Overrides) -> InspectionOutcome:
    from loyalty_import.inspection import Refusal, inspect_csv  # noqa: PLC0415 - loaded when a file arrives

    try:
        inspection = inspect_csv(
            data, email_column=overrides.email_column, points_column=overrides.points_column
        )
    except Refusal as refusal:
        raise FileRefused(str(refusal.code), refusal.message, list(refusal.candidates)) from refusal
    normalized = inspection.normalized
    return InspectionOutcome(
        mapping=MappingSummary(
            email=_choice(inspection.email, inspection.mapping.email),
            points=_choice(inspection.points, inspection.mapping.points),
            confidence=float(inspection.confidence),
            email_index=normalized.email_index,
            points_index=normalized.points_index,
        ),
        preflight=inspection.to_json_dict(),
        normalized_content=normalized.content,
        normalized_header=[str(cell) for cell in normalized.header],
        normalized_sample_rows=[[str(cell) for cell in row] for row in normalized.sample_rows],
    )
