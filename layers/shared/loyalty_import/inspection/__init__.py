"""CSV intelligence: decode any real export, infer EMAIL and POINTS, validate every row, normalize.

inspection = inspect_csv(data, email_column=None, points_column=None)   # raises Refusal
inspection.decision: 'auto' (import it) or 'review' (a person confirms `mapping` or picks from `choices`)
"""

from __future__ import annotations

import codecs
import csv
import gc
import io
from collections import Counter
from dataclasses import dataclass

from loyalty_import.inspection.causes import refuse_out_of_range, refuse_unterminated_quote
from loyalty_import.inspection.decision import decide
from loyalty_import.inspection.decoding import Encoding, detect_encoding, pick_legacy
from loyalty_import.inspection.dialect import Dialect, refuse_other_formats, sample_text, sniff
from loyalty_import.inspection.header import count_preamble, is_header
from loyalty_import.inspection.inference import Evidence, analyse, choose, column_name
from loyalty_import.inspection.models import (
    MAX_CELL_CHARS,
    MAX_COLUMNS,
    MAX_FILE_BYTES,
    ColumnReport,
    Decision,
    Inspection,
    Issue,
    IssueKind,
    Mapping,
    NormalizedFile,
    Refusal,
    RefusalCode,
    Role,
    RoleChoice,
    ValidationSummary,
    column_label,
)
from loyalty_import.inspection.normalize import (
    cells_hold_no_comma,
    cells_hold_no_quote,
    columns_to_keep,
    output_header,
    reduced_content,
)
from loyalty_import.inspection.repeats import find_repeats
from loyalty_import.inspection.validation import (
    FormulaStarts,
    PassPlan,
    PassResult,
    RowReader,
    count_formula_starts,
    formula_scan,
    has_line_longer_than,
    refusal_rows,
    run_pass,
)

__all__ = [
    'MAX_FILE_BYTES',
    'Decision',
    'Inspection',
    'Refusal',
    'RefusalCode',
    'ValidationSummary',
    'inspect_csv',
]

# Inference reads at most this many rows and cells (a 5,000-column file gets fewer rows).
_HEAD_ROWS = 300
_HEAD_CELLS = 200_000
_SNIFF_BYTES = 1024 * 1024 + 4
_DECODE_CHUNK = 128 * 1024
_CP1252_ONLY = bytes(range(0x80, 0xA0))  # the bytes cp1252 reads differently from latin-1
_ESTIMATE_BYTES = 256 * 1024  # how much of the head projects the size of the rewrite


class _NotUtf8(Exception):  # noqa: N818 - control flow: restart with a legacy code page
    pass


def inspect_csv(
    data: bytes,
    *,
    email_column: str | int | None = None,
    points_column: str | int | None = None,
    max_file_bytes: int = MAX_FILE_BYTES,
    points_names: tuple[str, ...] = (),
    recheck_content: bool = False,
) -> Inspection:
    """Inspect `data`; raise Refusal when it cannot be imported safely.

    `points_names`: what this program calls its points ('Stars'): headers with them name points.
    `recheck_content`: the overrides come from a remembered approval of this layout, not from a
    person looking at this file: their columns' content must still pass (changed content asks again).
    """
    if len(data) > max_file_bytes:
        raise Refusal(
            RefusalCode.FILE_TOO_LARGE,
            f'The file is {len(data):,} bytes; Wix imports at most {max_file_bytes:,}. '
            'Split it into smaller files.',
        )
    if not data or data.isspace():
        raise Refusal(RefusalCode.EMPTY_FILE, 'The file is empty.')
    encoding = detect_encoding(data)
    if csv.field_size_limit() < len(data) + 1:
        csv.field_size_limit(len(data) + 1)  # a 2 MB cell is parsed (then dropped), not an error
    # The pass allocates a list per row and creates no reference cycles: pausing the cyclic GC
    # saves its repeated scans of those young lists (about a tenth of the pass).
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _inspect(
            data,
            encoding,
            (email_column, points_column),
            max_file_bytes,
            points_names,
            recheck=recheck_content,
        )
    except _NotUtf8:
        legacy = Encoding(pick_legacy(data), 0, ascii_compatible=True)
        return _inspect(
            data, legacy, (email_column, points_column), max_file_bytes, points_names, recheck=recheck_content
        )
    finally:
        if collecting:
            gc.enable()


