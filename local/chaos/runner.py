"""Run scenarios on reused stacks and check, per file, the promises that faults must not break.

Per file: exactly one final record, exactly one notification, at most one Wix import and one
execute, the rejection report or the error file kept, no dead-letter message, the expected end.
Evidence comes from the emulator's request log and store, DynamoDB, SNS (its SQS subscription),
S3 and the DLQ: never from the product's own logs.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from chaos.scenarios import STACKS, Scenario, bad_csv, good_csv
from chaos.stack import ChaosStack, StackOptions
from rehearsal.harness import Drop


@dataclass
class FileResult:
    key: str
    status: str | None  # the record's status; None: no record
    error_code: str | None
    notifications: int
    wix_imports: int
    executes: int
    problems: list[str] = field(default_factory=list)


@dataclass
class ScenarioResult:
    scenario: Scenario
    files: list[FileResult]
    elapsed_s: float
    wix_requests: int
    faulted_requests: int
    invocations: int
    failed_invocations: int
    problems: list[str] = field(default_factory=list)
    kills: int = 0  # invocations killed between two of their side effects

    @property
    def violations(self) -> list[str]:
        return self.problems + [problem for file in self.files for problem in file.problems]

    @property
    def ok(self) -> bool:
        return not self.violations


def _drops(stack: ChaosStack, scenario: Scenario, seq: int) -> list[Drop]:
    rehearsal = stack.rehearsal
    drops = []
    for index in range(scenario.files):
        suffix = f'-{index + 1}' if scenario.files > 1 else ''
        name = f'{seq:03d}-{scenario.id}{suffix}.csv'
        content = bad_csv() if scenario.bad_file else good_csv(f'{seq}{suffix}')
        with stack.guard():
            drops.append(rehearsal.drop(name, content))
    return drops


def run_scenario(stack: ChaosStack, scenario: Scenario, seq: int) -> ScenarioResult:
    stack.reset()
    started = time.monotonic()
    requests_before = len(stack.emulator.requests)
    invocations_before = len(stack.invocations())
    dlq_before = stack.dlq_messages()
    kills_before = stack.kills.kills
    scenario.arm(stack)
    drops = _drops(stack, scenario, seq)
    hung = stack.follow_all(drops, timeout_s=scenario.follow_timeout_s)
    if scenario.redeliver_after:
        for drop in drops:
            with stack.guard():
                stack.rehearsal.redeliver(drop)
    # Counted only once nothing is in flight, so a late duplicate notification or execute shows.
    settled = stack.settle()
    problems = []
    if hung:
        guard = scenario.follow_timeout_s
        problems.append(f'hang: {len(hung)} file(s) not finished after the {guard:.0f} s guard')
    if not settled:
        problems.append('hang: deliveries or executions still running after the guard')
    unfired = stack.armed()
    if unfired:
        problems.append(f'{unfired} injected fault(s) never fired')
    dlq = stack.dlq_messages() - dlq_before
    if dlq:
        problems.append(f'{dlq} message(s) in the importer DLQ')
    requests = stack.emulator.requests[requests_before:]
    invocations = stack.invocations()[invocations_before:]
    stack.reset()
    return ScenarioResult(
        scenario=scenario,
        files=[
            check_file(stack, drop, scenario.expect, hung=drop in hung, notifications=scenario.notifications)
            for drop in drops
        ],
        elapsed_s=time.monotonic() - started,
        wix_requests=len(requests),
        faulted_requests=sum(1 for request in requests if request.fault is not None),
        invocations=len(invocations),
        failed_invocations=sum(1 for invocation in invocations if not invocation.ok),
        problems=problems,
        kills=stack.kills.kills - kills_before,
    )


def check_file(
    stack: ChaosStack, drop: Drop, expect: Iterable[str], *, hung: bool = False, notifications: int = 1
) -> FileResult:
    record = stack.record(drop)
    imports = stack.wix_imports_for(drop)
    assert stack.ledger is not None  # noqa: S101 - installed by ChaosStack
    executes = stack.ledger.executes()
    result = FileResult(
        key=drop.key,
        status=record.status.value if record else None,
        error_code=record.error.code if record and record.error else None,
        notifications=len(stack.notifications_for(drop)),
        wix_imports=len(imports),
        executes=sum(executes[import_id] for import_id in imports),
    )
    problems = result.problems
    if hung:
        # Still going when the guard ran out: a hang (of the rehearsal or the product), not a loss.
        problems.append(f'hang: still {"without a record" if record is None else record.status.value}')
    elif record is None or not record.is_final:
        problems.append(f'lost: {"no record" if record is None else record.status.value}')
    elif result.notifications == 0:
        problems.append('unnotified')
    if result.notifications > notifications:
        problems.append(f'{result.notifications} notifications')
    if result.wix_imports > 1:
        problems.append(f'{result.wix_imports} Wix imports')
    if any(executes[import_id] > 1 for import_id in imports):
        problems.append('executed twice')
    if record is not None and record.is_final and record.status.value not in set(expect):
        problems.append(
            f'ended {record.status.value} ({result.error_code}), expected {"/".join(sorted(expect))}'
        )
    if (
        record is not None
        and record.status.value == 'REJECTED'
        and not (record.report and stack.object_exists(record.report))
    ):
        problems.append('no rejection report in S3')
    wants_error_file = bool(record and record.import_result and record.import_result.error_file_exists)
    if (
        record is not None
        and wants_error_file
        and not (record.error_file and stack.object_exists(record.error_file))
    ):
        problems.append("Wix's error file not kept in S3")
    return result


def run_all(
    scenarios: list[Scenario],
    *,
    budget_s: float | None = None,
    on_result: Callable[[ScenarioResult], None] | None = None,
    stacks: dict[str, StackOptions] | None = None,
) -> tuple[list[ScenarioResult], list[Scenario]]:
    """Run scenarios stack by stack (one rehearsal each); returns the results and what did not run.

    `budget_s`: stop starting scenarios after this many seconds (an opt-in for a person who wants a
    subset quickly; the tests pass none, so how fast the machine is never decides what runs).
    """
    stacks = stacks or STACKS
    deadline = time.monotonic() + budget_s if budget_s is not None else float('inf')
    results: list[ScenarioResult] = []
    skipped: list[Scenario] = []
    seq = 0
    for label, options in stacks.items():
        mine = [scenario for scenario in scenarios if scenario.stack == label]
        if not mine:
            continue
        if time.monotonic() >= deadline:
            skipped += mine
            continue
        with ChaosStack(options) as stack:
            for scenario in mine:
                if time.monotonic() >= deadline:
                    skipped.append(scenario)
                    continue
                seq += 1
                result = run_scenario(stack, scenario, seq)
                results.append(result)
                if on_result is not None:
                    on_result(result)
    return results, skipped


def summary(results: list[ScenarioResult], skipped: list[Scenario], elapsed_s: float) -> dict[str, Any]:
    files = [file for result in results for file in result.files]

    def count(problem: str) -> int:
        return sum(1 for file in files for p in file.problems if p.startswith(problem))

    return {
        'scenarios': len(results),
        'files': len(files),
        'imported': sum(1 for file in files if file.status == 'IMPORTED'),
        'failed_recorded': sum(
            1 for file in files if file.status in {'FAILED', 'REJECTED', 'TIMED_OUT'} and file.notifications
        ),
        'lost': count('lost'),
        'hangs': sum(1 for result in results if any(p.startswith('hang') for p in result.problems)),
        'duplicate_wix_imports': sum(1 for file in files if file.wix_imports > 1),
        'duplicate_executes': count('executed twice'),
        'unnotified': count('unnotified'),
        'duplicate_notifications': sum(
            1 for file in files if any(p.endswith(' notifications') for p in file.problems)
        ),
        # Killed after the publish, before its confirmation: sent again (at least once), by design.
        'accepted_duplicate_notifications': sum(
            1
            for file in files
            if file.notifications > 1 and not any(p.endswith(' notifications') for p in file.problems)
        ),
        'unexpected_outcomes': count('ended '),
        'dlq_messages': sum(1 for result in results for p in result.problems if 'DLQ' in p),
        'faults_not_fired': sum(1 for result in results for p in result.problems if 'never fired' in p),
        'wix_requests': sum(result.wix_requests for result in results),
        'faulted_wix_requests': sum(result.faulted_requests for result in results),
        'lambda_invocations': sum(result.invocations for result in results),
        'kills': sum(result.kills for result in results),
        'not_run': len(skipped),
        'violations': sum(len(result.violations) for result in results) + len(skipped),
        'elapsed_s': round(elapsed_s, 1),
    }
