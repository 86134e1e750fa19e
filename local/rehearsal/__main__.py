"""`make demo`: rehearse the whole pipeline on one machine and follow one file to the end.

    python -m rehearsal [--file PATH] [--email-column COL] [--points-column COL] [--dry-run] [--undo]
                        [--approve [EMAIL=i,POINTS=j] | --reject]

No AWS account, no Docker, no network: template.yaml is deployed into moto in this process, the
real handlers run on its events and a Wix emulator answers on 127.0.0.1. Each function calls AWS
as its own role, IAM enforced (a call template.yaml does not allow is denied, and printed). The
last line printed is the file's final DynamoDB record as one JSON object; the exit code is 0 only
when it is IMPORTED and no call was denied.
With --undo, the import's undo file is then dropped (as `loyalty-import undo` drops it) and
followed, and the last line is the undo's record.

A file a person must decide on waits for them: the review link is printed and served on
127.0.0.1, and the rehearsal waits until someone decides in a browser, or, with --approve or
--reject, submits the real page's form over HTTP itself, as a browser would.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from loyalty_import.pipeline.guards.balances import read_csv
from loyalty_import.pipeline.models import ImportRecord
from rehearsal.alarms import in_alarm
from rehearsal.harness import (
    Drop,
    Outcome,
    Rehearsal,
    RehearsalConfig,
    RehearsalError,
    demo_emulator_settings,
)
from rehearsal.progress import ProgressReporter, balance_table, final_line, print_summary
from rehearsal.reviews import parse_choice, review_link, submit, wait_for_decision
from rehearsal.runtime_env import ensure_runtime_env
from rehearsal.template import TemplateError

SAMPLES = Path(__file__).resolve().parent / 'samples'
DEFAULT_SAMPLE = SAMPLES / 'loyaltylion-export.csv'
EXIT_IMPORTED, EXIT_OTHER_OUTCOME, EXIT_NOT_FINISHED = 0, 1, 2
# The demo's own Wix budget for a file past Wix's 10 MB (docs/large-files.md): at the template's
# 180 calls a minute, the 1.2-million-row export's balance snapshot alone (12,000 Search Accounts
# calls) would take 67 minutes against an emulator that answers far faster than Wix allows.
LARGE_FILE_BYTES = 10 * 1024 * 1024
LARGE_FILE_CALLS_PER_MINUTE = 6000
LARGE_FILE_TIMEOUT_S = 1800.0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog='python -m rehearsal', description=__doc__.split('\n\n')[0])
    parser.add_argument(
        '--file', type=Path, default=DEFAULT_SAMPLE, help='CSV to drop (default: a bundled sample)'
    )
    parser.add_argument('--email-column', help='override: header name or 0-based index of the EMAIL column')
    parser.add_argument('--points-column', help='override: header name or 0-based index of the POINTS column')
    parser.add_argument('--dry-run', action='store_true', help='inspect, record and notify; no Wix call')
    parser.add_argument(
        '--undo',
        action='store_true',
        help="then drop the import's undo file (as loyalty-import undo does) and follow it",
    )
    decision = parser.add_mutually_exclusive_group()
    decision.add_argument(
        '--approve',
        nargs='?',
        const='1',
        metavar='EMAIL=i,POINTS=j',
        help='if a person must decide: import it through the review page (the proposal, or these columns)',
    )
    decision.add_argument('--reject', action='store_true', help="if a person must decide: don't import it")
    parser.add_argument(
        '--timeout',
        type=float,
        default=None,
        help=f'seconds to follow the file (default 120; {LARGE_FILE_TIMEOUT_S:.0f} for a file past 10 MB)',
    )
    parser.add_argument(
        '--review-timeout',
        type=float,
        default=900.0,
        help='seconds to wait for a decision in a browser (default 900)',
    )
    parser.add_argument('--template', type=Path, default=RehearsalConfig().template, help=argparse.SUPPRESS)
    parser.add_argument('--logs', action='store_true', help="also print the functions' log lines")
    parser.add_argument(
        '--isolated',
        action='store_true',
        help='run each function in its own process with only requirements/runtime.txt (as in Lambda)',
    )
    # For tests of this command: Wix emulator delays and the Step Functions clock (1 = real seconds).
    parser.add_argument(
        '--wix-calls-per-minute',
        type=int,
        default=None,
        help=(
            "the stack's WixCallsPerMinute (the per-site Wix budget; template default 180). A file past "
            f'10 MB gets {LARGE_FILE_CALLS_PER_MINUTE} unless set: the emulator is not Wix, and the balance '
            'snapshot alone makes one call per 100 rows'
        ),
    )
    parser.add_argument('--wix-delay-s', type=float, default=None, help=argparse.SUPPRESS)
    parser.add_argument('--clock-scale', type=float, default=1.0, help=argparse.SUPPRESS)
    return parser


def _sidecar(sample: Path) -> dict[str, Any]:
    """The bundled sample's emulator settings: its customers that are not Wix contacts (so row
    failures show) and the balances the site holds before the import (so the snapshot has some)."""
    sidecar = sample.with_suffix('.emulator.json')
    if not sidecar.is_file():
        return {}
    loaded: dict[str, Any] = json.loads(sidecar.read_text(encoding='utf-8'))
    return loaded


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    path: Path = args.file
    if args.timeout is None and path.is_file():
        args.timeout = LARGE_FILE_TIMEOUT_S if path.stat().st_size > LARGE_FILE_BYTES else 120.0
    if not path.is_file():
        print(f'no such file: {path}', file=sys.stderr)
        return EXIT_NOT_FINISHED
    config = _config(args, path)
    write = _writer()
    write(
        'Rehearsing loyalty-import on this machine: template.yaml in moto, the real handlers, a Wix emulator'
    )
    started = time.monotonic()
    try:
        with Rehearsal(config) as rehearsal:
            _print_stack(rehearsal, time.monotonic() - started, write)
            outcome = _drop_and_follow(rehearsal, args, path, write)
            balances = Balances(rehearsal, outcome.record)
            balances.show(write)
            print_summary(rehearsal, outcome, write, show_logs=args.logs)
            if args.undo:
                outcome = _undo_and_follow(rehearsal, outcome, args, write, balances)
            _print_alarms(rehearsal, write)
            denied = sorted({str(denial) for denial in rehearsal.denials})
    except (RehearsalError, TemplateError) as exc:
        print(f'the rehearsal could not run: {exc}', file=sys.stderr)
        return EXIT_NOT_FINISHED
    write(final_line(outcome))
    if denied:
        print(
            f'IAM denied {len(denied)} call(s) template.yaml must allow: {"; ".join(denied)}', file=sys.stderr
        )
    if not outcome.finished:
        return EXIT_NOT_FINISHED
    if denied:
        return EXIT_OTHER_OUTCOME
    return EXIT_IMPORTED if outcome.status == 'IMPORTED' else EXIT_OTHER_OUTCOME


def _config(args: argparse.Namespace, path: Path) -> RehearsalConfig:
    sidecar = _sidecar(path)
    emulator_settings = demo_emulator_settings(frozenset(sidecar.get('unknown_contacts', [])))
    if args.wix_delay_s is not None:
        emulator_settings = replace(
            emulator_settings, parse_delay_s=args.wix_delay_s, import_delay_s=args.wix_delay_s
        )
    return RehearsalConfig(
        parameters=_parameters(args, path),
        template=args.template,
        emulator_settings=emulator_settings,
        clock_scale=args.clock_scale,
        async_retry_delay_s=min(1.0, args.clock_scale),
        lambda_python=ensure_runtime_env() if args.isolated else None,
        wix_accounts=dict(sidecar.get('balances_before', {})),
    )


def _parameters(args: argparse.Namespace, path: Path) -> dict[str, str]:
    """The template parameters the demo overrides: only the Wix budget, when asked or for a large file."""
    calls = args.wix_calls_per_minute
    if calls is None and path.stat().st_size > LARGE_FILE_BYTES:
        calls = LARGE_FILE_CALLS_PER_MINUTE
    return {'WixCallsPerMinute': str(calls)} if calls is not None else {}


def _print_stack(rehearsal: Rehearsal, setup_s: float, write: Callable[[str], None]) -> None:
    stack = rehearsal.stack
    assert stack is not None  # noqa: S101 - set by start()
    write(
        f'[{0.0:5.1f}s] {"stack":<10} {len(stack.resources)} resources from {rehearsal.config.template.name} '
        f'created in moto in {setup_s:.1f} s; Wix emulator at {rehearsal.emulator.origin}'
    )
    if stack.unsupported:
        write(f'{"":19}not emulated (nothing at run time needs them): {", ".join(stack.unsupported)}')
    for note in stack.notes:
        write(f'{"":19}{note}')
    calls = rehearsal.config.parameters.get('WixCallsPerMinute')
    if calls is not None:
        write(
            f'{"":19}WixCallsPerMinute={calls} for this demo (template default 180): the emulator is not '
            'Wix (docs/large-files.md)'
        )
    if rehearsal.iam is not None:
        write(
            f'{"":19}IAM enforced: each function and state machine calls as its own role '
            '(docs/emulator.md#iam-in-the-rehearsal)'
        )


def _drop_and_follow(
    rehearsal: Rehearsal, args: argparse.Namespace, path: Path, write: Callable[[str], None]
) -> Outcome:
    drop = rehearsal.drop(
        path.name,
        path.read_bytes(),
        email_column=args.email_column,
        points_column=args.points_column,
        dry_run=args.dry_run,
    )
    reporter = ProgressReporter(rehearsal, drop, write)
    metadata = ', '.join(
        f'{name}={value}'
        for name, value in (
            ('email-column', args.email_column),
            ('points-column', args.points_column),
            ('dry-run', 'true' if args.dry_run else None),
        )
        if value is not None
    )
    reporter.line(
        0.0, 'dropped', f'{drop.uri} ({drop.size} bytes){f"; metadata {metadata}" if metadata else ""}'
    )
    link = review_link(rehearsal, drop, timeout_s=args.timeout, on_poll=reporter.on_poll)
    if link is not None:
        _decide(rehearsal, drop, link, args, reporter)
    return rehearsal.follow(drop, timeout_s=args.timeout, on_poll=reporter.on_poll)


def _decide(
    rehearsal: Rehearsal, drop: Drop, link: str, args: argparse.Namespace, reporter: ProgressReporter
) -> None:
    """A person's turn: the page's form submitted as asked (--approve/--reject), or a real browser."""

    def elapsed() -> float:
        return time.time() - drop.at_wall

    reporter.line(elapsed(), 'review', f'open {link} to decide (served on 127.0.0.1)')
    if args.approve is None and not args.reject:
        reporter.line(elapsed(), 'waiting', 'for your decision in a browser (Ctrl-C stops the rehearsal)')
        if not wait_for_decision(rehearsal, drop, timeout_s=args.review_timeout):
            reporter.line(elapsed(), 'waiting', f'no decision within {args.review_timeout:g} s')
        return
    action = 'reject' if args.reject else 'approve'
    email, points = parse_choice(args.approve or '1')
    answer = submit(link, action, email=email, points=points)
    chosen = f' with EMAIL=column {email}, POINTS=column {points}' if email is not None else ''
    reporter.line(elapsed(), 'decided', f"{action}{chosen} through the page's form: HTTP {answer.status}")
    reporter.line(elapsed(), 'page', answer.text[:300])


def _undo_and_follow(
    rehearsal: Rehearsal,
    outcome: Outcome,
    args: argparse.Namespace,
    write: Callable[[str], None],
    balances: Balances,
) -> Outcome:
    """Drop the import's undo file as `loyalty-import undo` does, follow it, show the balances again."""
    original = outcome.record
    write('')
    if original is None:
        write('Nothing to undo: the file has no import record.')
        return outcome
    write(f'Undoing it: loyalty-import undo {original.wix_import_id or original.pk}')
    from loyalty_import.pipeline.adapters.undo_drop import UndoUnavailableError  # noqa: PLC0415 - see drop_undo

    try:
        drop = rehearsal.drop_undo(original)
    except UndoUnavailableError as exc:
        write(f'Not undone: {exc}.')
        return outcome
    wix_from = len(rehearsal.emulator.requests)
    reporter = ProgressReporter(rehearsal, drop, write)
    reporter.line(0.0, 'dropped', f'{drop.uri} ({drop.size} bytes); metadata undo-of={original.pk}')
    undone = rehearsal.follow(drop, timeout_s=args.timeout, on_poll=reporter.on_poll)
    balances.show(write, after_undo=True)
    print_summary(rehearsal, undone, write, show_logs=args.logs, wix_from=wix_from)
    return undone


