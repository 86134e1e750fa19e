"""`make load`: many files dropped at once through the rehearsal; prints what it measured.

    python -m chaos.load [--files 50] [--parse-delay-s 2] [--import-delay-s 3] [--clock-scale 1]

Checks (exit 1 if broken): every file recorded, notified exactly once, its own Wix import, never
executed twice. Measures: throughput, Wix calls per import, the busiest 60 s of Wix requests
(Wix allows ~200 per minute per site). Numbers, not assertions: the rehearsal runs every Lambda
invocation one at a time in one process, where AWS would run up to the functions' reserved
concurrency side by side, so read the rate as the pipeline's per-invocation pace.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import warnings
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from chaos.hooks import RATE_LIMITED_ENDPOINTS
from chaos.scenarios import good_csv
from chaos.stack import ChaosStack, StackOptions, chaos_emulator_settings, quiet_logs
from rehearsal.harness import Drop
from wix_emulator import Fault

WIX_RATE_LIMIT_PER_MIN = 200
# Loyalty Accounts reads: the balances before execute (snapshot) and read back after (verification).
BALANCE_CHECK_ENDPOINTS = ('search_accounts',)


@dataclass
class LoadResult:
    files: int
    recorded: int
    imported: int
    notified_once: int
    distinct_wix_imports: int
    duplicate_wix_imports: int
    duplicate_executes: int
    wall_s: float
    wix_requests: int
    by_endpoint: dict[str, int]
    max_requests_per_60s: int
    lambda_invocations: int
    failed_invocations: int
    durations_s: list[float] = field(default_factory=list)
    outcomes: dict[str, int] = field(default_factory=dict)
    throttled: int = 0
    api_requests_answered_per_60s: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def per_import_by_endpoint(self) -> dict[str, float]:
        imports = max(1, self.distinct_wix_imports)
        return {name: round(count / imports, 2) for name, count in self.by_endpoint.items()}

    def to_json(self) -> dict[str, Any]:
        imports = max(1, self.distinct_wix_imports)
        durations = sorted(self.durations_s)
        return {
            'files': self.files,
            'recorded': self.recorded,
            'imported': self.imported,
            'notified_once': self.notified_once,
            'distinct_wix_imports': self.distinct_wix_imports,
            'duplicate_wix_imports': self.duplicate_wix_imports,
            'duplicate_executes': self.duplicate_executes,
            'wall_s': round(self.wall_s, 1),
            'files_per_min': round(self.files / self.wall_s * 60, 1) if self.wall_s else None,
            'wix_requests': self.wix_requests,
            'wix_calls_per_import': round(self.wix_requests / imports, 2),
            'wix_calls_by_endpoint': self.by_endpoint,
            'wix_calls_per_import_by_endpoint': self.per_import_by_endpoint(),
            # What the snapshot before execute and the verification after IMPORTED cost.
            'balance_check_calls_per_import': round(
                sum(self.by_endpoint.get(name, 0) for name in BALANCE_CHECK_ENDPOINTS) / imports, 2
            ),
            'outcomes': self.outcomes,
            'max_wix_requests_per_60s': self.max_requests_per_60s,
            'max_wix_api_calls_served_per_60s': self.api_requests_answered_per_60s,
            'wix_429s': self.throttled,
            'wix_limit_per_min': WIX_RATE_LIMIT_PER_MIN,
            'within_wix_limit': self.max_requests_per_60s <= WIX_RATE_LIMIT_PER_MIN,
            'lambda_invocations': self.lambda_invocations,
            'failed_invocations': self.failed_invocations,
            'median_file_s': round(durations[len(durations) // 2], 1) if durations else None,
            'max_file_s': round(durations[-1], 1) if durations else None,
            'problems': self.problems,
        }


def busiest_window(times: list[float], window_s: float = 60.0) -> int:
    """The most requests in any `window_s` seconds (a sliding window over the request times)."""
    ordered = sorted(times)
    best, start = 0, 0
    for end, at in enumerate(ordered):
        while at - ordered[start] >= window_s:
            start += 1
        best = max(best, end - start + 1)
    return best


def run_load(
    stack: ChaosStack, files: int, *, timeout_s: float, wix_limit_per_min: int | None = None
) -> LoadResult:
    rehearsal = stack.rehearsal
    stack.faults.rate_limit(wix_limit_per_min)
    requests_before = len(stack.emulator.requests)
    invocations_before = len(stack.invocations())
    started = time.monotonic()
    drops: list[Drop] = [
        rehearsal.drop(f'load-{index:03d}.csv', good_csv(f'load{index}')) for index in range(files)
    ]
    hung = stack.follow_all(drops, timeout_s=timeout_s, poll_s=1.0)
    wall_s = time.monotonic() - started
    settled = stack.settle()
    records = {drop.key: stack.record(drop) for drop in drops}
    notified = {drop.key: len(stack.notifications_for(drop)) for drop in drops}
    requests = stack.emulator.requests[requests_before:]
    invocations = stack.invocations()[invocations_before:]
    assert stack.ledger is not None  # noqa: S101 - installed by ChaosStack
    executes = stack.ledger.executes()
    record_imports = [r.wix_import_id for r in records.values() if r is not None and r.wix_import_id]
    result = LoadResult(
        files=files,
        recorded=sum(1 for r in records.values() if r is not None and r.is_final),
        imported=sum(1 for r in records.values() if r is not None and r.status.value == 'IMPORTED'),
        notified_once=sum(1 for count in notified.values() if count == 1),
        distinct_wix_imports=len(set(record_imports)),
        duplicate_wix_imports=sum(1 for drop in drops if len(stack.wix_imports_for(drop)) > 1),
        duplicate_executes=sum(1 for import_id in record_imports if executes[import_id] > 1),
        wall_s=wall_s,
        wix_requests=len(requests),
        by_endpoint=dict(Counter(request.endpoint for request in requests).most_common()),
        max_requests_per_60s=busiest_window([request.at for request in requests]),
        lambda_invocations=len(invocations),
        failed_invocations=sum(1 for invocation in invocations if not invocation.ok),
        durations_s=[r.duration_seconds for r in records.values() if r is not None and r.duration_seconds],
        outcomes=dict(
            Counter(
                (r.status.value + (f' {r.error.code}' if r.error else '')) if r else 'NO RECORD'
                for r in records.values()
            )
        ),
        throttled=sum(1 for request in requests if request.fault == Fault.HTTP_429),
        api_requests_answered_per_60s=busiest_window(
            [r.at for r in requests if r.endpoint in RATE_LIMITED_ENDPOINTS and r.fault is None]
        ),
    )
    if hung or not settled:
        # The guard ran out with work in flight: a hang, whatever the records say at this moment.
        result.problems.append(f'hang: {len(hung)} file(s) unfinished after the {timeout_s:.0f} s guard')
    if result.recorded < files:
        result.problems.append(f'{files - result.recorded} file(s) without a final record')
    if result.notified_once < files:
        result.problems.append(f'{files - result.notified_once} file(s) not notified exactly once')
    if len(record_imports) != len(set(record_imports)):
        result.problems.append('two files share a Wix import')
    if result.duplicate_wix_imports:
        result.problems.append(f'{result.duplicate_wix_imports} file(s) with two Wix imports')
    if result.duplicate_executes:
        result.problems.append(f'{result.duplicate_executes} import(s) executed twice')
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog='python -m chaos.load', description=__doc__.split('\n\n')[0])
    parser.add_argument('--files', type=int, default=50)
    parser.add_argument('--parse-delay-s', type=float, default=2.0, help="the emulator's parse time")
    parser.add_argument('--import-delay-s', type=float, default=3.0, help="the emulator's import time")
    parser.add_argument(
        '--clock-scale', type=float, default=1.0, help='Step Functions waits x this (1: as deployed)'
    )
    parser.add_argument('--timeout-s', type=float, default=600.0)
    parser.add_argument(
        '--wix-limit',
        type=int,
        default=WIX_RATE_LIMIT_PER_MIN,
        help='the emulator answers 429 past this many API calls in 60 s (0: no limit)',
    )
    args = parser.parse_args(argv)
    quiet_logs()
    warnings.simplefilter('ignore')
    options = StackOptions(
        label='load',
        parse_wait_s=60,
        emulator_settings=chaos_emulator_settings(
            parse_delay_s=args.parse_delay_s, import_delay_s=args.import_delay_s
        ),
        clock_scale=args.clock_scale,
    )
    print(
        f'load: {args.files} files dropped at once; Wix parses in {args.parse_delay_s} s, imports in '
        f'{args.import_delay_s} s, answers 429 past {args.wix_limit or "no"} API calls/min; '
        f'Step Functions clock x{args.clock_scale}'
    )
    with ChaosStack(options) as stack:
        result = run_load(
            stack, args.files, timeout_s=args.timeout_s, wix_limit_per_min=args.wix_limit or None
        )
    numbers = result.to_json()
    print(f'  recorded {result.recorded}/{result.files}, notified once {result.notified_once}/{result.files}')
    print(f'  outcomes: {result.outcomes}')
    print(
        f'  distinct Wix imports {result.distinct_wix_imports}, '
        f'duplicate imports {result.duplicate_wix_imports}, duplicate executes {result.duplicate_executes}'
    )
    print(f'  wall {numbers["wall_s"]} s -> {numbers["files_per_min"]} files/min')
    print(f'  Wix requests {result.wix_requests} = {numbers["wix_calls_per_import"]} per import')
    print(f'  by endpoint: {result.by_endpoint}')
    print(f'  per import by endpoint: {numbers["wix_calls_per_import_by_endpoint"]}')
    print(
        f'  snapshot + verification: {numbers["balance_check_calls_per_import"]} Search Accounts '
        'calls per import (one per 100 emails before execute, one per 100 sampled rows after)'
    )
    verdict = 'within' if numbers['within_wix_limit'] else 'OVER'
    print(
        f'  busiest 60 s: {result.max_requests_per_60s} Wix requests sent '
        f'({verdict} ~{WIX_RATE_LIMIT_PER_MIN}/min), '
        f'{result.api_requests_answered_per_60s} API calls served, {result.throttled} answered 429'
    )
    print(f'  Lambda invocations {result.lambda_invocations} ({result.failed_invocations} failed)')
    for problem in result.problems:
        print(f'  PROBLEM: {problem}')
    print(json.dumps(numbers))
    return 0 if result.ok else 1


if __name__ == '__main__':
    sys.exit(main())