def _inspect(
    data: bytes,
    encoding: Encoding,
    overrides: tuple[str | int | None, str | int | None],
    max_file_bytes: int,
    points_names: tuple[str, ...],
    *,
    recheck: bool,
) -> Inspection:
    dialect = _sniff(data, encoding)
    newline = b'\r' if dialect.line_end == '\r' else b'\n'
    check_cells = not encoding.ascii_compatible or has_line_longer_than(data, MAX_CELL_CHARS, newline)
    starts = _formula_starts(data, encoding, dialect, check_cells)
    codec = encoding.name
    if codec == 'cp1252' and starts is not None and not starts.c1_bytes:
        # cp1252 and latin-1 differ only on bytes 0x80-0x9f: without them latin-1 decodes the same
        # text (and cannot fail, as cp1252 could not), several times faster than cp1252's table.
        codec = 'latin-1'
    reader = _rows(data, codec, encoding.bom_bytes, dialect)
    try:
        return _inspect_rows(
            _Source(data, encoding, codec, dialect, reader),
            check_cells=check_cells,
            formula_starts=starts,
            overrides=overrides,
            max_file_bytes=max_file_bytes,
            points_names=points_names,
            recheck_content=recheck,
        )
    except UnicodeDecodeError as exc:
        if encoding.name == 'utf-8' and not encoding.bom_bytes:
            raise _NotUtf8 from exc
        raise Refusal(RefusalCode.NOT_A_CSV, f'The file is not valid {encoding.name} text.') from exc
    except csv.Error as exc:
        raise Refusal(RefusalCode.NOT_A_CSV, f'The file cannot be read as CSV ({exc}).') from exc


def _formula_starts(
    data: bytes, encoding: Encoding, dialect: Dialect, check_cells: bool
) -> FormulaStarts | None:
    """The byte-level formula counts, taken before the pass when they also settle how to decode it.

    Only for cp1252: the same look tells whether latin-1 may decode the file. Otherwise they are
    taken after the pass, and only when the file holds a sign, '=' or a stray '@' (formula_scan).
    """
    if check_cells or encoding.name != 'cp1252':
        return None  # the pass checks every cell itself, or nothing is gained by counting early
    return count_formula_starts(data, encoding.bom_bytes, dialect.delimiter)


def _rows(data: bytes, codec: str, bom_bytes: int, dialect: Dialect) -> RowReader:
    """csv.reader over the bytes, decoded strictly as it goes (BytesIO shares `data`, no copy)."""
    stream = io.BytesIO(data)
    stream.seek(bom_bytes)
    text = io.TextIOWrapper(stream, encoding=codec, errors='strict', newline='')
    text._CHUNK_SIZE = _DECODE_CHUNK  # type: ignore[attr-defined]  # fewer, larger decode steps
    return csv.reader(text, delimiter=dialect.delimiter)


def _sniff(data: bytes, encoding: Encoding) -> Dialect:
    head = data[encoding.bom_bytes : encoding.bom_bytes + _SNIFF_BYTES]
    codec = encoding.name
    if codec == 'cp1252' and len(head.translate(None, _CP1252_ONLY)) == len(head):
        codec = 'latin-1'  # the same text, faster (see _inspect)
    decoder = codecs.getincrementaldecoder(codec)('strict')
    try:
        text = decoder.decode(head, final=len(head) == len(data) - encoding.bom_bytes)
    except UnicodeDecodeError as exc:
        if encoding.name == 'utf-8' and not encoding.bom_bytes:
            raise _NotUtf8 from exc
        raise Refusal(RefusalCode.NOT_A_CSV, f'The file is not valid {encoding.name} text.') from exc
    sample, truncated = sample_text(text)
    refuse_other_formats(sample)
    return sniff(sample, truncated or len(head) < len(data) - encoding.bom_bytes)


