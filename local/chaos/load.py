"""`make load`: files of mixed sizes over several Wix sites, dropped at once through the rehearsal.

    python -m chaos.load [--files 100] [--sites 3] [--no-large] [--wix-limit 200] [--clock-scale 1]

The emulator serves one Wix site per site folder (`incoming/<site>/...`), enforces Wix's rate
limit per site (429 with Retry-After past `--wix-limit` API calls in any 60 s) and takes
realistic, size-dependent times (parse = a + b * MB, import = c + rows / the site's rows per
second, +-5 % seeded jitter). Most files are small, some a few MB, a few over 10 MB (`--no-large`
leaves those out; until large files are split into parts they end REJECTED FILE_TOO_LARGE and
are reported as such).

Sites: when the product knows sites (`ImportRecord.site` exists), the rehearsal's credentials
secret is seeded with the multi-site shape `{"sites": {"<name>": {"mode": "api_key", ...}}}`, one
emulator site each. Before that, the secret stays single-site and every folder goes to the one
default site: `sites_reached` (the sites Wix calls actually went to) says which happened.

Checks (exit 1 if broken): every file recorded final, notified exactly once, at most one Wix
import per file part, never executed twice, no hang (the `--timeout-s` guard). The last line is
one JSON object; among its numbers:

- `calls_per_import_median`: per file, every Wix request attributable to it (its upload URL,
  upload, create, polls, execute, error file, its Search Accounts), the median over files that
  reached Wix (see chaos.load_measure).
- `detection_lag_p95_s`: per file, the record's final time minus the moment the emulator finished
  the file's (last) import; `detection_lag_rel_p95`: that lag / Wix's own time for the file
  (created -> finished); `detection_lag_within_target`: the share of files within issue 14's
  max(5 s, 10 % of Wix's time).
- `transitions_per_import_median`: Step Functions states entered per execution (its history).
- `files_per_min`: files / (first drop -> last final record) * 60.
- `limit_pace_files_per_min`: what Wix's limit allows for this run's calls = files / (the busiest
  site's rate-limited requests / wix_limit_per_min): no pipeline could push those calls through
  faster. `limit_pace_at_median_files_per_min`: sites_reached * wix_limit_per_min /
  calls_per_import_median (every file at the median cost). `throughput_share_of_limit_pace`:
  files_per_min / limit_pace_files_per_min.
- `lambda_busy_share`: the time some handler ran / the wall time. The rehearsal runs one Lambda
  invocation at a time (one process, one os.environ), where AWS runs them side by side; near 1,
  that lane, not Wix's limit, sets the pace: `serial_pace_files_per_min` is files / busy time.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import sys
import time
import warnings
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any

from chaos.load_files import LoadFile, LoadPlan, Size, plan_files
from chaos.load_measure import (
    FileOutcome,
    SearchLedger,
    attributable_calls,
    median,
    percentile,
    rounded,
    site_ledger,
    states_entered,
    subjects_by_file,
    wix_imports_of,
)
from chaos.stack import ChaosStack, StackOptions, chaos_emulator_settings, quiet_logs
from loyalty_import.pipeline.models import ImportRecord
from rehearsal.harness import FINAL_EXECUTION_STATES, SECRET_ID, Drop
from rehearsal.lambda_runtime import Invocation
from wix_emulator import DEFAULT_SITE, RATE_LIMITED_ENDPOINTS, EmulatorSettings, LoggedRequest, Pace

WIX_RATE_LIMIT_PER_MIN = 200
# Each site imports at its own pace (rows per second), cycled over the sites.
SITE_ROWS_PER_S = (1000.0, 2000.0, 4000.0)
LOAD_PACE = Pace(parse_base_s=1.0, parse_s_per_mb=1.0, import_base_s=2.0, rows_per_s=1000.0, jitter=0.05)


def product_knows_sites() -> bool:
    """The product routes a file to its folder's site (the sites work: `ImportRecord.site`)."""
    return 'site' in ImportRecord.model_fields


def busiest_window(times: list[float], window_s: float = 60.0) -> int:
    """The most requests in any `window_s` seconds (a sliding window over the request times)."""
    ordered = sorted(times)
    best, start = 0, 0
    for end, at in enumerate(ordered):
        while at - ordered[start] >= window_s:
            start += 1
        best = max(best, end - start + 1)
    return best


