"""The inspection's public models: what the importer, the CLI and the tests read."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict

# Wix's published limits (../shared/wix/loyalty-imports-contract.json); tests check they agree.
MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_COLUMNS = 100
MAX_CELL_CHARS = 1000
MAX_SAMPLE_ROWS = 5
# Wix stores balances as 32-bit integers: a larger value cannot be imported.
MAX_POINTS = 2**31 - 1


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class RefusalCode(StrEnum):
    EMPTY_FILE = 'EMPTY_FILE'
    FILE_TOO_LARGE = 'FILE_TOO_LARGE'
    NOT_A_CSV = 'NOT_A_CSV'
    NO_EMAIL_COLUMN = 'NO_EMAIL_COLUMN'
    NO_POINTS_COLUMN = 'NO_POINTS_COLUMN'
    AMBIGUOUS_EMAIL = 'AMBIGUOUS_EMAIL'
    AMBIGUOUS_POINTS = 'AMBIGUOUS_POINTS'
    TOO_MANY_INVALID_ROWS = 'TOO_MANY_INVALID_ROWS'
    BAD_OVERRIDE = 'BAD_OVERRIDE'
    POINTS_OUT_OF_RANGE = 'POINTS_OUT_OF_RANGE'  # the balances are larger than Wix stores (2**31 - 1)
    NOT_A_BALANCE_FILE = 'NOT_A_BALANCE_FILE'  # most emails repeat: an order or transaction log
    ROW_TOO_LARGE = 'ROW_TOO_LARGE'  # one row is larger than a Wix import can be (a large file's parts)


class Decision(StrEnum):
    """What the inspection decided about a file it could map (a refusal is the third decision)."""

    AUTO = 'auto'  # nothing is left to judge: import it
    REVIEW = 'review'  # a proposal a person must confirm: never imported on its own


class ReviewCode(StrEnum):
    """Why a person must decide (each a `Reason` of a review decision)."""

    NO_HEADER = 'NO_HEADER'  # a role chosen from content alone: headerless file
    HEADER_SILENT = 'HEADER_SILENT'  # the chosen column's header does not name the role
    OTHER_UNIT = 'OTHER_UNIT'  # the balance is in stamps, coins, miles...: not points
    CONTENT_DOUBT = 'CONTENT_DOUBT'  # the values look like something else (flags, IDs, few distinct)
    CONFLICTING_DUPLICATES = 'CONFLICTING_DUPLICATES'  # one email, several balances
    MANY_INVALID_ROWS = 'MANY_INVALID_ROWS'  # a large share of rows cannot be imported
    CLOSE_CALL = 'CLOSE_CALL'  # a runner-up close to the chosen column
    LOOKS_LIKE_CHANGES = 'LOOKS_LIKE_CHANGES'  # a 'Reason' or 'Action' column: points added, not balances?


class Reason(_Frozen):
    code: ReviewCode
    message: str


class Role(StrEnum):
    EMAIL = 'EMAIL'
    POINTS = 'POINTS'


def column_label(name: str, index: int) -> str:
    """How every message names a column: the way overrides take it, header name and 0-based index."""
    if name == f'column {index}':  # a column of a headerless file
        return f'column {index} (counting from 0)'
    return f"'{name}' (column {index}, counting from 0)"


class Candidate(_Frozen):
    """A column that was considered for a role, for a refusal's `candidates`."""

    column: int
    name: str
    confidence: float
    why: str

    def __str__(self) -> str:
        return f'{column_label(self.name, self.column)}: {self.why}'


class Refusal(Exception):  # noqa: N818 - the contract's name: the file is refused, not an error of ours
    """The file cannot be imported safely; `message` is written for the merchant."""

    def __init__(self, code: RefusalCode, message: str, candidates: list[Candidate] | None = None) -> None:
        super().__init__(f'{code}: {message}')
        self.code = code
        self.message = message
        self.candidates = list(candidates or [])

    def to_dict(self) -> dict[str, Any]:
        return {
            'code': str(self.code),
            'message': self.message,
            'candidates': [c.model_dump() for c in self.candidates],
        }