def _read_head(reader: RowReader, skip: int) -> tuple[list[tuple[int, list[str]]], bool]:
    """The first rows (with their line numbers) for header detection and inference; blank lines seen?"""
    head: list[tuple[int, list[str]]] = []
    blank = False
    cells = 0
    for _ in range(skip):
        next(reader, None)
    for row in reader:
        line = reader.line_num
        if not row or (len(row) == 1 and not row[0].strip()):
            blank = True
            continue
        head.append((line, row))
        cells += len(row)
        if len(head) >= _HEAD_ROWS or cells >= _HEAD_CELLS:
            break
    return head, blank


@dataclass(frozen=True)
class _Source:
    """The file as read: its bytes, how to decode and split them, and how to re-read its rows."""

    data: bytes
    encoding: Encoding
    codec: str
    dialect: Dialect
    reader: RowReader


@dataclass(frozen=True)
class _Table:
    """What the head of the file says about its shape."""

    header: list[str] | None
    body: list[tuple[int, list[str]]]  # the head's data rows, with their line numbers
    width: int
    preamble: int  # title lines above the table
    blank_lines: bool

    @property
    def skip_rows(self) -> int:
        return self.preamble + (self.header is not None)


def _inspect_rows(
    source: _Source,
    *,
    check_cells: bool,
    formula_starts: FormulaStarts | None,
    overrides: tuple[str | int | None, str | int | None],
    max_file_bytes: int,
    points_names: tuple[str, ...],
    recheck_content: bool = False,
) -> Inspection:
    table = _table(source)
    evidence = analyse(table.header, [row for _, row in table.body], table.width, points_names)
    email, points = _roles(table, evidence, *overrides)
    plan = _pass_plan(source, table, evidence, email, points, check_cells=check_cells)
    if plan.write and _may_outgrow(
        source.data, source.codec, source.encoding, source.dialect, max_file_bytes
    ):
        plan.narrow = [c for c in plan.keep if c in (email.column, points.column)]
    result = _validated(source, table, plan, email, points)
    content = source.data if result.content is None else result.content
    if len(content) > max_file_bytes:
        result = _reduced(
            source.data,
            source.codec,
            source.encoding,
            source.dialect,
            skip_rows=table.skip_rows,
            plan=plan,
            result=result,
        )
        content = result.content or b''
        if len(content) > max_file_bytes:
            raise Refusal(
                RefusalCode.FILE_TOO_LARGE, 'Even reduced to EMAIL and POINTS, the file is too large for Wix.'
            )
    summary = result.summary()
    if source.encoding.ascii_compatible and not plan.check_cells:
        emails = summary.rows - summary.count(IssueKind.BLANK_EMAIL) - summary.count(IssueKind.INVALID_EMAIL)
        summary = _with_formulas(
            summary, source.data, source.encoding, source.dialect, emails=emails, starts=formula_starts
        )
    normalized = _normalized(content, plan, result, width=table.width, email=email, points=points)
    repeats = None
    if summary.count(IssueKind.DUPLICATE_EMAIL):
        repeats, merged = find_repeats(content, normalized.email_index, normalized.points_index)
        if merged is not content:
            normalized = normalized.model_copy(
                update={'content': merged, 'unchanged': False, 'merged_rows': repeats.merged_rows}
            )
    verdict = decide(
        has_header=table.header is not None,
        evidence=evidence,
        email=email,
        points=points,
        validation=summary,
        repeats=repeats,
        recheck_content=recheck_content,
    )
    return Inspection(
        mapping=Mapping(email=email.column, points=points.column),
        confidence=round(min(email.confidence, points.confidence), 2),
        encoding=source.encoding.name,
        delimiter=source.dialect.delimiter,
        has_header=table.header is not None,
        rows=result.rows,
        columns=_column_reports(
            evidence, email, points, _samples([row for _, row in table.body[:SAMPLE_ROWS]])
        ),
        email=email,
        points=points,
        validation=summary,
        normalized=normalized,
        decision=verdict.decision,
        choices=verdict.choices,
        reasons=verdict.reasons,
    )


