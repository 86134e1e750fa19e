"""`make demo`: rehearse the whole pipeline on one machine and follow one file to the end.

    python -m rehearsal [--file PATH] [--email-column COL] [--points-column COL] [--dry-run]

No AWS account, no Docker, no network: template.yaml is deployed into moto in this process, the
real handlers run on its events and a Wix emulator answers on 127.0.0.1. The last line printed is
the file's final DynamoDB record as one JSON object; the exit code is 0 only when it is IMPORTED.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from rehearsal.harness import Outcome, Rehearsal, RehearsalConfig, RehearsalError, demo_emulator_settings
from rehearsal.progress import ProgressReporter, final_line, print_summary
from rehearsal.runtime_env import ensure_runtime_env
from rehearsal.template import TemplateError

SAMPLES = Path(__file__).resolve().parent / 'samples'
DEFAULT_SAMPLE = SAMPLES / 'loyaltylion-export.csv'
EXIT_IMPORTED, EXIT_OTHER_OUTCOME, EXIT_NOT_FINISHED = 0, 1, 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog='python -m rehearsal', description=__doc__.split('\n\n')[0])
    parser.add_argument(
        '--file', type=Path, default=DEFAULT_SAMPLE, help='CSV to drop (default: a bundled sample)'
    )
    parser.add_argument('--email-column', help='override: header name or 0-based index of the EMAIL column')
    parser.add_argument('--points-column', help='override: header name or 0-based index of the POINTS column')
    parser.add_argument('--dry-run', action='store_true', help='inspect, record and notify; no Wix call')
    parser.add_argument(
        '--timeout', type=float, default=120.0, help='seconds to follow the file (default 120)'
    )
    parser.add_argument('--template', type=Path, default=RehearsalConfig().template, help=argparse.SUPPRESS)
    parser.add_argument('--logs', action='store_true', help="also print the functions' log lines")
    parser.add_argument(
        '--isolated',
        action='store_true',
        help='run each function in its own process with only requirements/runtime.txt (as in Lambda)',
    )
    # For tests of this command: Wix emulator delays and the Step Functions clock (1 = real seconds).
    parser.add_argument('--wix-delay-s', type=float, default=None, help=argparse.SUPPRESS)
    parser.add_argument('--clock-scale', type=float, default=1.0, help=argparse.SUPPRESS)
    return parser


def _unknown_contacts(sample: Path) -> frozenset[str]:
    """The bundled sample's customers that are not Wix contacts (so row failures show)."""
    sidecar = sample.with_suffix('.emulator.json')
    if not sidecar.is_file():
        return frozenset()
    return frozenset(json.loads(sidecar.read_text(encoding='utf-8')).get('unknown_contacts', []))


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    path: Path = args.file
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
            print_summary(rehearsal, outcome, write, show_logs=args.logs)
    except (RehearsalError, TemplateError) as exc:
        print(f'the rehearsal could not run: {exc}', file=sys.stderr)
        return EXIT_NOT_FINISHED
    write(final_line(outcome))
    if not outcome.finished:
        return EXIT_NOT_FINISHED
    return EXIT_IMPORTED if outcome.status == 'IMPORTED' else EXIT_OTHER_OUTCOME


def _config(args: argparse.Namespace, path: Path) -> RehearsalConfig:
    emulator_settings = demo_emulator_settings(_unknown_contacts(path))
    if args.wix_delay_s is not None:
        emulator_settings = replace(
            emulator_settings, parse_delay_s=args.wix_delay_s, import_delay_s=args.wix_delay_s
        )
    return RehearsalConfig(
        template=args.template,
        emulator_settings=emulator_settings,
        clock_scale=args.clock_scale,
        async_retry_delay_s=min(1.0, args.clock_scale),
        lambda_python=ensure_runtime_env() if args.isolated else None,
    )


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
    return rehearsal.follow(drop, timeout_s=args.timeout, on_poll=reporter.on_poll)


def _writer() -> Callable[[str], None]:
    # Bound now: while the rehearsal runs, sys.stdout routes handler output to their log groups.
    stream = sys.stdout

    def write(text: str) -> None:
        stream.write(text + '\n')
        stream.flush()

    return write


if __name__ == '__main__':
    sys.exit(main())
