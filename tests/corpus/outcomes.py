"""What the inspection engine did with one input, reduced to plain, JSON-able facts.

Both the in-process tests and the guarded child process (`inspect_child`) use this, so a verdict
reads the same whichever way the input was run. The engine is imported lazily: the child caps its
memory before anything large is imported.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

REPO_ROOT = Path(__file__).resolve().parents[2]
CONTRACT_PATH = REPO_ROOT / 'tests' / 'fixtures' / 'shared' / 'wix' / 'loyalty-imports-contract.json'
PLAIN_INTEGER = re.compile(r'-?\d+')


@dataclass(frozen=True)
class WixLimits:
    max_file_bytes: int
    max_header_columns: int
    max_cell_chars: int

    @classmethod
    def from_contract(cls, path: Path = CONTRACT_PATH) -> WixLimits:
        contract: dict[str, Any] = json.loads(path.read_text(encoding='utf-8'))
        return cls(
            max_file_bytes=int(contract['max_file_bytes']),
            max_header_columns=int(contract['max_header_columns']),
            max_cell_chars=int(contract['max_cell_chars']),
        )


@dataclass
class Outcome:
    kind: Literal['mapping', 'refusal', 'error']
    email: int | None = None
    points: int | None = None
    code: str | None = None
    message: str = ''
    # For a mapping: 'auto' (imported on its own) or 'review' (a proposal a person must confirm).
    decision: str = ''
    # Problems with the shape of the answer (to_dict / to_json_dict / normalized file).
    problems: list[str] = field(default_factory=list)
    # Lower-cased JSON of to_json_dict()['validation'], to look for the words in.
    validation_text: str = ''
    # Non-ASCII source cells (names, cities) not found intact in the normalized file: a wrong decoding.
    missing_texts: list[str] = field(default_factory=list)

    @property
    def imports(self) -> bool:
        """Whether the product would import the file on its own with this mapping."""
        return self.kind == 'mapping' and self.decision == 'auto'

    def describe(self) -> str:
        if self.kind == 'mapping':
            return f'{self.decision} mapping EMAIL={self.email} POINTS={self.points}'
        if self.kind == 'refusal':
            return f'refusal {self.code}: {self.message[:160]}'
        return f'error {self.code}: {self.message[:300]}'

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> Outcome:
        return cls(**json.loads(text))


def inspect_bytes(
    data: bytes,
    checks: list[tuple[str, int]],
    limits: WixLimits,
    *,
    email_column: str | int | None = None,
    points_column: str | int | None = None,
    texts: list[str] | None = None,
) -> Outcome:
    """Run the engine once; never let anything but a `Refusal` escape as anything but an 'error'."""
    from loyalty_import.inspection import Refusal, inspect_csv  # noqa: PLC0415 - the child caps memory first

    try:
        inspection = inspect_csv(data, email_column=email_column, points_column=points_column)
    except Refusal as refusal:
        outcome = Outcome(kind='refusal', code=str(refusal.code), message=str(refusal.message))
        as_dict = refusal.to_dict()
        if set(as_dict) != {'code', 'message', 'candidates'}:
            outcome.problems.append(f'Refusal.to_dict() keys are {sorted(as_dict)}')
        if not str(refusal.message).strip():
            outcome.problems.append('the refusal has no message for the merchant')
        return outcome
    except Exception as exc:  # noqa: BLE001 - any other exception is the failure being reported
        return Outcome(kind='error', code=type(exc).__name__, message=str(exc))

    outcome = Outcome(
        kind='mapping',
        email=inspection.mapping.email,
        points=inspection.mapping.points,
        decision=str(inspection.decision),
    )
    try:
        as_json = inspection.to_json_dict()
        json.dumps(as_json)  # the CLI prints it: it must serialize
        if as_json.get('mapping') != {'EMAIL': outcome.email, 'POINTS': outcome.points}:
            outcome.problems.append(f"to_json_dict()['mapping'] is {as_json.get('mapping')!r}")
        outcome.validation_text = json.dumps(as_json.get('validation'), ensure_ascii=False).lower()
        normalized = inspection.normalized
        outcome.problems.extend(
            normalized_problems(
                normalized.content, normalized.email_index, normalized.points_index, checks, limits
            )
        )
        decoded = normalized.content.decode('utf-8', errors='replace')
        outcome.missing_texts = [text for text in texts or [] if text not in decoded]
    except Exception as exc:  # noqa: BLE001 - a broken result object is reported, not raised
        outcome.problems.append(f'reading the result raised {type(exc).__name__}: {exc}')
    return outcome


def normalized_problems(
    content: bytes, email_index: int, points_index: int, checks: list[tuple[str, int]], limits: WixLimits
) -> list[str]:
    """What is wrong with the bytes that would be uploaded to Wix, judged against the contract."""
    problems: list[str] = []
    if len(content) > limits.max_file_bytes:
        problems.append(f'normalized file is {len(content)} bytes, over {limits.max_file_bytes}')
    if content.startswith((b'\xef\xbb\xbf', b'\xff\xfe', b'\xfe\xff')):
        problems.append('normalized file starts with a BOM')
    try:
        text = content.decode('utf-8')
    except UnicodeDecodeError as exc:
        return [*problems, f'normalized file is not UTF-8: {exc}']
    rows = list(csv.reader(io.StringIO(text, newline='')))
    if not rows:
        return [*problems, 'normalized file is empty']
    widest = max(len(row) for row in rows)
    if widest > limits.max_header_columns:
        problems.append(f'normalized file has {widest} columns, over {limits.max_header_columns}')
    longest = max((len(cell) for row in rows for cell in row), default=0)
    if longest > limits.max_cell_chars:
        problems.append(f'normalized file has a {longest}-character cell, over {limits.max_cell_chars}')
    if max(email_index, points_index) >= len(rows[0]) or email_index == points_index:
        return [
            *problems,
            f'normalized indexes {email_index}/{points_index} do not fit header {rows[0][:8]!r}',
        ]
    return problems + _balance_problems(rows[1:], email_index, points_index, checks)


def _balance_problems(
    body: list[list[str]], email_index: int, points_index: int, checks: list[tuple[str, int]]
) -> list[str]:
    """The expected customers are in the uploaded rows, each with its balance as a plain integer."""
    imported: dict[str, str] = {}
    for row in body:
        if len(row) > max(email_index, points_index):
            imported.setdefault(row[email_index].strip().lower(), row[points_index])
    problems = []
    for email, points in checks:
        cell = imported.get(email)
        if cell is None:
            problems.append(f'normalized file lost {email} (or moved it out of column {email_index})')
        elif not PLAIN_INTEGER.fullmatch(cell) or int(cell) != points:
            problems.append(f'normalized file gives {email} points {cell!r}, expected plain {points}')
    return problems