def _print_alarms(rehearsal: Rehearsal, write: Callable[[str], None]) -> None:
    """Every alarm of the stack evaluated on what the run emitted (see rehearsal.alarms)."""
    states = rehearsal.evaluate_alarms()
    raised = in_alarm(states)
    shown = f'in ALARM: {", ".join(raised)}' if raised else f'none in ALARM ({len(states)} evaluated)'
    write(f'{"":8} {"alarms":<10} {shown}')


class Balances:
    """A few customers' balances as Wix holds them: before the import (its undo file), after it,
    and after its undo (the emulator's accounts). Emails partly masked."""

    SHOWN = 4

    def __init__(self, rehearsal: Rehearsal, record: ImportRecord | None) -> None:
        self.rehearsal = rehearsal
        self.before: dict[str, int] = {}
        self.after: dict[str, int] = {}
        self.customers: list[str] = []
        self.created: set[str] = set()
        if record is None or record.undo_file is None or record.upload_file is None:
            return
        self.before = dict(read_csv(rehearsal.read_result(record.undo_file)))
        self.after = rehearsal.emulator.balances
        moved = [email for email, points in self.before.items() if self.after.get(email) != points]
        uploaded = [email for email, _ in read_csv(rehearsal.read_result(record.upload_file))]
        self.created = {email for email in uploaded if email not in self.before and email in self.after}
        self.customers = moved[: self.SHOWN - 1] + sorted(self.created)[:1]

    def show(self, write: Callable[[str], None], *, after_undo: bool = False) -> None:
        if not self.customers:
            return
        columns = [('before', self.before), ('after the import', self.after)]
        if after_undo:
            columns.append(('after the undo', self.rehearsal.emulator.balances))
        elapsed = ' ' * 8
        table = balance_table(self.customers, columns, created=self.created).splitlines()
        write(f'{elapsed} {"balances":<10} {table[0]}')
        for row in table[1:]:
            write(f'{"":19}{row}')


def _writer() -> Callable[[str], None]:
    # Bound now: while the rehearsal runs, sys.stdout routes handler output to their log groups.
    stream = sys.stdout

    def write(text: str) -> None:
        stream.write(text + '\n')
        stream.flush()

    return write


if __name__ == '__main__':
    sys.exit(main())
