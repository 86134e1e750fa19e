"""`make soak`: hundreds of files through the rehearsal, faults of every kind at random points.

python -m chaos.soak [--seed N] [--files 300] [--batch 12] [--budget-s SECONDS]

Files are dropped in batches (all of a batch at once, so their invocations and executions
interleave); before each batch a seeded draw arms faults of every kind at random points: Wix
faults on any call (429, 500, 503, slow, dropped, done but the response lost), AWS faults
(throttled or failing DynamoDB writes, SNS publish failures), Lambda errors (throttles, crashes;
each at most once a batch),
kills of any function between two of its side effects (`chaos.kills`), S3 events delivered twice
at once or again later. About one file in six is one the product must refuse (nothing here waits
for a person's review). Faults that found no call to hit are dropped before the next batch.

Per file, the promises of `chaos.runner.check_file`: one final record, notified exactly once, at
most one Wix import and one execute, no DLQ message; a file that ended FAILED or TIMED_OUT is
counted (`failed_recorded`, with the refused files), not a violation, since a drawn fault may
honestly end it so. A
violation prints the seed, the batch, what was armed, and the file's story (its status history,
invocations, Wix calls, notifications), so `--seed N` replays the same draws. The last line is one
JSON object.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from chaos.hooks import AwsFault, LambdaFault
from chaos.runner import FileResult, check_file
from chaos.scenarios import (
    FAULTS,
    FINAL_STATUSES,
    KILL_POINTS,
    STACK_A,
    STACK_B,
    bad_csv,
    good_csv,
)
from chaos.stack import HANG_GUARD_S, ChaosStack, StackOptions, quiet_logs
from rehearsal.harness import Drop

WIX_ENDPOINTS = (
    'create_upload_url',
    'upload_file',
    'create_import',
    'get_import',
    'execute_import',
    'get_error_file_url',
    'download_error_file',
    'search_accounts',
)
# Every kill point but those after the SNS publish and before its confirmation: there the product
# promises at least one notification, not exactly one (docs/proving-it.md), and in a batch the
# soak could not tell which file such a kill hit.
SOAK_KILLS = tuple(point for point in KILL_POINTS if point[3] != 'confirmation')
ANY_FINAL = frozenset({*FINAL_STATUSES})
LAMBDA_FAULTS = (
    ('ImporterFunction', 'RuntimeError'),
    ('PollerFunction', 'Lambda.TooManyRequestsException'),
    ('ExecutorFunction', 'Lambda.TooManyRequestsException'),
    ('FinalizerFunction', 'Lambda.ServiceException'),
    ('FinalizerFunction', 'RuntimeError'),
)


@dataclass
class Armed:
    kind: str  # wix, aws, lambda, kill, duplicate, redeliver
    what: str


def _draw_faults(rng: random.Random, stack: ChaosStack, label: str) -> tuple[list[Armed], int]:
    """Arm 2-5 faults of random kinds at random points; returns them and how many files to redeliver."""
    armed: list[Armed] = []
    redeliver = 0
    drawn: set[tuple[str, str]] = set()
    for _ in range(rng.randint(2, 5)):
        kind = rng.choice(('wix', 'wix', 'aws', 'lambda', 'kill', 'kill', 'duplicate', 'redeliver'))
        if kind == 'wix':
            endpoint = rng.choice(WIX_ENDPOINTS)
            fault = rng.choice(FAULTS)
            # A few calls in: somewhere in the middle of the batch, not always its first file.
            script = [None] * rng.randint(0, 6) + [fault]
            stack.faults.script(endpoint, script)
            armed.append(Armed(kind, f'{endpoint}: {fault.value} after {len(script) - 1} calls'))
        elif kind == 'aws':
            armed.append(Armed(kind, _arm_aws(rng, stack)))
        elif kind == 'lambda':
            # Each at most once a batch: the finalizer crashing twice running for the same file
            # (Finalize, then FinalizeWithoutWix) ends it UNRECORDED by design (the raw state
            # published, the execution failed and alarmed), not recorded.
            left = [fault for fault in LAMBDA_FAULTS if fault not in drawn]
            if not left:
                continue
            logical_id, error_type = rng.choice(left)
            drawn.add((logical_id, error_type))
            assert stack.lambdas is not None  # noqa: S101 - installed by ChaosStack
            stack.lambdas.arm(LambdaFault(logical_id, error_type))
            armed.append(Armed(kind, f'{logical_id}: {error_type}'))
        elif kind == 'kill':
            kill_id, _, _, _, arm, stack_label, _ = rng.choice(SOAK_KILLS)
            arm(stack)
            armed.append(Armed(kind, f'{kill_id}{"" if stack_label == label else " (other stack)"}'))
        elif kind == 'duplicate':
            assert stack.lambdas is not None  # noqa: S101 - installed by ChaosStack
            stack.lambdas.duplicate_s3_events += 1
            armed.append(Armed(kind, 'an S3 event delivered twice at once'))
        else:
            redeliver += 1
            armed.append(Armed(kind, 'an S3 event delivered again after the file ended'))
    return armed, redeliver


def _arm_aws(rng: random.Random, stack: ChaosStack) -> str:
    choice = rng.randrange(4)
    if choice == 0:
        topic = stack.rehearsal.resource('NotificationTopic')
        stack.aws.arm(
            AwsFault('sns', 'Publish', 'InternalErrorException', when=lambda p: p.get('TopicArn') == topic)
        )
        return 'SNS publish: 500'
    if choice == 1:
        table = stack.rehearsal.resource('IdempotencyTable')
        code = 'ProvisionedThroughputExceededException'
        stack.aws.arm(AwsFault('dynamodb', 'PutItem', code, when=lambda p: p.get('TableName') == table))
        return 'DynamoDB idempotency write: throttled'
    table = stack.imports_table
    status = rng.choice(('RECEIVED', 'CREATED', 'PARSED', 'IMPORTING', 'IMPORTED', 'REJECTED'))
    code = 'ProvisionedThroughputExceededException' if choice == 2 else 'InternalServerError'

    def matches(params: dict[str, Any]) -> bool:
        item = params.get('Item') or {}
        return params.get('TableName') == table and item.get('status', {}).get('S') == status

    stack.aws.arm(AwsFault('dynamodb', 'PutItem', code, when=matches))
    return f'DynamoDB {status} write: {code}'


@dataclass
class Checked:
    drop: Drop
    result: FileResult
    batch: int
    stack: str


def _story(stack: ChaosStack, drop: Drop) -> list[str]:
    """What happened to one file: its record's history, its invocations, Wix calls, notifications."""
    lines = []
    record = stack.record(drop)
    if record is None:
        lines.append('  record: none')
    else:
        history = ' -> '.join(f'{change.status.value}' for change in record.status_history)
        lines.append(f'  record: {history}; error {record.error}; wix import {record.wix_import_id}')
    source_id = drop.source.source_id
    import_id = record.wix_import_id if record is not None else None
    for invocation in stack.invocations():
        event = json.dumps(invocation.event)
        if source_id in event or (import_id and import_id in event):
            how = 'async' if invocation.asynchronous else 'sync'
            lines.append(f'  λ {invocation.logical_id} ({how}): {invocation.error_type or "ok"}')
    imports = stack.wix_imports_for(drop)
    lines.append(f'  wix imports: {", ".join(imports) or "none"}')
    for request in stack.emulator.requests:
        if any(import_id in request.path for import_id in imports):
            fault = request.fault.value if request.fault else 'no fault'
            lines.append(f'  wix {request.endpoint}: {request.status} ({fault})')
    for message in stack.notifications_for(drop):
        lines.append(f'  notified: {message.subject}')
    return lines