@dataclass
class LoadResult:
    plan: LoadPlan
    wix_limit_per_min: int | None
    multi_site_secret: bool
    outcomes: list[FileOutcome]
    requests: list[LoggedRequest]
    invocations: list[Invocation]
    wall_s: float
    hung: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def imported(self) -> int:
        return sum(1 for o in self.outcomes if o.outcome == 'IMPORTED')

    @property
    def lost(self) -> int:
        return sum(1 for o in self.outcomes if o.final_at is None)

    @property
    def sites_reached(self) -> list[str]:
        return sorted({site for o in self.outcomes for site in o.sites_called})

    @property
    def calls_per_import_median(self) -> float | None:
        return median(o.calls for o in self.outcomes if o.wix_imports)

    @property
    def throttled(self) -> int:
        return sum(1 for r in self.requests if r.status == 429)

    @property
    def busy_s(self) -> float:
        return sum(i.duration_s for i in self.invocations)

    def limit_pace(self) -> float | None:
        """Files a minute Wix's limit lets through for THIS run's calls: each site's rate-limited
        requests take at least requests / limit minutes, and the run ends with its busiest site."""
        if self.wix_limit_per_min is None:
            return None
        per_site = Counter(r.site for r in self.requests if r.site and r.endpoint in RATE_LIMITED_ENDPOINTS)
        if not per_site:
            return None
        minutes = max(per_site.values()) / self.wix_limit_per_min
        return len(self.outcomes) / minutes

    def limit_pace_at_median(self) -> float | None:
        """The same at every file costing the median: sites * limit / calls per import."""
        calls = self.calls_per_import_median
        if not calls or self.wix_limit_per_min is None:
            return None
        return max(1, len(self.sites_reached)) * self.wix_limit_per_min / calls

    def lags(self) -> tuple[list[float], list[float], list[bool]]:
        absolute: list[float] = []
        relative: list[float] = []
        within: list[bool] = []
        for o in self.outcomes:
            lag, duration, target = o.lag_s, o.wix_duration_s, o.lag_target_s
            if lag is None or duration is None or target is None:
                continue
            absolute.append(lag)
            relative.append(lag / duration if duration > 0 else 0.0)
            within.append(lag <= target)
        return absolute, relative, within

    def to_json(self) -> dict[str, Any]:
        absolute, relative, within = self.lags()
        files = len(self.outcomes)
        served = [r.at for r in self.requests if r.endpoint in RATE_LIMITED_ENDPOINTS and r.status != 429]
        return {
            'files': files,
            'sites': self.plan.sites,
            'sites_reached': len(self.sites_reached),
            'multi_site_secret': self.multi_site_secret,
            'by_size': dict(Counter(o.file.size.value for o in self.outcomes)),
            'imported': self.imported,
            'lost': self.lost,
            'duplicate_wix_imports': sum(1 for o in self.outcomes if len(o.wix_imports) > _parts(o)),
            'duplicate_executes': sum(1 for o in self.outcomes if o.executes > 1),
            'unnotified': sum(1 for o in self.outcomes if o.notifications == 0),
            'notified_more_than_once': sum(1 for o in self.outcomes if o.notifications > 1),
            'outcomes': dict(Counter(o.outcome for o in self.outcomes)),
            'large_outcomes': dict(Counter(o.outcome for o in self.outcomes if o.file.size == Size.LARGE)),
            'wix_requests': len(self.requests),
            'wix_429': self.throttled,
            'wix_429_share': rounded(self.throttled / len(self.requests), 4) if self.requests else None,
            'wix_limit_per_min': self.wix_limit_per_min,
            'max_wix_api_calls_served_per_60s_per_site': self._busiest_per_site(),
            'max_wix_api_calls_served_per_60s': busiest_window(served),
            'calls_per_import_median': self.calls_per_import_median,
            'wix_calls_per_file_mean': rounded(len(self.requests) / files),
            'wix_calls_by_endpoint': dict(Counter(r.endpoint for r in self.requests).most_common()),
            'detection_lag_p50_s': rounded(median(absolute)),
            'detection_lag_p95_s': rounded(percentile(absolute, 0.95)),
            'detection_lag_rel_p95': rounded(percentile(relative, 0.95), 3),
            'detection_lag_within_target': rounded(sum(within) / len(within), 3) if within else None,
            'wix_time_p50_s': rounded(
                median(d for o in self.outcomes if (d := o.wix_duration_s) is not None)
            ),
            'transitions_per_import_median': median(
                o.transitions for o in self.outcomes if o.transitions is not None
            ),
            'wall_s': round(self.wall_s, 1),
            'files_per_min': rounded(files / self.wall_s * 60) if self.wall_s else None,
            'limit_pace_files_per_min': rounded(self.limit_pace()),
            'limit_pace_at_median_files_per_min': rounded(self.limit_pace_at_median()),
            'throughput_share_of_limit_pace': rounded(files / self.wall_s * 60 / pace, 3)
            if (pace := self.limit_pace()) and self.wall_s
            else None,
            'lambda_invocations': len(self.invocations),
            'failed_invocations': sum(1 for i in self.invocations if not i.ok),
            'lambda_busy_s': round(self.busy_s, 1),
            'lambda_busy_share': rounded(self.busy_s / self.wall_s) if self.wall_s else None,
            'lambda_busy_s_by_function': self._busy_by_function(),
            'serial_pace_files_per_min': rounded(files / self.busy_s * 60) if self.busy_s else None,
            'hung': self.hung,
            'problems': self.problems,
        }

    def _busiest_per_site(self) -> dict[str, int]:
        by_site: dict[str, list[float]] = {}
        for r in self.requests:
            if r.site and r.endpoint in RATE_LIMITED_ENDPOINTS and r.status != 429:
                by_site.setdefault(r.site, []).append(r.at)
        return {site: busiest_window(times) for site, times in sorted(by_site.items())}

    def _busy_by_function(self) -> dict[str, float]:
        busy: dict[str, float] = {}
        for invocation in self.invocations:
            busy[invocation.logical_id] = busy.get(invocation.logical_id, 0.0) + invocation.duration_s
        return {name: round(seconds, 1) for name, seconds in sorted(busy.items(), key=lambda kv: -kv[1])}