def _table(source: _Source) -> _Table:
    head, blank_lines = _read_head(source.reader, source.dialect.skip_lines)
    if not head:
        raise Refusal(RefusalCode.EMPTY_FILE, 'The file holds no rows.')
    refuse_unterminated_quote(source.data, source.encoding, head[-1][1], head[-1][0])
    preamble = count_preamble([row for _, row in head])
    head = head[preamble:]
    has_header = is_header(head[0][1], [row for _, row in head[1:]])
    header = head[0][1] if has_header else None
    body = head[1:] if has_header else head
    if not body:
        raise Refusal(RefusalCode.EMPTY_FILE, 'The file holds a header but no customer rows.')
    width = len(header) if header is not None else Counter(len(r) for _, r in body).most_common(1)[0][0]
    return _Table(header, body, width, preamble, blank_lines)


def _roles(
    table: _Table, evidence: list[Evidence], email_column: str | int | None, points_column: str | int | None
) -> tuple[RoleChoice, RoleChoice]:
    """The EMAIL and POINTS columns: an override when one is given, else the inference's choice."""
    header, width = table.header, table.width
    email = _override(Role.EMAIL, email_column, header, width, evidence) or choose(
        Role.EMAIL, evidence, exclude=None
    )
    points = _override(Role.POINTS, points_column, header, width, evidence) or choose(
        Role.POINTS, evidence, exclude=email.column
    )
    if email.column == points.column:
        raise Refusal(RefusalCode.BAD_OVERRIDE, 'EMAIL and POINTS cannot be the same column.')
    return email, points


def _pass_plan(
    source: _Source,
    table: _Table,
    evidence: list[Evidence],
    email: RoleChoice,
    points: RoleChoice,
    *,
    check_cells: bool,
) -> PassPlan:
    """What the one pass over the rows does: validate only, or also write the normalized file."""
    encoding, dialect, width = source.encoding, source.dialect, table.width
    clean_shape = (
        encoding.name == 'utf-8'
        and not encoding.bom_bytes
        and dialect.delimiter == ','
        and not dialect.skip_lines
        and dialect.line_end != '\r'
        and table.header is not None
        and not table.preamble
        and not table.blank_lines
        and width <= MAX_COLUMNS
        and all(len(cell) <= MAX_CELL_CHARS for cell in table.header)
    )
    return PassPlan(
        width=width,
        email=email.column,
        points=points.column,
        number_format=evidence[points.column].number_format,
        write=not clean_shape,
        keep=columns_to_keep(width, email.column, points.column, set()),
        header_out=output_header(table.header, width, email.column, points.column),
        check_cells=check_cells,
        comma_free=cells_hold_no_comma(
            source.data, dialect.delimiter, ascii_compatible=encoding.ascii_compatible
        ),
        quote_free=cells_hold_no_quote(source.data, ascii_compatible=encoding.ascii_compatible),
    )