@dataclass
class Batch:
    number: int
    label: str
    armed: list[Armed]
    checked: list[Checked]
    problems: list[str]
    dlq: int
    kills: int


def _run_batch(stack: ChaosStack, rng: random.Random, *, number: int, label: str, names: list[str]) -> Batch:
    """Arm drawn faults, drop the batch's files at once, follow them to the end, check each."""
    stack.reset()
    dlq_before = stack.dlq_messages()
    kills_before = stack.kills.kills
    armed, redeliver = _draw_faults(rng, stack, label)
    drops = []
    for name in names:
        content = bad_csv() if rng.random() < 1 / 6 else good_csv(name.removesuffix('.csv'))
        with stack.guard():
            drops.append(stack.rehearsal.drop(name, content))
    hung = stack.follow_all(drops, timeout_s=HANG_GUARD_S, poll_s=0.25)
    for drop in rng.sample(drops, min(redeliver, len(drops))):
        with stack.guard():
            stack.rehearsal.redeliver(drop)
    settled = stack.settle()
    stack.reset()  # drawn faults that found nothing to hit go
    dlq = stack.dlq_messages() - dlq_before
    checked = [
        Checked(drop, check_file(stack, drop, ANY_FINAL, hung=drop in hung), number, label) for drop in drops
    ]
    problems = [f'{len(hung)} file(s) hung'] if hung else []
    problems += [] if settled else ['deliveries or executions still running after the guard']
    problems += [f'{dlq} DLQ message(s)'] if dlq else []
    return Batch(number, label, armed, checked, problems, dlq, stack.kills.kills - kills_before)