def _parts(outcome: FileOutcome) -> int:
    """How many Wix imports the file may have: one per part (a record without parts: one)."""
    parts = getattr(outcome.record, 'parts', None) if outcome.record is not None else None
    return max(1, len(parts)) if isinstance(parts, list) else 1


def load_emulator_settings(wix_limit_per_min: int | None) -> EmulatorSettings:
    base = chaos_emulator_settings()
    return EmulatorSettings(
        pace=LOAD_PACE,
        rate_limit_per_min=wix_limit_per_min,
        unknown_contacts=base.unknown_contacts,
        slow_s=base.slow_s,
        retry_after_s=base.retry_after_s,
    )


def open_sites(stack: ChaosStack, plan: LoadPlan, rows_per_s: tuple[float, ...]) -> bool:
    """One emulator site per site folder; the multi-site secret when the product knows sites.

    Returns whether the multi-site secret was seeded (else every folder goes to the default site).
    """
    emulator = stack.emulator
    credentials = {
        name: emulator.add_site(name, rows_per_s=rows_per_s[index % len(rows_per_s)])
        for index, name in enumerate(plan.site_names)
    }
    if not product_knows_sites():
        return False
    secret = {
        'sites': {
            name: {'mode': 'api_key', 'api_key': creds.api_key, 'site_id': creds.site_id}
            for name, creds in credentials.items()
        }
    }
    # botocore logs request parameters at DEBUG: keep the keys out of any log.
    previous = logging.root.manager.disable
    logging.disable(logging.DEBUG)
    try:
        with stack.guard():
            stack.client('secretsmanager').put_secret_value(
                SecretId=stack.rehearsal.resource(SECRET_ID), SecretString=json.dumps(secret)
            )
    finally:
        logging.disable(previous)
    return True


