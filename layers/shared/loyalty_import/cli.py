"""`loyalty-import`: the command line of the project.

    loyalty-import inspect PATH [--json] [--email-column X] [--points-column Y] [--points-names N,M]
    loyalty-import undo ID [--bucket B] [--table T]
    loyalty-import reviews | review ID (--approve [--email-column X --points-column Y] | --reject)
    loyalty-import layouts | forget LAYOUT
    loyalty-import status [--since 7d] [--status S] | show ID

`inspect` exits with one code per decision: 0 auto (the product would import it on its own),
3 review (a person must confirm the proposal or pick other columns), 2 refuse (it cannot be
imported as it is, or the path is unreadable).

`undo` finds an import's record (ID: its pk or its Wix import id) in the imports table (--table,
default $IMPORTS_TABLE) and drops its undo file under the incoming prefix (beside the original, or
in --bucket), with the `undo-of` metadata that makes the importer import it as that import's undo.
Exits 0 once dropped, 2 when the import cannot be undone (not found, no undo file, not IMPORTED).

The operator commands (`loyalty_import.operator`) read a deployed stack, found by its name (--stack,
default $LOYALTY_IMPORT_STACK; region: boto3's configuration or --region); each prints a table, or
JSON with --json. `reviews` lists the files waiting for a person and `review` decides one as the
review page does; `layouts` and `forget` show and delete remembered layouts; `status` lists recent
imports and `show` one import with its links and state machine steps. They exit 0 when done, 2
when not (unknown id, a refused mapping, a review already decided or expired).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any, TextIO

from loyalty_import.inspection import MAX_FILE_BYTES, Decision, Inspection, Refusal, inspect_csv
from loyalty_import.inspection.models import column_label

EXIT_OK = 0
EXIT_REFUSED = 2
EXIT_REVIEW = 3
_MAX_TABLE_COLUMNS = 60


def main(argv: list[str] | None = None, out: TextIO | None = None) -> int:
    stream = out if out is not None else sys.stdout
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command == 'inspect':
        return _inspect(args, stream)
    if args.command == 'undo':
        return _undo(args, stream)
    if args.command in _OPERATOR_COMMANDS:
        return _operator(args, stream)
    parser.print_help(stream)
    return EXIT_REFUSED


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog='loyalty-import', description='Wix loyalty-points imports from CSV files.'
    )
    commands = parser.add_subparsers(dest='command')
    inspect = commands.add_parser(
        'inspect', help='show how a CSV file would be imported: encoding, columns, mapping, row checks'
    )
    inspect.add_argument('path', type=Path)
    inspect.add_argument('--json', action='store_true', help='print one JSON object')
    inspect.add_argument('--email-column', help='the EMAIL column: its header name or 0-based index')
    inspect.add_argument('--points-column', help='the POINTS column: its header name or 0-based index')
    inspect.add_argument(
        '--points-names',
        default='',
        help="what your program calls its points ('Stars,Coins'): headers with them name points",
    )
    undo = commands.add_parser(
        'undo', help="drop an import's undo file: sets its customers back to the balances before it"
    )
    undo.add_argument('id', help="the import's record pk (s3://<bucket>/<key>#<version>) or Wix import id")
    undo.add_argument('--bucket', help="the drop bucket to copy it into (default: the original's)")
    undo.add_argument(
        '--table', default=os.environ.get('IMPORTS_TABLE'), help='the imports table (default $IMPORTS_TABLE)'
    )
    _operator_parsers(commands)
    return parser


_OPERATOR_COMMANDS = ('reviews', 'review', 'layouts', 'forget', 'status', 'show')


def _operator_parsers(commands: Any) -> None:
    stack = argparse.ArgumentParser(add_help=False)
    stack.add_argument(
        '--stack',
        default=os.environ.get('LOYALTY_IMPORT_STACK'),
        help="the deployed stack's name (default $LOYALTY_IMPORT_STACK)",
    )
    stack.add_argument('--region', help="the stack's region (default: boto3's configuration)")
    stack.add_argument('--json', action='store_true', help='print JSON instead of a table')
    common = {'parents': [stack]}
    commands.add_parser('reviews', help='the files waiting for a person to decide', **common)
    review = commands.add_parser('review', help='approve or reject a file waiting for a review', **common)
    review.add_argument('id', help='its ID (from `reviews`) or record pk')
    decision = review.add_mutually_exclusive_group(required=True)
    decision.add_argument(
        '--approve', action='store_true', help='import it (the proposal, or the columns given)'
    )
    decision.add_argument('--reject', action='store_true', help='do not import it (REVIEW_REJECTED)')
    review.add_argument(
        '--email-column', help='with --approve: the EMAIL column (0-based index or header name)'
    )
    review.add_argument(
        '--points-column', help='with --approve: the POINTS column (0-based index or header name)'
    )
    commands.add_parser('layouts', help='the remembered layouts (approved mappings)', **common)
    forget = commands.add_parser('forget', help='forget a remembered layout', **common)
    forget.add_argument('layout', help='its id (from `layouts`)')
    status = commands.add_parser('status', help='recent imports, newest first', **common)
    status.add_argument('--since', default='7d', help='how far back: 30m, 12h, 7d (default 7d)')
    status.add_argument('--status', type=str.upper, help='only imports of this status (IMPORTED, FAILED...)')
    show = commands.add_parser('show', help='one import: its record, links and state machine steps', **common)
    show.add_argument('id', help='its ID (from `status`), record pk or Wix import id')


def _operator(args: argparse.Namespace, out: TextIO) -> int:
    if not args.stack:
        out.write(
            'Not done: give --stack (the name the stack was deployed as) or set LOYALTY_IMPORT_STACK.\n'
        )
        return EXIT_REFUSED
    from loyalty_import import operator  # noqa: PLC0415 - only these commands talk to AWS

    operator.quiet_pipeline_logs()  # before the commands' modules create the pipeline's logger
    from loyalty_import.operator import commands  # noqa: PLC0415

    try:
        return commands.run(args, out)
    except operator.OperatorError as exc:
        out.write(f'Not done: {exc}.\n')
        return EXIT_REFUSED


def _undo(args: argparse.Namespace, out: TextIO) -> int:
    if not args.table:
        out.write('Not undone: give --table (the stack output ImportsTableName) or set IMPORTS_TABLE.\n')
        return EXIT_REFUSED
    import boto3  # noqa: PLC0415 - only this command talks to AWS

    from loyalty_import.pipeline.adapters.undo_drop import (  # noqa: PLC0415 - loads botocore
        UndoUnavailableError,
        drop_undo,
        find_import,
    )

    try:
        original = find_import(args.id, table=args.table, dynamodb=boto3.client('dynamodb'))
        dropped = drop_undo(original, s3=boto3.client('s3'), bucket=args.bucket)
    except UndoUnavailableError as exc:
        out.write(f'Not undone: {exc}.\n')
        return EXIT_REFUSED
    out.write(
        f'Dropped {dropped.uri} ({dropped.size} bytes), the undo file of {original.source_uri} '
        f'(Wix import {original.wix_import_id}).\n'
        f"The importer imports it as that import's undo; its record will be {dropped.source_id}\n"
    )
    return EXIT_OK


def _inspect(args: argparse.Namespace, out: TextIO) -> int:
    try:
        data = _read(args.path)
        inspection = inspect_csv(
            data,
            email_column=args.email_column,
            points_column=args.points_column,
            points_names=tuple(name.strip() for name in args.points_names.split(',') if name.strip()),
        )
    except Refusal as refusal:
        if args.json:
            _print_json({'decision': 'refuse', 'error': refusal.to_dict()}, out)
        else:
            _print_refusal(args.path, refusal, out)
        return EXIT_REFUSED
    except OSError as exc:
        error = {
            'code': 'FILE_NOT_READABLE',
            'message': f'Cannot read {args.path}: {exc.strerror}',
            'candidates': [],
        }
        if args.json:
            _print_json({'decision': 'refuse', 'error': error}, out)
        else:
            out.write(f'Refused (FILE_NOT_READABLE): {error["message"]}\n')
        return EXIT_REFUSED
    if args.json:
        _print_json(inspection.to_json_dict(), out)
    else:
        _print_human(args.path, len(data), inspection, out)
    return EXIT_OK if inspection.decision is Decision.AUTO else EXIT_REVIEW


def _read(path: Path) -> bytes:
    # Read one byte past the limit, never the whole of a huge file: inspect_csv refuses it by size.
    with path.open('rb') as handle:
        return handle.read(MAX_FILE_BYTES + 1)


def _print_json(payload: dict[str, Any], out: TextIO) -> None:
    out.write(json.dumps(payload, ensure_ascii=False, indent=2) + '\n')


def _print_refusal(path: Path, refusal: Refusal, out: TextIO) -> None:
    out.write(f'{path}\n\nRefused ({refusal.code}): {refusal.message}\n')
    if refusal.candidates:
        out.write('\nCandidates:\n')
        for c in refusal.candidates:
            out.write(f'  {column_label(_cut(c.name, 30), c.column)} ({c.confidence:.2f}): {c.why}\n')


def _print_decision(inspection: Inspection, out: TextIO) -> None:
    if inspection.decision is Decision.AUTO:
        out.write('Decision: auto - nothing is left to judge; it would be imported as it is.\n\n')
        return
    out.write(
        'Decision: review - a person must confirm this mapping (or choose other columns) before import:\n'
    )
    for reason in inspection.reasons:
        out.write(f'  - {reason.message} ({reason.code})\n')
    for role, columns in inspection.choices.items():
        out.write(f'  {role} could be column {", ".join(str(c) for c in columns)} (counting from 0)\n')
    out.write('\n')


def _cut(text: str, width: int) -> str:
    text = text.replace('\n', ' ').replace('\r', ' ')
    return text if len(text) <= width else text[: width - 1] + '…'


def _print_human(path: Path, size: int, inspection: Inspection, out: TextIO) -> None:
    write = out.write
    email, points = inspection.email, inspection.points
    write(f'{path} ({size:,} bytes)\n\n')
    write(
        f'Encoding: {inspection.encoding}   Delimiter: {inspection.delimiter!r}   '
        f'Header: {"yes" if inspection.has_header else "no"}   Rows: {inspection.rows:,}\n'
    )
    write(
        f'Mapping:  EMAIL = {column_label(_cut(email.name, 30), email.column)}   '
        f'POINTS = {column_label(_cut(points.name, 30), points.column)}   '
        f'confidence {inspection.confidence:.2f}\n'
    )
    _print_decision(inspection, out)
    write(f'{"#":>4}  {"column":<26} {"kind":<8} {"role":<7} {"conf":>4}  why\n')
    for report in inspection.columns[:_MAX_TABLE_COLUMNS]:
        role = report.role.value if report.role else ''
        conf = f'{report.confidence:.2f}' if report.confidence else ''
        name = _cut(report.name, 26)
        write(f'{report.index:>4}  {name:<26} {report.kind:<8} {role:<7} {conf:>4}  {_cut(report.why, 90)}\n')
    if len(inspection.columns) > _MAX_TABLE_COLUMNS:
        write(f'      ... and {len(inspection.columns) - _MAX_TABLE_COLUMNS:,} more columns\n')
    for label, choice in (('EMAIL', email), ('POINTS', points)):
        if choice.runner_up is not None:
            r = choice.runner_up
            write(f'\nRunner-up for {label}: {column_label(_cut(r.name, 30), r.column)}: {r.why_lost}')
    write('\n\nSample rows (as uploaded):\n')
    normalized = inspection.normalized
    write('  ' + ' | '.join(_cut(h, 20) for h in normalized.header[:12]) + '\n')
    for row in normalized.sample_rows:
        write('  ' + ' | '.join(_cut(cell, 20) for cell in row[:12]) + '\n')
    summary = inspection.validation
    write(
        f'\nPre-flight checks: {summary.rows:,} rows, {summary.valid_rows:,} importable, '
        f'{summary.invalid_rows:,} not\n'
    )
    if not summary.issues:
        write('  no problems found\n')
    for issue in summary.issues:
        examples = ', '.join(f'line {e.line}: {_cut(e.value, 40)!r}' for e in issue.examples[:3])
        write(f'  {issue.kind.value:<20} {issue.count:>7,}   {examples}\n')
    if normalized.unchanged:
        write('\nUpload: the file as it is (already clean), byte for byte.\n')
    else:
        dropped = f', dropped columns {normalized.dropped_columns}' if normalized.dropped_columns else ''
        write(
            f'\nUpload: a normalized copy ({len(normalized.content):,} bytes, UTF-8, comma){dropped}; '
            f'Wix columns EMAIL={normalized.email_index} POINTS={normalized.points_index}.\n'
        )


if __name__ == '__main__':
    raise SystemExit(main())