class RunnerUp(_Frozen):
    column: int
    name: str
    confidence: float
    why_lost: str


class RoleChoice(_Frozen):
    column: int
    name: str
    confidence: float
    why: str
    runner_up: RunnerUp | None = None
    overridden: bool = False


class Mapping(_Frozen):
    """0-based columns of the SOURCE file."""

    email: int
    points: int


class ColumnReport(_Frozen):
    index: int
    name: str
    kind: str
    role: Role | None = None
    confidence: float = 0.0
    why: str = ''
    samples: list[str] = []  # its first few distinct non-blank values


class IssueKind(StrEnum):
    """Row problems: blank/invalid emails and blank/negative/non-integer/overflowing points make a row
    unimportable; duplicates, ragged rows, formula-like and oversized cells are warnings.
    """

    BLANK_EMAIL = 'BLANK_EMAIL'
    INVALID_EMAIL = 'INVALID_EMAIL'
    DUPLICATE_EMAIL = 'DUPLICATE_EMAIL'
    BLANK_POINTS = 'BLANK_POINTS'
    NEGATIVE_POINTS = 'NEGATIVE_POINTS'
    NON_INTEGER_POINTS = 'NON_INTEGER_POINTS'
    OVERFLOW_POINTS = 'OVERFLOW_POINTS'
    RAGGED_ROW = 'RAGGED_ROW'
    FORMULA_CELL = 'FORMULA_CELL'
    OVERSIZED_CELL = 'OVERSIZED_CELL'


class Example(_Frozen):
    line: int
    value: str


class Issue(_Frozen):
    kind: IssueKind
    count: int
    examples: list[Example]


class ValidationSummary(_Frozen):
    rows: int
    valid_rows: int
    invalid_rows: int
    issues: list[Issue]

    def count(self, kind: IssueKind) -> int:
        return next((issue.count for issue in self.issues if issue.kind is kind), 0)


class NormalizedFile(_Frozen):
    """The exact bytes to upload to Wix, and the EMAIL/POINTS columns IN THAT FILE."""

    content: bytes
    email_index: int
    points_index: int
    header: list[str]
    sample_rows: list[list[str]]
    unchanged: bool
    dropped_columns: list[int] = []
    merged_rows: int = 0  # repeats of a row (same email, same points) left out of the upload


class Inspection(_Frozen):
    mapping: Mapping
    confidence: float
    encoding: str
    delimiter: str
    has_header: bool
    rows: int
    columns: list[ColumnReport]
    email: RoleChoice
    points: RoleChoice
    validation: ValidationSummary
    normalized: NormalizedFile
    decision: Decision
    # Plausible columns per role, best first (the mapping's first); for a review, what a person picks from.
    choices: dict[Role, list[int]]
    reasons: list[Reason]  # why a person must decide (empty for auto)

    def to_json_dict(self) -> dict[str, Any]:
        """The `loyalty-import inspect --json` schema: everything but the normalized bytes."""
        return {
            'decision': str(self.decision),
            'mapping': {'EMAIL': self.mapping.email, 'POINTS': self.mapping.points},
            'choices': {str(role): columns for role, columns in self.choices.items()},
            'reasons': [reason.model_dump(mode='json') for reason in self.reasons],
            'confidence': self.confidence,
            'encoding': self.encoding,
            'delimiter': self.delimiter,
            'has_header': self.has_header,
            'rows': self.rows,
            'email': self.email.model_dump(),
            'points': self.points.model_dump(),
            'columns': [c.model_dump() for c in self.columns],
            'validation': self.validation.model_dump(),
            'normalized': {
                'unchanged': self.normalized.unchanged,
                'bytes': len(self.normalized.content),
                'mapping': {'EMAIL': self.normalized.email_index, 'POINTS': self.normalized.points_index},
                'header': self.normalized.header,
                'sample_rows': self.normalized.sample_rows,
                'dropped_columns': self.normalized.dropped_columns,
                'merged_rows': self.normalized.merged_rows,
            },
        }