def follow(
    stack: ChaosStack,
    drops: list[Drop],
    *,
    timeout_s: float,
    poll_s: float,
    progress: Callable[[str], None] | None = None,
) -> list[Drop]:
    """Wait until every drop has a final record, a notification and no running execution.

    Returns the drops still not there when `timeout_s` (the hang guard) ran out. Each round
    holds the Lambda lane still while it reads (see ChaosStack.guard): rounds are spaced.
    """
    pending, deadline, said = list(drops), time.monotonic() + timeout_s, 0.0
    while pending and time.monotonic() < deadline:
        with _held_still(stack, deadline) as held:
            if not held:
                break  # the lane never paused before the guard ran out: a hang
            notified = stack.rehearsal.notifications()
            pending = [drop for drop in pending if not _done(stack, drop, notified)]
        if progress is not None and time.monotonic() - said >= 30.0:
            said = time.monotonic()
            requests = stack.emulator.requests
            throttled = sum(1 for r in requests if r.status == 429)
            progress(
                f'  ... {len(drops) - len(pending)}/{len(drops)} done, '
                f'{len(requests)} Wix requests, {throttled} answered 429'
            )
        if pending:
            time.sleep(poll_s)
    return pending


@contextlib.contextmanager
def _held_still(stack: ChaosStack, deadline: float) -> Iterator[bool]:
    """ChaosStack.guard(), but given up at `deadline` (False): invocations queued back to back
    can keep the runtime's lock for minutes, and the hang guard must still fire."""
    lock = getattr(stack.rehearsal.runtime, '_lock', None)  # the runtime's one-invocation lock
    if lock is None:
        with stack.guard():
            yield True
        return
    held = lock.acquire(timeout=max(0.01, deadline - time.monotonic()))
    try:
        yield held
    finally:
        if held:
            lock.release()


def _done(stack: ChaosStack, drop: Drop, notified: list[Any]) -> bool:
    record = stack.rehearsal.record(drop)
    return (
        record is not None
        and record.is_final
        and any(m.mentions(drop.source.source_id) for m in notified)
        and stack.rehearsal.execution_status(record) in {None, *FINAL_EXECUTION_STATES}
    )


def run_load(
    stack: ChaosStack,
    plan: LoadPlan,
    *,
    timeout_s: float,
    wix_limit_per_min: int | None = None,
    rows_per_s: tuple[float, ...] = SITE_ROWS_PER_S,
    poll_s: float = 1.0,
    progress: Callable[[str], None] | None = None,
) -> LoadResult:
    """Drop the plan's files at once, follow them to the end (bounded), measure and check."""
    multi = open_sites(stack, plan, rows_per_s)
    stores = [site.running_store() for site in stack.emulator.sites.values()]
    ledgers = [stack.ledger] + [site_ledger(s) for s in stores if s.site != DEFAULT_SITE]
    searches = SearchLedger(stores)
    files = plan_files(plan)
    requests_before = len(stack.emulator.requests)
    invocations_before = len(stack.invocations())
    started = time.time()
    drops = [stack.rehearsal.drop(f.name, f.content) for f in files]
    hung = follow(stack, drops, timeout_s=timeout_s, poll_s=poll_s, progress=progress)
    if hung and stack.rehearsal.runtime is not None:
        # The guard ran out: refuse further invocations, else the queued ones keep the lane (and
        # every read below) waiting. What is unfinished stays unfinished, reported as a hang.
        stack.rehearsal.runtime.close(30.0)
    settled = not hung and stack.settle(timeout_s=timeout_s)
    requests = stack.emulator.requests[requests_before:]
    outcomes = _outcomes(stack, files, drops, ledgers=ledgers, searches=searches, requests=requests)
    finals = [o.final_at for o in outcomes if o.final_at is not None]
    result = LoadResult(
        plan=plan,
        wix_limit_per_min=wix_limit_per_min,
        multi_site_secret=multi,
        outcomes=outcomes,
        requests=requests,
        invocations=stack.invocations()[invocations_before:],
        wall_s=(max(finals) if finals else time.time()) - started,
        # The follow may never have had a round (the lane held throughout): count from the records.
        hung=sum(1 for o in outcomes if o.final_at is None) if hung else 0,
    )
    result.problems = _problems(result, settled, timeout_s)
    return result


