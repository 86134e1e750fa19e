"""Adapter from the CSV intelligence (`loyalty_import.inspection`) to what the importer needs.

Keeps the importer independent of the inspection's internals: it gets an `InspectionOutcome`, or
a `FileRefused` carrying the refusal's code and merchant-facing message. A `review` decision is
never imported on its own: until a person can answer it in place, it ends the import as a
`NEEDS_REVIEW` refusal whose message gives the proposal, the choices and the exact metadata that
would import the file.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from loyalty_import.pipeline.codes import ErrorCode
from loyalty_import.pipeline.errors import FileRefused
from loyalty_import.pipeline.models import ColumnChoice, InspectionOutcome, MappingSummary, Overrides
from loyalty_import.pipeline.steps.dropped_file import EMAIL_COLUMN_METADATA, POINTS_COLUMN_METADATA

if TYPE_CHECKING:
    from loyalty_import.inspection import Inspection


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


def inspect_file(data: bytes, overrides: Overrides, points_names: str = '') -> InspectionOutcome:
    """The inspection's mapping and upload; FileRefused for a refusal or a file a person must review.

    `points_names`: what the program calls its points, comma-separated (template PointsNames).
    """
    from loyalty_import.inspection import Decision, Refusal, inspect_csv  # noqa: PLC0415 - on first file

    try:
        inspection = inspect_csv(
            data,
            email_column=overrides.email_column,
            points_column=overrides.points_column,
            points_names=tuple(name.strip() for name in points_names.split(',') if name.strip()),
        )
    except Refusal as refusal:
        raise FileRefused(str(refusal.code), refusal.message, list(refusal.candidates)) from refusal
    if inspection.decision is not Decision.AUTO:
        raise FileRefused(ErrorCode.NEEDS_REVIEW, review_message(inspection))
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


def review_message(inspection: Inspection) -> str:
    """What a person must decide, in words, with the S3 metadata that imports the file as proposed."""
    from loyalty_import.inspection.models import Role  # noqa: PLC0415 - loaded with the inspection

    names = {report.index: report.name for report in inspection.columns}

    def named(columns: list[int]) -> str:
        return ', '.join(f"'{names.get(c, c)}' (column {c})" for c in columns)

    email, points = inspection.email, inspection.points
    lines = [
        'The columns could not be chosen without a person: nothing was sent to Wix.',
        *(f'- {reason.message}' for reason in inspection.reasons),
        (
            f"Proposed: EMAIL = '{email.name}' (column {email.column}), "
            f"POINTS = '{points.name}' (column {points.column}); columns count from 0."
        ),
        f'EMAIL could be: {named(inspection.choices.get(Role.EMAIL, [email.column]))}.',
        f'POINTS could be: {named(inspection.choices.get(Role.POINTS, [points.column]))}.',
        (
            'To import it as proposed, upload the file again with the metadata '
            f'x-amz-meta-{EMAIL_COLUMN_METADATA}={email.column} and '
            f'x-amz-meta-{POINTS_COLUMN_METADATA}={points.column} (or the columns you choose).'
        ),
    ]
    return '\n'.join(lines)
