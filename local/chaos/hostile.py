"""Hostile and broken files, dropped through the whole pipeline (S3 -> importer -> ... -> SNS).

Each case says which ends are honest for it: REJECTED with a specific refusal code, or IMPORTED
where the product can really handle the file. `python -m chaos.hostile` prints the outcomes table;
tests/e2e/test_hostile_inputs.py asserts the same cases.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import gzip
import io
import json
import random
import sys
import time
import traceback
import warnings
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from chaos.stack import HANG_GUARD_S, UNKNOWN_CONTACT, ChaosStack, StackOptions, quiet_logs
from loyalty_import.inspection import RefusalCode

MiB = 1024 * 1024
# Refusal codes a person can act on; INSPECTION_ERROR (a crash caught) or PIPELINE_ERROR are not.
SPECIFIC_CODES = frozenset(code.value for code in RefusalCode)
REJECTED = frozenset({'REJECTED'})
REJECTED_OR_IMPORTED = frozenset({'REJECTED', 'IMPORTED'})
IMPORTED = frozenset({'IMPORTED'})


@dataclass(frozen=True)
class HostileCase:
    id: str
    name: str  # the file name under the incoming prefix (the S3 key's last part)
    build: Callable[[], bytes]
    ends: frozenset[str]
    codes: frozenset[str] = SPECIFIC_CODES  # accepted refusal codes when REJECTED
    why: str = ''


def _rows(count: int, *, tag: str = 'h') -> list[str]:
    return [f'{tag}{index}@example.com,Customer {index},{(index * 37) % 900 + 10}' for index in range(count)]


def _csv(header: str, rows: list[str]) -> bytes:
    return ('\n'.join([header, *rows]) + '\n').encode()


def good() -> bytes:
    return _csv('Email,Name,Points Balance', [*_rows(5), f'{UNKNOWN_CONTACT},Ghost,5'])


def _binary() -> bytes:
    # Seeded: the same garbage every run, so a failure replays exactly (not used for anything secret).
    return random.Random(7).randbytes(4096)  # noqa: S311


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, 'w', compression=zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def _xlsx() -> bytes:
    return _zip(
        {
            '[Content_Types].xml': b'<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/'
            b'package/2006/content-types"/>',
            'xl/workbook.xml': b'<?xml version="1.0"?><workbook/>',
            'xl/worksheets/sheet1.xml': b'<?xml version="1.0"?><worksheet><sheetData/></worksheet>',
        }
    )


def zip_bomb() -> bytes:
    """~100 KB that would expand to 256 MB of CSV-looking text: refusing must not expand it."""
    buffer = io.BytesIO()
    chunk = b'0' * MiB
    with (
        zipfile.ZipFile(buffer, 'w', compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive,
        archive.open('customers.csv', 'w', force_zip64=True) as member,
    ):
        member.write(b'Email,Points\n')
        for _ in range(256):
            member.write(chunk)
    return buffer.getvalue()


def _pdf() -> bytes:
    return (
        b'%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n'
        b'2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n'
    )


def _json() -> bytes:
    return json.dumps([{'email': f'j{i}@example.com', 'points': i * 10} for i in range(20)]).encode()


def _html() -> bytes:
    cells = ''.join(f'<tr><td>h{i}@example.com</td><td>{i * 10}</td></tr>' for i in range(20))
    table = f'<table><tr><th>Email</th><th>Points</th></tr>{cells}</table>'
    return f'<!DOCTYPE html><html><body>{table}</body></html>'.encode()


def _nul_bytes() -> bytes:
    rows = [f'n{i}@example.com,Na\x00me {i},{i * 10 + 5}' for i in range(20)]
    return _csv('Email,Name,Points Balance', rows)


def _unterminated_quote() -> bytes:
    rows = ['"q0@example.com,Quinn,10', 'q1@example.com,Quentin,20', 'q2@example.com,Q,30']
    return _csv('Email,Name,Points Balance', rows)


def _five_thousand_columns() -> bytes:
    columns = 5000
    email_at, points_at = 1234, 4321
    # Names as long as real exports' custom fields: the per-column report alone would pass DynamoDB's
    # 400 KB item limit if the record kept it whole.
    header = [f'Custom attribute number {index:04d} (text)' for index in range(columns)]
    header[email_at], header[points_at] = 'Email', 'Points Balance'
    lines = [','.join(header)]
    for row in range(20):
        values = ['x'] * columns
        values[email_at], values[points_at] = f'wide{row}@example.com', str(row * 11 + 3)
        lines.append(','.join(values))
    return ('\n'.join(lines) + '\n').encode()


def _two_mb_cell() -> bytes:
    rows = _rows(10)
    rows[3] = f'h3@example.com,"{"n" * (2 * MiB)}",100'
    return _csv('Email,Notes,Points Balance', rows)


def _over_ten_mb() -> bytes:
    row = 'big{0}@example.com,Customer with a long enough name to fill the file,{1}\n'
    parts = ['Email,Name,Points Balance\n']
    size, index = len(parts[0]), 0
    while size <= 10 * MiB + 1024:
        line = row.format(index, index % 1000)
        parts.append(line)
        size += len(line)
        index += 1
    return ''.join(parts).encode()


def _formula_injection() -> bytes:
    names = [
        '=HYPERLINK("http://evil.example/","click")',
        '+cmd|" /C calc"!A0',
        '@SUM(1+1)*cmd|" /C calc"!A0',
    ]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator='\n')  # quotes doubled as CSV wants them
    writer.writerow(['Email', 'Name', 'Points Balance'])
    writer.writerows([f'f{i}@example.com', names[i % 3], str(i * 10 + 5)] for i in range(12))
    return buffer.getvalue().encode()


def _overflowing_numbers() -> bytes:
    values = ['1e309', '99999999999999999999999999999', '-1e400', '340282366920938463463374607431768211457']
    rows = [f'o{i}@example.com,Over {i},{values[i % len(values)]}' for i in range(12)]
    return _csv('Email,Name,Points Balance', rows)


CASES: tuple[HostileCase, ...] = (
    HostileCase('empty', 'empty.csv', lambda: b'', REJECTED, frozenset({'EMPTY_FILE'}), 'zero bytes'),
    HostileCase('whitespace', 'whitespace.csv', lambda: b'  \n\t\r\n   \n', REJECTED, why='blanks only'),
    HostileCase('header-only', 'header-only.csv', lambda: b'Email,Points Balance\n', REJECTED, why='no rows'),
    HostileCase('binary', 'binary.csv', _binary, REJECTED, frozenset({'NOT_A_CSV'}), 'random bytes'),
    HostileCase('xlsx', 'export.csv', _xlsx, REJECTED, frozenset({'NOT_A_CSV'}), 'an .xlsx renamed .csv'),
    HostileCase(
        'zip',
        'archive.csv',
        lambda: _zip({'customers.csv': good()}),
        REJECTED,
        frozenset({'NOT_A_CSV'}),
        'a zip holding a good CSV',
    ),
    HostileCase(
        'gzip',
        'compressed.csv',
        lambda: gzip.compress(good()),
        REJECTED,
        frozenset({'NOT_A_CSV'}),
        'a gzipped CSV',
    ),
    HostileCase('pdf', 'statement.csv', _pdf, REJECTED, frozenset({'NOT_A_CSV'}), 'a PDF renamed .csv'),
    HostileCase('json', 'customers.json', _json, REJECTED, why='a JSON array of customers'),
    HostileCase('html', 'table.csv', _html, REJECTED, why='an HTML table saved as .csv'),
    HostileCase(
        'zip-bomb', 'bomb.csv', zip_bomb, REJECTED, frozenset({'NOT_A_CSV'}), '~250 KB expanding to 256 MB'
    ),
    HostileCase('nul-bytes', 'nul.csv', _nul_bytes, REJECTED_OR_IMPORTED, why='NUL bytes inside names'),
    HostileCase(
        'unterminated-quote',
        'quote.csv',
        _unterminated_quote,
        REJECTED_OR_IMPORTED,
        why='a quote never closed',
    ),
    HostileCase(
        'five-thousand-columns', 'wide.csv', _five_thousand_columns, REJECTED_OR_IMPORTED, why='5,000 columns'
    ),
    HostileCase('two-mb-cell', 'fat-cell.csv', _two_mb_cell, REJECTED_OR_IMPORTED, why='one 2 MB cell'),
    HostileCase(
        'over-ten-mb',
        'huge.csv',
        _over_ten_mb,
        REJECTED,
        # Streamed and reduced (docs/large-files.md); its points, 0-999 over and over, would need a
        # person, and a large file cannot be reviewed yet.
        frozenset({'NEEDS_REVIEW'}),
        '10 MB + 1 KB of rows',
    ),
    HostileCase(
        'formula-injection',
        'formulas.csv',
        _formula_injection,
        REJECTED_OR_IMPORTED,
        why='=HYPERLINK, +cmd, @SUM in names',
    ),
    HostileCase(
        'overflowing-numbers', 'overflow.csv', _overflowing_numbers, REJECTED, why='1e309, 2**128+1 as points'
    ),
    HostileCase(
        'key-with-spaces', 'my customers (March 2026).csv', good, IMPORTED, why='spaces, parentheses'
    ),
    HostileCase('key-unicode', 'clients-fidélité-顧客.csv', good, IMPORTED, why='accents and CJK in the key'),
    HostileCase('key-plus', 'points+bonus 2026.csv', good, IMPORTED, why='"+" and a space in the key'),
)


@dataclass
class HostileOutcome:
    case: HostileCase
    status: str | None
    code: str | None
    notifications: int
    wix_imports: int
    report: bool
    importer_runs: int
    failed_invocations: int
    dlq_messages: int
    elapsed_s: float
    problems: list[str] = field(default_factory=list)


PRODUCT_DIRS = tuple(
    str(Path(__file__).resolve().parents[2] / part) for part in ('layers/shared/loyalty_import', 'functions')
)


# botocore reads its own gzipped service models when the product creates a client: not the file.
_LIBRARY_READS = ('/botocore/', '/boto3/', '/moto/')


def _called_by_the_product() -> bool:
    files = [frame.filename for frame in traceback.extract_stack()]
    return any(name.startswith(PRODUCT_DIRS) for name in files) and not any(
        part in name for name in files for part in _LIBRARY_READS
    )


@contextlib.contextmanager
def no_decompression() -> Iterator[list[str]]:
    """A tripwire: the product opening an archive or inflating data while it is armed is recorded.

    Only calls with the product's code (the layer, the handlers) on the stack count, and not those
    made inside botocore: the test's own file builders and the AWS SDK may use these modules freely.
    """
    attempts: list[str] = []
    originals: tuple[Any, Any, Any] = (zipfile.ZipFile.__init__, gzip.GzipFile.__init__, gzip.decompress)

    def zip_init(self: zipfile.ZipFile, *args: Any, **kwargs: Any) -> None:
        if _called_by_the_product():
            attempts.append('zipfile.ZipFile')
        originals[0](self, *args, **kwargs)

    def gzip_init(self: gzip.GzipFile, *args: Any, **kwargs: Any) -> None:
        if _called_by_the_product():
            attempts.append('gzip.GzipFile')
        originals[1](self, *args, **kwargs)

    def gzip_decompress(data: Any, *args: Any, **kwargs: Any) -> bytes:
        if _called_by_the_product():
            attempts.append('gzip.decompress')
        result: bytes = originals[2](data, *args, **kwargs)
        return result

    zipfile.ZipFile.__init__ = zip_init  # type: ignore[method-assign]
    gzip.GzipFile.__init__ = gzip_init  # type: ignore[method-assign]
    gzip.decompress = gzip_decompress
    try:
        yield attempts
    finally:
        zipfile.ZipFile.__init__ = originals[0]  # type: ignore[method-assign]
        gzip.GzipFile.__init__ = originals[1]  # type: ignore[method-assign]
        gzip.decompress = originals[2]


def run_case(stack: ChaosStack, case: HostileCase, *, timeout_s: float = HANG_GUARD_S) -> HostileOutcome:
    started = time.monotonic()
    content = case.build()
    invocations_before = len(stack.invocations())
    dlq_before = stack.dlq_messages()
    with stack.guard():
        # Several cases hold the same balances on one stack: each is its own import, never refused
        # ALREADY_IMPORTED against another case.
        drop = stack.rehearsal.drop(case.name, content, reimport=True)
    hung = stack.follow_all([drop], timeout_s=timeout_s)
    settled = stack.settle()
    record = stack.record(drop)
    invocations = stack.invocations()[invocations_before:]
    outcome = HostileOutcome(
        case=case,
        status=record.status.value if record else None,
        code=record.error.code if record and record.error else None,
        notifications=len(stack.notifications_for(drop)),
        wix_imports=len(stack.wix_imports_for(drop)),
        report=bool(record and record.report and stack.object_exists(record.report)),
        importer_runs=sum(1 for invocation in invocations if invocation.logical_id == 'ImporterFunction'),
        failed_invocations=sum(1 for invocation in invocations if not invocation.ok),
        dlq_messages=stack.dlq_messages() - dlq_before,
        elapsed_s=time.monotonic() - started,
    )
    outcome.problems = judge(outcome, results_prefix=stack.rehearsal.parameter('ResultsPrefix', 'results/'))
    if hung or not settled:
        # The guard is far above what any case needs on a loaded machine: reaching it is a hang.
        outcome.problems.insert(0, f'hang: not finished after the {timeout_s:.0f} s guard')
    if (
        record is not None
        and record.report
        and f'/{stack.rehearsal.parameter("ResultsPrefix", "results/")}' not in record.report
    ):
        outcome.problems.append(f'report outside the results prefix: {record.report}')
    return outcome


def judge(outcome: HostileOutcome, *, results_prefix: str) -> list[str]:
    case, problems = outcome.case, []
    if outcome.status not in case.ends:
        problems.append(f'ended {outcome.status} ({outcome.code}), expected {"/".join(sorted(case.ends))}')
    if outcome.status == 'REJECTED':
        if outcome.code not in case.codes:
            problems.append(f'refusal code {outcome.code} is not one of {sorted(case.codes)}')
        if not outcome.report:
            problems.append('no report under the results prefix')
        if outcome.wix_imports:
            problems.append('a refused file reached Wix')
    if outcome.notifications != 1:
        problems.append(f'{outcome.notifications} notifications')
    if outcome.wix_imports > 1:
        problems.append(f'{outcome.wix_imports} Wix imports')
    if outcome.failed_invocations:
        problems.append(f'{outcome.failed_invocations} failed Lambda invocation(s)')
    if outcome.importer_runs > 1:
        problems.append(f'the importer ran {outcome.importer_runs} times (a retry)')
    if outcome.dlq_messages:
        problems.append(f'{outcome.dlq_messages} DLQ message(s)')
    return problems


def hostile_stack_options() -> StackOptions:
    return StackOptions(label='hostile input', auth='api_key', parse_wait_s=5)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog='python -m chaos.hostile', description=__doc__.split('\n\n')[0])
    parser.add_argument('--only', help='run the cases whose id contains this text')
    args = parser.parse_args(argv)
    quiet_logs()
    warnings.simplefilter('ignore')
    cases = [case for case in CASES if not args.only or args.only in case.id]
    print(
        f'{"case":<22} {"size":>10} {"end":<9} {"code":<22} {"ntf":>3} {"rpt":>3} {"wix":>3} {"λ!":>3} '
        f'{"secs":>5}  verdict'
    )
    failures = 0
    with ChaosStack(hostile_stack_options()) as stack:
        for case in cases:
            with no_decompression() as attempts:
                outcome = run_case(stack, case)
            if attempts:
                outcome.problems.append(f'decompressed: {", ".join(sorted(set(attempts)))}')
            failures += bool(outcome.problems)
            verdict = 'ok' if not outcome.problems else 'PROBLEM: ' + '; '.join(outcome.problems)
            print(
                f'{case.id:<22} {len(case.build()):>10} {outcome.status or "-":<9} {outcome.code or "-":<22} '
                f'{outcome.notifications:>3} {"yes" if outcome.report else "no":>3} {outcome.wix_imports:>3} '
                f'{outcome.failed_invocations:>3} {outcome.elapsed_s:>5.1f}  {verdict}',
                flush=True,
            )
    print(json.dumps({'cases': len(cases), 'problems': failures}))
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())