def _outcomes(
    stack: ChaosStack,
    files: list[LoadFile],
    drops: list[Drop],
    *,
    ledgers: list[Any],
    searches: SearchLedger,
    requests: list[LoggedRequest],
) -> list[FileOutcome]:
    timings = list(stack.emulator.timings().values())
    imports = {f.tag: wix_imports_of(timings, f) for f in files}
    calls, sites = attributable_calls(requests, subjects_by_file(stack.emulator, imports))
    executes: Counter[str] = Counter()
    for ledger in ledgers:
        executes.update(ledger.executes())
    sfn = stack.client('stepfunctions')
    with stack.guard():
        notified = stack.rehearsal.notifications()
    outcomes = []
    for file, drop in zip(files, drops, strict=True):
        record = stack.record(drop)
        mine = imports[file.tag]
        outcomes.append(
            FileOutcome(
                file=file,
                drop=drop,
                record=record,
                notifications=sum(1 for m in notified if m.mentions(drop.source.source_id)),
                wix_imports=mine,
                executes=max((executes[t.import_id] for t in mine), default=0),
                calls=calls[file.tag] + searches.by_tag[file.tag],
                transitions=_transitions(stack, sfn, record),
                sites_called=sites.get(file.tag, set()),
            )
        )
    return outcomes


def _transitions(stack: ChaosStack, sfn: Any, record: ImportRecord | None) -> int | None:
    if record is None or not record.execution_arn:
        return None
    with stack.guard(), contextlib.suppress(Exception):  # a history moto cannot give: not measured
        return states_entered(sfn, record.execution_arn)
    return None


def _problems(result: LoadResult, settled: bool, timeout_s: float) -> list[str]:
    numbers = result.to_json()
    problems = []
    if result.hung or not settled:
        # The guard ran out with work in flight: a hang, whatever the records say at this moment.
        problems.append(f'hang: {result.hung} file(s) unfinished after the {timeout_s:.0f} s guard')
    if numbers['lost']:
        problems.append(f'{numbers["lost"]} file(s) without a final record')
    if numbers['unnotified'] or numbers['notified_more_than_once']:
        problems.append(
            f'{numbers["unnotified"]} file(s) not notified, '
            f'{numbers["notified_more_than_once"]} more than once'
        )
    owners: Counter[str] = Counter(t.import_id for o in result.outcomes for t in o.wix_imports)
    if any(count > 1 for count in owners.values()):
        problems.append('two files share a Wix import')
    if numbers['duplicate_wix_imports']:
        problems.append(f'{numbers["duplicate_wix_imports"]} file(s) with more Wix imports than parts')
    if numbers['duplicate_executes']:
        problems.append(f'{numbers["duplicate_executes"]} file(s) with an import executed twice')
    return problems


def print_tables(result: LoadResult) -> None:
    """Per site and per size: files, imported, Wix calls, 429s, calls per file, lag."""
    print(f'  {"":<10} {"files":>5} {"imported":>8} {"calls/file":>10} {"lag p95 s":>9} {"wix p50 s":>9}')
    groups: dict[str, list[FileOutcome]] = {}
    for o in result.outcomes:
        groups.setdefault(f'site {o.file.site}', []).append(o)
    for o in result.outcomes:
        groups.setdefault(f'size {o.file.size.value}', []).append(o)
    for name, members in groups.items():
        lag = percentile((o.lag_s for o in members if o.lag_s is not None), 0.95)
        wix = median(d for o in members if (d := o.wix_duration_s) is not None)
        calls = median(o.calls for o in members if o.wix_imports)
        imported = sum(1 for o in members if o.outcome == 'IMPORTED')
        print(
            f'  {name:<10} {len(members):>5} {imported:>8} {_cell(calls):>10} {_cell(lag):>9} {_cell(wix):>9}'
        )


def _cell(value: float | None) -> str:
    return '-' if value is None else f'{value:.1f}'