def _validated(
    source: _Source, table: _Table, plan: PassPlan, email: RoleChoice, points: RoleChoice
) -> PassResult:
    """The pass over every row; refused when most rows are unusable, rewritten when not clean after all."""
    result = run_pass(table.body, source.reader, plan)
    if result.last_row:
        refuse_unterminated_quote(source.data, source.encoding, result.last_row, source.reader.line_num)
    if refusal_rows(result):
        refuse_out_of_range(result, points)
        raise Refusal(
            RefusalCode.TOO_MANY_INVALID_ROWS,
            f'{result.invalid_rows:,} of {result.rows:,} rows have no valid email in '
            f'{column_label(email.name, email.column)} or no valid balance in '
            f'{column_label(points.name, points.column)}: these are probably not the right columns, '
            'or the file is broken.',
        )
    if (plan.write is False and result.dirty) or result.oversized_columns:
        # Rewrite: the file was not clean after all, or a column must go (a cell Wix cannot take).
        plan.write = True
        plan.keep = columns_to_keep(table.width, email.column, points.column, result.oversized_columns)
        result = _second_pass(
            source.data, source.codec, source.encoding, source.dialect, skip_rows=table.skip_rows, plan=plan
        )
    return result


def _normalized(
    content: bytes, plan: PassPlan, result: PassResult, *, width: int, email: RoleChoice, points: RoleChoice
) -> NormalizedFile:
    keep = plan.keep
    return NormalizedFile(
        content=content,
        email_index=keep.index(email.column),
        points_index=keep.index(points.column),
        header=[plan.header_out[i] for i in keep] if plan.header_out else [],
        sample_rows=result.sample_rows,
        unchanged=result.content is None,
        dropped_columns=[i for i in range(width) if i not in keep],
    )


def _may_outgrow(data: bytes, codec: str, encoding: Encoding, dialect: Dialect, max_file_bytes: int) -> bool:
    """Whether the UTF-8 rewrite is projected larger than Wix takes, from its first 256 KB.

    Only a bet on time: writing EMAIL and POINTS beside the rewrite costs about a tenth of reading
    the rewrite back, so it is made when the projection says the cut will be needed. When it says
    no and the rewrite is too large after all, `_reduced` reads the rewrite back: the same bytes.
    """
    if len(data) * 3 <= max_file_bytes:
        return False  # not even every byte turning into a 3-byte character would reach it
    head = data[encoding.bom_bytes : encoding.bom_bytes + _ESTIMATE_BYTES]
    grown = len(head.decode(codec, 'replace').encode('utf-8', 'replace'))
    grown += head.count(b'\n') + head.count(b'\r') - 2 * head.count(b'\r\n')  # line ends become CRLF
    if dialect.delimiter != ',':
        grown += 2 * head.count(b',')  # a cell holding a comma gets quotes
    return len(data) * grown > max_file_bytes * max(len(head), 1)


def _reduced(
    data: bytes,
    codec: str,
    encoding: Encoding,
    dialect: Dialect,
    *,
    skip_rows: int,
    plan: PassPlan,
    result: PassResult,
) -> PassResult:
    """The result with only EMAIL and POINTS uploaded, cut from the rewrite the pass already wrote.

    The pass wrote that file too when the rewrite was projected too large (`_may_outgrow`);
    otherwise the rewrite, valid UTF-8 CSV quoted by csv.writer, is read back: it gives the very
    cells that were written, with no second validation pass over the source. A file uploaded as
    is (never the case, since it fits) would take that second pass.
    """
    keep = plan.keep
    plan.keep = [c for c in keep if c in (plan.email, plan.points)]
    if result.content is None:
        plan.narrow = None
        return _second_pass(data, codec, encoding, dialect, skip_rows=skip_rows, plan=plan)
    positions = [keep.index(c) for c in plan.keep]
    if result.narrow_content is not None and plan.narrow == plan.keep:
        result.content = result.narrow_content  # written beside the full rewrite (_may_outgrow)
    else:
        result.content = reduced_content(result.content, positions, comma_free=plan.comma_free)
    result.narrow_content = None
    result.sample_rows = [[row[i] for i in positions] for row in result.sample_rows]
    return result


def _second_pass(
    data: bytes, codec: str, encoding: Encoding, dialect: Dialect, *, skip_rows: int, plan: PassPlan
) -> PassResult:
    reader = _rows(data, codec, encoding.bom_bytes, dialect)
    head, _ = _read_head(reader, dialect.skip_lines)
    body = head[skip_rows:]
    return run_pass(body, reader, plan)


