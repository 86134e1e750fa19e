"""Adapter from the CSV intelligence (`loyalty_import.inspection`) to what the importer needs.

Keeps the importer independent of the inspection's internals: it gets an `InspectionOutcome`, or
a `FileRefused` carrying the refusal's code and merchant-facing message. A `review` decision is
never imported on its own: its outcome carries a `Review` (the proposal, the choices, the reasons
and what the review page shows), and the importer asks a person.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from loyalty_import.masking import mask_email
from loyalty_import.pipeline.errors import FileRefused
from loyalty_import.pipeline.models import (
    ColumnChoice,
    InspectionOutcome,
    MappingSummary,
    Overrides,
    Review,
    ReviewColumn,
    ReviewFile,
    ReviewReason,
)

if TYPE_CHECKING:
    from loyalty_import.inspection import Inspection
    from loyalty_import.inspection.models import ColumnReport, ValidationSummary


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


def inspect_file(
    data: bytes, overrides: Overrides, points_names: str = '', *, recheck_content: bool = False
) -> InspectionOutcome:
    """The inspection's mapping and upload (with a `review` when a person must decide); FileRefused
    for a refusal.

    `points_names`: what the program calls its points, comma-separated (template PointsNames).
    `recheck_content`: the overrides are a remembered layout's; their columns' content must pass.
    """
    from loyalty_import.inspection import Decision, Refusal, inspect_csv  # noqa: PLC0415 - on first file

    try:
        inspection = inspect_csv(
            data,
            email_column=overrides.email_column,
            points_column=overrides.points_column,
            points_names=tuple(name.strip() for name in points_names.split(',') if name.strip()),
            recheck_content=recheck_content,
        )
    except Refusal as refusal:
        raise FileRefused(str(refusal.code), refusal.message, list(refusal.candidates)) from refusal
    review = review_of(inspection, size=len(data)) if inspection.decision is not Decision.AUTO else None
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
        review=review,
        header=[column.name for column in inspection.columns] if inspection.has_header else None,
    )


PREVIEW_ROWS = 5


def review_of(inspection: Inspection, *, size: int) -> Review:
    """What a person is asked: the proposal, the choices, the reasons, and what the page shows."""
    choices = {str(role): list(columns) for role, columns in inspection.choices.items()}
    normalized = inspection.normalized
    email_at = normalized.email_index
    rows = [
        [mask_email(cell) if index == email_at else cell for index, cell in enumerate(row)]
        for row in normalized.sample_rows[:PREVIEW_ROWS]
    ]
    return Review(
        email_column=inspection.mapping.email,
        points_column=inspection.mapping.points,
        choices=choices,
        reasons=[ReviewReason(code=str(r.code), message=r.message) for r in inspection.reasons],
        columns=[_review_column(c, choices) for c in _shown_columns(inspection, choices)],
        file=ReviewFile(
            size=size,
            rows=inspection.rows,
            encoding=inspection.encoding,
            delimiter=inspection.delimiter,
            has_header=inspection.has_header,
        ),
        findings=findings(inspection.validation),
        preview_header=[str(cell) for cell in normalized.header],
        preview_rows=rows,
        header=[c.name for c in inspection.columns] if inspection.has_header else None,
    )


def _shown_columns(inspection: Inspection, choices: dict[str, list[int]]) -> list[ColumnReport]:
    """The columns a person can choose from: the first MAX_RECORDED_COLUMNS and every candidate
    (the record must stay far below DynamoDB's 400 KB for a 5,000-column file)."""
    candidates = {column for columns in choices.values() for column in columns}
    return [
        column
        for position, column in enumerate(inspection.columns)
        if position < MAX_RECORDED_COLUMNS or column.index in candidates
    ]


def _review_column(column: ColumnReport, choices: dict[str, list[int]]) -> ReviewColumn:
    masked = list(dict.fromkeys(mask_email(value) if '@' in value else value for value in column.samples))
    return ReviewColumn(
        index=column.index,
        name=column.name,
        kind=column.kind,
        samples=masked,
        why=column.why,
        candidate_for=[role for role, columns in choices.items() if column.index in columns],
    )


_FINDINGS = {
    'BLANK_EMAIL': 'without an email',
    'INVALID_EMAIL': 'with an invalid email',
    'DUPLICATE_EMAIL': 'repeating an email',
    'BLANK_POINTS': 'without a points value',
    'NEGATIVE_POINTS': 'with negative points',
    'NON_INTEGER_POINTS': 'with points that are not whole numbers',
    'OVERFLOW_POINTS': 'with points too large for Wix',
    'RAGGED_ROW': 'with more or fewer cells than the header',
    'FORMULA_CELL': 'with a cell that starts like a spreadsheet formula',
    'OVERSIZED_CELL': 'with an oversized cell',
}


def findings(validation: ValidationSummary) -> list[str]:
    """The pre-flight findings in words: '2 rows with an invalid email (lines 4, 9)'."""
    found = []
    for issue in validation.issues:
        lines = ', '.join(str(example.line) for example in issue.examples[:5])
        what = _FINDINGS.get(str(issue.kind), str(issue.kind).lower())
        rows = 'row' if issue.count == 1 else 'rows'
        found.append(f'{issue.count:,} {rows} {what}' + (f' (lines {lines})' if lines else ''))
    return found