def print_summary(result: LoadResult, numbers: dict[str, Any]) -> None:
    if not result.multi_site_secret:
        print('  NOTE: the product does not know sites yet: every folder went to the one default site')
    print(f'  outcomes: {numbers["outcomes"]}; large files (> 10 MB): {numbers["large_outcomes"] or "none"}')
    print(
        f'  Wix requests {numbers["wix_requests"]}, 429 {numbers["wix_429"]} ({numbers["wix_429_share"]}), '
        f'busiest 60 s per site {numbers["max_wix_api_calls_served_per_60s_per_site"]}'
    )
    print(
        f'  calls per import (median) {numbers["calls_per_import_median"]}, '
        f'transitions per execution (median) {numbers["transitions_per_import_median"]}'
    )
    print(
        f'  detection lag p95 {numbers["detection_lag_p95_s"]} s '
        f'(relative {numbers["detection_lag_rel_p95"]}); '
        f'within max(5 s, 10 %): {numbers["detection_lag_within_target"]}'
    )
    print(
        f'  {numbers["files_per_min"]} files/min over {numbers["wall_s"]} s; the rate limit allows '
        f'{numbers["limit_pace_files_per_min"]}; the serialized Lambda lane '
        f'{numbers["serial_pace_files_per_min"]} (busy {numbers["lambda_busy_share"]} of the wall time)'
    )
    for problem in result.problems:
        print(f'  PROBLEM: {problem}')


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog='python -m chaos.load', description=__doc__.split('\n\n')[0])
    parser.add_argument('--files', type=int, default=100)
    parser.add_argument('--sites', type=int, default=3, help='site folders, one Wix site each')
    parser.add_argument('--medium-share', type=float, default=0.10, help='share of files of a few MB')
    parser.add_argument('--large-share', type=float, default=0.03, help='share of files over 10 MB')
    parser.add_argument('--no-large', action='store_true', help='no file over 10 MB')
    parser.add_argument(
        '--rows-per-s',
        default=','.join(f'{r:g}' for r in SITE_ROWS_PER_S),
        help="each site's Wix import pace, cycled over the sites",
    )
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument(
        '--clock-scale', type=float, default=1.0, help='Step Functions waits x this (1: as deployed)'
    )
    parser.add_argument(
        '--parse-wait-s', type=int, default=0, help='the ParseWaitSeconds parameter (0: the template default)'
    )
    parser.add_argument('--timeout-s', type=float, default=1800.0, help='the hang guard')
    parser.add_argument(
        '--parameter',
        action='append',
        default=[],
        metavar='KEY=VALUE',
        help='a template parameter override, e.g. SnapshotBeforeImport=false (repeatable)',
    )
    parser.add_argument(
        '--wix-limit',
        type=int,
        default=WIX_RATE_LIMIT_PER_MIN,
        help='per site, 429 past this many API calls in 60 s (0: no limit)',
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    quiet_logs()
    warnings.simplefilter('ignore')
    plan = LoadPlan(
        files=args.files,
        sites=args.sites,
        medium_share=args.medium_share,
        large_share=0.0 if args.no_large else args.large_share,
        seed=args.seed,
    )
    limit = args.wix_limit or None
    options = StackOptions(
        label='load',
        parse_wait_s=args.parse_wait_s,
        emulator_settings=load_emulator_settings(limit),
        clock_scale=args.clock_scale,
    )
    rows_per_s = tuple(float(part) for part in args.rows_per_s.split(','))
    overrides = dict(pair.split('=', 1) for pair in args.parameter)
    print(
        f'load: {plan.files} files over {plan.sites} sites dropped at once '
        f'({plan.medium_share:.0%} of a few MB, {plan.large_share:.0%} over 10 MB); '
        f'Wix: {args.wix_limit or "no"} calls/min per site, '
        f'parse {LOAD_PACE.parse_base_s:g} s + {LOAD_PACE.parse_s_per_mb:g} s/MB, import '
        f'{LOAD_PACE.import_base_s:g} s + rows / {args.rows_per_s} rows/s; '
        f'Step Functions clock x{args.clock_scale}' + (f'; parameters {overrides}' if overrides else '')
    )
    stack = ChaosStack(options)
    config = stack.rehearsal.config
    stack.rehearsal.config = replace(config, parameters={**config.parameters, **overrides})
    with stack:
        result = run_load(
            stack,
            plan,
            timeout_s=args.timeout_s,
            wix_limit_per_min=limit,
            rows_per_s=rows_per_s,
            poll_s=3.0,
            progress=lambda line: print(line, flush=True),
        )
    numbers = result.to_json()
    print_tables(result)
    print_summary(result, numbers)
    print(json.dumps(numbers))
    return 0 if result.ok else 1


if __name__ == '__main__':
    sys.exit(main())
