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


# The pre-flight summary is stored in the import's DynamoDB item (400 KB at most) and sent in its
# notification: a 5,000-column file must not make either impossible to write.
MAX_RECORDED_COLUMNS = 50


def bounded_preflight(summary: dict[str, Any]) -> dict[str, Any]:
    """The inspection summary with its per-column list cut to the chosen columns and the first others.

    The normalized file's header and sample rows are left out: the record keeps them once already
    (`expectedHeader`, `expectedSampleRows`), and with long text cells two copies overflow the item.
    """
    normalized = summary.get('normalized')
    if isinstance(normalized, dict):
        summary = {
            **summary,
            'normalized': {k: v for k, v in normalized.items() if k not in {'header', 'sample_rows'}},
        }
    columns = summary.get('columns')
    if not isinstance(columns, list) or len(columns) <= MAX_RECORDED_COLUMNS:
        return summary
    chosen = [column for column in columns if isinstance(column, dict) and column.get('role')]
    others = [column for column in columns if not (isinstance(column, dict) and column.get('role'))]
    kept = chosen + others[: MAX_RECORDED_COLUMNS - len(chosen)]
    return {**summary, 'columns': kept, 'columns_omitted': len(columns) - len(kept)}


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
        preflight=bounded_preflight(inspection.to_json_dict()),
        normalized_content=normalized.content,
        normalized_header=[str(cell) for cell in normalized.header],
    )