def _with_formulas(
    summary: ValidationSummary,
    data: bytes,
    encoding: Encoding,
    dialect: Dialect,
    *,
    emails: int,
    starts: FormulaStarts | None,
) -> ValidationSummary:
    count, examples = formula_scan(data, encoding.bom_bytes, dialect.delimiter, emails, starts)
    if not count:
        return summary
    issues = [*summary.issues, Issue(kind=IssueKind.FORMULA_CELL, count=count, examples=examples)]
    order = list(IssueKind)
    issues.sort(key=lambda issue: order.index(issue.kind))
    return summary.model_copy(update={'issues': issues})


def _override(
    role: Role, value: str | int | None, header: list[str] | None, width: int, evidence: list[Evidence]
) -> RoleChoice | None:
    if value is None:
        return None
    flag = '--email-column' if role is Role.EMAIL else '--points-column'
    index: int | None = None
    if isinstance(value, int) and not isinstance(value, bool):
        index = value
    elif isinstance(value, str):
        wanted = value.strip()
        names = [cell.replace('\ufeff', '').strip() for cell in header] if header is not None else []
        matches = [i for i, name in enumerate(names) if name == wanted] or [
            i for i, name in enumerate(names) if name.casefold() == wanted.casefold()
        ]
        if len(matches) > 1:
            raise Refusal(
                RefusalCode.BAD_OVERRIDE,
                f"{flag} '{value}' names {len(matches)} columns; give its 0-based index.",
            )
        if matches:
            index = matches[0]
        elif wanted.isdigit():
            index = int(wanted)
        else:
            known = ', '.join(repr(n) for n in names[:20]) or 'none (the file has no header)'
            raise Refusal(RefusalCode.BAD_OVERRIDE, f"{flag} '{value}' is not a column. Columns: {known}.")
    if index is None or not 0 <= index < width:
        raise Refusal(
            RefusalCode.BAD_OVERRIDE,
            f'{flag} {value!r} is out of range: the file has {width} columns (0-{width - 1}).',
        )
    return RoleChoice(
        column=index,
        name=column_name(header, index),
        confidence=1.0,
        why=f'chosen by you ({flag})',
        overridden=True,
    )


SAMPLES_PER_COLUMN = 3
SAMPLE_ROWS = 200  # where the samples are looked for (the head holds far more; this is on every file)


def _samples(body: list[list[str]]) -> list[list[str]]:
    """Per column, its first few distinct non-blank values (what a person recognises a column by)."""
    width = max((len(row) for row in body), default=0)
    samples: list[list[str]] = [[] for _ in range(width)]
    for row in body:
        for index, cell in enumerate(row):
            value = cell.strip()
            kept = samples[index]
            if value and len(kept) < SAMPLES_PER_COLUMN and value not in kept:
                kept.append(value[:60])
    return samples


def _column_reports(
    evidence: list[Evidence], email: RoleChoice, points: RoleChoice, samples: list[list[str]]
) -> list[ColumnReport]:
    chosen = {email.column: (Role.EMAIL, email), points.column: (Role.POINTS, points)}
    reports = []
    for e in evidence:
        seen = samples[e.index] if e.index < len(samples) else []
        if e.index in chosen:
            role, choice = chosen[e.index]
            reports.append(
                ColumnReport(
                    index=e.index,
                    name=e.name,
                    kind=e.kind,
                    role=role,
                    confidence=choice.confidence,
                    why=choice.why,
                    samples=seen,
                )
            )
        else:
            why = e.email_why if e.kind == 'email' else e.points_why if e.kind == 'integer' else ''
            score = max(e.email_score, e.points_score)
            reports.append(
                ColumnReport(index=e.index, name=e.name, kind=e.kind, confidence=score, why=why, samples=seen)
            )
    return reports