def _report(batch: Batch, stack: ChaosStack, seed: int, out: Callable[[str], None]) -> list[str]:
    """The batch's violations; each printed with the seed, what was armed and the file's story."""
    bad_files = [entry for entry in batch.checked if entry.result.problems]
    violations = batch.problems + [problem for entry in bad_files for problem in entry.result.problems]
    if violations:
        where = f'batch {batch.number} (stack {batch.label}), seed {seed}'
        out(f'VIOLATION in {where}: {"; ".join(batch.problems)}')
        out('  armed: ' + '; '.join(f'{armed.kind}: {armed.what}' for armed in batch.armed))
        for entry in bad_files:
            out(f'  file {entry.drop.key}: {"; ".join(entry.result.problems)}')
            for line in _story(stack, entry.drop):
                out('  ' + line)
    return violations


def run_soak(
    *,
    seed: int,
    files: int,
    batch: int,
    budget_s: float | None,
    out: Callable[[str], None] = print,
) -> dict[str, Any]:
    rng = random.Random(seed)  # noqa: S311 - seeded on purpose: a seed replays the same draws
    started = time.monotonic()
    deadline = started + budget_s if budget_s is not None else float('inf')
    batches: list[Batch] = []
    violations: list[str] = []
    # Two thirds of the files on stack A (the importer executes), a third on B (the state machine does).
    plan: list[tuple[str, StackOptions, int]] = [
        ('A', STACK_A, files - files // 3),
        ('B', STACK_B, files // 3),
    ]
    seq = 0
    for label, options, wanted in plan:
        with ChaosStack(options) as stack:
            dropped = 0
            while dropped < wanted and time.monotonic() < deadline:
                size = min(batch, wanted - dropped)
                names = [f'soak-{seed}-{seq + index + 1:04d}.csv' for index in range(size)]
                seq += size
                dropped += size
                done = _run_batch(stack, rng, number=len(batches) + 1, label=label, names=names)
                batches.append(done)
                violations += _report(done, stack, seed, out)
                ends = ','.join(sorted({entry.result.status or 'NONE' for entry in done.checked}))
                out(
                    f'batch {done.number:>3} stack {label}: {size} files, armed {len(done.armed)} '
                    f'({", ".join(armed.kind for armed in done.armed)}), kills {done.kills}, '
                    f'ends {ends}, {time.monotonic() - started:.0f} s'
                )
    results = [entry.result for done in batches for entry in done.checked]

    def count(prefix: str) -> int:
        return sum(1 for result in results for problem in result.problems if problem.startswith(prefix))

    return {
        'files': len(results),
        'imported': sum(1 for result in results if result.status == 'IMPORTED'),
        # Ended otherwise and notified (as make chaos counts it): refused files, and the files a
        # drawn fault honestly ended FAILED or TIMED_OUT.
        'failed_recorded': sum(
            1
            for result in results
            if result.status in {'FAILED', 'REJECTED', 'TIMED_OUT'} and result.notifications
        ),
        'of_which_rejected': sum(1 for result in results if result.status == 'REJECTED'),
        'lost': count('lost') + count('hang'),
        'duplicate_wix_imports': sum(1 for result in results if result.wix_imports > 1),
        'duplicate_executes': count('executed twice'),
        'unnotified': count('unnotified'),
        'duplicate_notifications': sum(1 for result in results if result.notifications > 1),
        'dlq_messages': sum(done.dlq for done in batches),
        'faults_armed': sum(len(done.armed) for done in batches),
        'kills': sum(done.kills for done in batches),
        'violations': len(violations),
        'not_dropped': files - len(results),
        'seed': seed,
        'elapsed_s': round(time.monotonic() - started, 1),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog='python -m chaos.soak', description=__doc__.split('\n\n')[0])
    parser.add_argument('--seed', type=int, default=None, help='replay the draws of this seed')
    parser.add_argument('--files', type=int, default=300)
    parser.add_argument('--batch', type=int, default=12, help='files dropped at once')
    parser.add_argument(
        '--budget-s', type=float, default=None, help='stop dropping batches after this long (default: none)'
    )
    args = parser.parse_args(argv)
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(1, 10**6)
    quiet_logs()
    warnings.simplefilter('ignore')
    print(f'soak: {args.files} files in batches of {args.batch}, seed {seed} (replay: --seed {seed})')
    totals = run_soak(seed=seed, files=args.files, batch=args.batch, budget_s=args.budget_s)
    print(json.dumps(totals))
    return 1 if totals['violations'] or totals['not_dropped'] else 0


if __name__ == '__main__':
    sys.exit(main())
