"""The scenario matrix: every Wix call x every fault, storms that outlast retries, AWS-side faults,
and kills of each function between two of its own side effects."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from chaos.hooks import AwsFault, LambdaFault
from chaos.kills import KillPoint
from chaos.stack import HANG_GUARD_S, UNKNOWN_CONTACT, ChaosStack, StackOptions, chaos_emulator_settings
from wix_emulator import Fault

Arm = Callable[[ChaosStack], None]
ANY_END = frozenset({'IMPORTED', 'FAILED'})
FINAL_STATUSES = ('IMPORTED', 'FAILED', 'REJECTED', 'TIMED_OUT')

# Stack A: OAuth app credentials (the token endpoint is in play), the importer waits for the parse
# and executes. Stack B: API key, the importer does not wait (ParseWaitSeconds=0), so the state
# machine's Poll and Execute steps meet Wix while it parses. B's parse starts at the importer's one
# look, not at the create: counted from the create, a busy machine could bring that look after the
# parse and let the importer execute, so B's Execute-step faults would never fire.
STACK_A = StackOptions(label='A: OAuth, importer executes', auth='oauth', parse_wait_s=5)
STACK_B = StackOptions(
    label='B: API key, state machine executes',
    auth='api_key',
    parse_wait_s=0,
    emulator_settings=chaos_emulator_settings(parse_delay_s=0.3, parse_starts_on_first_read=True),
)
STACKS = {'A': STACK_A, 'B': STACK_B}


@dataclass(frozen=True)
class Scenario:
    id: str
    target: str  # what the fault hits
    fault: str
    arm: Arm
    stack: str = 'A'
    files: int = 1
    bad_file: bool = False  # a file the product must refuse (REJECTED)
    expect: frozenset[str] = frozenset({'IMPORTED'})
    redeliver_after: bool = False
    # A hang guard, not a time limit: a loaded machine only makes a scenario slower, never a failure.
    follow_timeout_s: float = HANG_GUARD_S
    tags: frozenset[str] = field(default_factory=frozenset)
    # Notifications per file the product can promise here: 2 only where a kill falls after the SNS
    # publish and before its confirmation (at least once: a standard topic cannot deduplicate).
    notifications: int = 1


def good_csv(tag: str) -> bytes:
    """A small export with a decoy column and one address Wix does not know (so an error file exists)."""
    rows = [
        'Customer Email,Full Name,Points Redeemed,Points Balance',
        f'alice+{tag}@example.com,Alice Martin,40,120',
        f'bob+{tag}@example.com,Bob Chen,0,75',
        f'chloe+{tag}@example.com,Chloe Durand,15,300',
        f'{UNKNOWN_CONTACT},Ghost Rider,0,5',
    ]
    return ('\n'.join(rows) + '\n').encode()


def bad_csv() -> bytes:
    return b'Full Name,Points Balance\nAlice Martin,120\nBob Chen,75\n'


# -- Wix faults ---------------------------------------------------------------------------------

FAULTS = (Fault.HTTP_429, Fault.HTTP_500, Fault.HTTP_503, Fault.SLOW, Fault.DROP, Fault.RESPONSE_LOST)
FAULT_LABEL = {
    Fault.HTTP_429: '429+Retry-After',
    Fault.HTTP_500: '500',
    Fault.HTTP_503: '503',
    Fault.SLOW: 'slow>timeout',
    Fault.DROP: 'dropped conn',
    Fault.RESPONSE_LOST: 'done, resp lost',
}


def _script(endpoint: str, faults: list[Fault | None]) -> Arm:
    def arm(stack: ChaosStack) -> None:
        stack.faults.script(endpoint, faults)

    return arm


def _scripts(scripts: dict[str, list[Fault | None]]) -> Arm:
    def arm(stack: ChaosStack) -> None:
        for endpoint, faults in scripts.items():
            stack.faults.script(endpoint, faults)

    return arm


def _token(faults: list[Fault | None]) -> Arm:
    def arm(stack: ChaosStack) -> None:
        # Every token issued so far stops working: the next Wix call gets a 401 and a new token.
        stack.emulator.expire_tokens()
        stack.faults.script('oauth_token', faults)

    return arm


def _after_execute(endpoint: str, faults: list[Fault | None]) -> Arm:
    def arm(stack: ChaosStack) -> None:
        assert stack.ledger is not None  # noqa: S101 - installed by ChaosStack
        ledger = stack.ledger
        before = sum(ledger.executes().values())
        stack.faults.arm(endpoint, faults, lambda: sum(ledger.executes().values()) > before)

    return arm


# (target label, stack, endpoint, how to arm one scripted sequence of faults)
WIX_CALLS: tuple[tuple[str, str, Callable[[list[Fault | None]], Arm]], ...] = (
    ('token', 'A', _token),
    ('upload URL', 'A', lambda faults: _script('create_upload_url', faults)),
    ('upload', 'A', lambda faults: _script('upload_file', faults)),
    ('create', 'A', lambda faults: _script('create_import', faults)),
    ('get while parsing', 'A', lambda faults: _script('get_import', faults)),
    ('execute', 'A', lambda faults: _script('execute_import', faults)),
    ('get while importing', 'A', lambda faults: _after_execute('get_import', faults)),
    ('error file URL', 'A', lambda faults: _script('get_error_file_url', faults)),
    ('error file download', 'A', lambda faults: _script('download_error_file', faults)),
    # The state machine's side: its first Poll (after the importer's single look) and Execute.
    ('poll while parsing', 'B', lambda faults: _script('get_import', [None, *faults])),
    ('execute (state machine)', 'B', lambda faults: _script('execute_import', faults)),
)


def _slug(text: str) -> str:
    return re.sub(r'[^a-z0-9]+', '-', text.lower()).strip('-')


def wix_matrix() -> list[Scenario]:
    return [
        Scenario(
            id=f'{_slug(target)}-{_slug(FAULT_LABEL[fault])}',
            target=target,
            fault=FAULT_LABEL[fault],
            arm=arming([fault]),
            stack=stack,
            tags=frozenset({'wix'}),
        )
        for target, stack, arming in WIX_CALLS
        for fault in FAULTS
    ]


def storms() -> list[Scenario]:
    """Faults that outlast the client's own retries: Lambda's and Step Functions' retries take over."""
    return [
        Scenario(
            id='storm-create-503x6',
            target='create',
            fault='503 x6 (> client retries)',
            arm=_script('create_import', [Fault.HTTP_503] * 6),
            tags=frozenset({'wix', 'storm'}),
        ),
        Scenario(
            id='storm-execute-503x6',
            target='execute',
            fault='503 x6 (> client retries)',
            arm=_script('execute_import', [Fault.HTTP_503] * 6),
            tags=frozenset({'wix', 'storm'}),
        ),
        Scenario(
            # The create took effect, its response was lost, and the client's look-up (query) failed
            # on every retry: the importer gives up, and Lambda's retry must adopt that import.
            id='storm-create-lost-query-503x6',
            target='create (+ query)',
            fault='resp lost, query 503 x6',
            arm=_scripts({'create_import': [Fault.RESPONSE_LOST], 'query_imports': [Fault.HTTP_503] * 6}),
            tags=frozenset({'wix', 'storm'}),
        ),
        Scenario(
            id='storm-poll-503x5',
            target='get while importing',
            fault='503 x5 (> task retries)',
            arm=_after_execute('get_import', [Fault.HTTP_503] * 5),
            tags=frozenset({'wix', 'storm'}),
        ),
    ]


# -- AWS faults ---------------------------------------------------------------------------------


def _put_item(table: Callable[[ChaosStack], str], code: str, *, status: str | None = None) -> Arm:
    def arm(stack: ChaosStack) -> None:
        name = table(stack)

        def matches(params: dict[str, Any]) -> bool:
            if params.get('TableName') != name:
                return False
            return status is None or params.get('Item', {}).get('status', {}).get('S') == status

        stack.aws.arm(AwsFault('dynamodb', 'PutItem', code, when=matches))

    return arm


def _imports_table(stack: ChaosStack) -> str:
    return stack.imports_table


def _idempotency_table(stack: ChaosStack) -> str:
    return stack.rehearsal.resource('IdempotencyTable')


def _sns_publish(stack: ChaosStack) -> None:
    topic = stack.rehearsal.resource('NotificationTopic')
    stack.aws.arm(
        AwsFault(
            'sns', 'Publish', 'InternalErrorException', when=lambda params: params.get('TopicArn') == topic
        )
    )


def _lambda(logical_id: str, error_type: str, *, times: int = 1, after_run: bool = False) -> Arm:
    def arm(stack: ChaosStack) -> None:
        assert stack.lambdas is not None  # noqa: S101 - installed by ChaosStack
        stack.lambdas.arm(LambdaFault(logical_id, error_type, times=times, after_run=after_run))

    return arm


def _duplicate_s3_event(stack: ChaosStack) -> None:
    assert stack.lambdas is not None  # noqa: S101 - installed by ChaosStack
    stack.lambdas.duplicate_s3_events = 1


def _nothing(stack: ChaosStack) -> None:
    return None


def aws_matrix() -> list[Scenario]:
    aws = frozenset({'aws'})
    return [
        Scenario(
            'ddb-throttle-first-write',
            'DynamoDB: record claim',
            'throttled',
            _put_item(_imports_table, 'ProvisionedThroughputExceededException'),
            tags=aws,
        ),
        Scenario(
            'ddb-fail-created-write',
            'DynamoDB: "Wix import created"',
            '500',
            _put_item(_imports_table, 'InternalServerError', status='CREATED'),
            tags=aws,
        ),
        Scenario(
            'ddb-throttle-final-write',
            'DynamoDB: final record',
            'throttled',
            _put_item(_imports_table, 'ProvisionedThroughputExceededException', status='IMPORTED'),
            tags=aws,
        ),
        Scenario(
            'ddb-throttle-idempotency',
            'DynamoDB: idempotency',
            'throttled',
            _put_item(_idempotency_table, 'ProvisionedThroughputExceededException'),
            tags=aws,
        ),
        Scenario('sns-fail-imported', 'SNS publish (imported)', '500', _sns_publish, tags=aws),
        Scenario(
            'sns-fail-rejected',
            'SNS publish (rejected)',
            '500',
            _sns_publish,
            bad_file=True,
            expect=frozenset({'REJECTED'}),
            tags=aws,
        ),
        Scenario(
            'lambda-importer-crash',
            'Lambda: importer',
            'unhandled error',
            _lambda('ImporterFunction', 'RuntimeError'),
            tags=aws,
        ),
        Scenario(
            'lambda-poller-throttled',
            'Lambda task: Poll',
            'TooManyRequests x2',
            _lambda('PollerFunction', 'Lambda.TooManyRequestsException', times=2),
            tags=aws,
        ),
        Scenario(
            'lambda-poller-crash',
            'Lambda task: Poll',
            'unhandled error',
            _lambda('PollerFunction', 'RuntimeError'),
            expect=ANY_END,
            tags=aws,
        ),
        Scenario(
            'lambda-finalizer-service-error',
            'Lambda task: Finalize',
            'ServiceException',
            _lambda('FinalizerFunction', 'Lambda.ServiceException'),
            tags=aws,
        ),
        Scenario(
            'lambda-executor-throttled',
            'Lambda task: Execute',
            'TooManyRequests',
            _lambda('ExecutorFunction', 'Lambda.TooManyRequestsException'),
            stack='B',
            tags=aws,
        ),
        Scenario(
            'lambda-executor-crash-after-execute',
            'Lambda task: Execute',
            'error after work',
            _lambda('ExecutorFunction', 'RuntimeError', after_run=True),
            stack='B',
            # Wix accepted the execute: the Catch polls on, so the import ends IMPORTED, not FAILED.
            tags=aws,
        ),
        Scenario(
            's3-duplicate-event-concurrent',
            'S3 event',
            'delivered twice at once',
            _duplicate_s3_event,
            tags=aws,
        ),
        Scenario(
            's3-duplicate-event-later',
            'S3 event',
            'redelivered later',
            _nothing,
            redeliver_after=True,
            tags=aws,
        ),
        Scenario('two-files-same-moment', 'S3 drop', '2 files at once', _nothing, files=2, tags=aws),
        Scenario(
            'two-files-same-moment-b', 'S3 drop', '2 files at once', _nothing, files=2, stack='B', tags=aws
        ),
    ]


# -- kills --------------------------------------------------------------------------------------


def _kill(
    logical_id: str,
    service: str,
    operation: str,
    *,
    table: str | None = None,
    pk: str | None = None,
    status: str | None = None,
    key_suffix: str | None = None,
    skip: int = 0,
    duplicate: bool = False,
) -> Arm:
    """Kill `logical_id` right after its call `service`.`operation` matching the rest took effect."""

    def arm(stack: ChaosStack) -> None:
        tables = {'imports': stack.imports_table, 'idempotency': stack.rehearsal.resource('IdempotencyTable')}
        name = tables[table] if table is not None else None

        def when(params: dict[str, Any]) -> bool:
            item = params.get('Item') or {}
            return (
                (name is None or params.get('TableName') == name)
                and (pk is None or str(item.get('pk', {}).get('S', '')).startswith(pk))
                and (status is None or item.get('status', {}).get('S') == status)
                and (key_suffix is None or str(params.get('Key', '')).endswith(key_suffix))
            )

        stack.kills.arm(KillPoint(logical_id, service, operation, when=when, skip=skip))
        if duplicate:
            _duplicate_s3_event(stack)

    return arm


IMPORTER, POLLER, EXECUTOR, FINALIZER = (
    'ImporterFunction',
    'PollerFunction',
    'ExecutorFunction',
    'FinalizerFunction',
)
SOURCE = 's3://'  # the pk of a file's own record (fingerprint claims start 'fingerprint#')

# (id, function, after this side effect, before the next one, the kill, stack, bad file)
KILL_POINTS: tuple[tuple[str, str, str, str, Arm, str, bool], ...] = (
    (
        'importer-after-idempotency-lock',
        IMPORTER,
        'idempotency lock',
        'record claim',
        _kill(IMPORTER, 'dynamodb', 'PutItem', table='idempotency'),
        'A',
        False,
    ),
    (
        'importer-after-record-claim',
        IMPORTER,
        'record claim',
        'balances claim',
        _kill(IMPORTER, 'dynamodb', 'PutItem', table='imports', pk=SOURCE, status='RECEIVED'),
        'A',
        False,
    ),
    (
        'importer-after-fingerprint-claim',
        IMPORTER,
        'balances claim',
        'upload',
        _kill(IMPORTER, 'dynamodb', 'PutItem', table='imports', pk='fingerprint'),
        'A',
        False,
    ),
    (
        'importer-after-upload',
        IMPORTER,
        'upload to Wix',
        '"create attempted"',
        _kill(IMPORTER, 'wix', 'upload_file'),
        'A',
        False,
    ),
    (
        'importer-after-create-attempted',
        IMPORTER,
        '"create attempted"',
        'Wix create',
        _kill(IMPORTER, 'dynamodb', 'PutItem', table='imports', pk=SOURCE, status='RECEIVED', skip=1),
        'A',
        False,
    ),
    (
        'importer-after-wix-create',
        IMPORTER,
        'Wix create',
        'record of it',
        _kill(IMPORTER, 'wix', 'create_import'),
        'A',
        False,
    ),
    (
        'importer-after-upload-kept',
        IMPORTER,
        'upload kept in S3',
        'CREATED write',
        _kill(IMPORTER, 's3', 'PutObject', key_suffix='.upload.csv'),
        'A',
        False,
    ),
    (
        'importer-after-created-write',
        IMPORTER,
        'CREATED write',
        'undo file',
        _kill(IMPORTER, 'dynamodb', 'PutItem', table='imports', status='CREATED'),
        'A',
        False,
    ),
    (
        'importer-after-undo-file',
        IMPORTER,
        'undo file',
        'PARSED write',
        _kill(IMPORTER, 's3', 'PutObject', key_suffix='.undo.csv'),
        'A',
        False,
    ),
    (
        'importer-after-parsed-write',
        IMPORTER,
        'PARSED write',
        'Wix execute',
        _kill(IMPORTER, 'dynamodb', 'PutItem', table='imports', status='PARSED'),
        'A',
        False,
    ),
    (
        'importer-after-wix-execute',
        IMPORTER,
        'Wix execute',
        'IMPORTING write',
        _kill(IMPORTER, 'wix', 'execute_import'),
        'A',
        False,
    ),
    (
        'importer-after-importing-write',
        IMPORTER,
        'IMPORTING write',
        'StartExecution',
        _kill(IMPORTER, 'dynamodb', 'PutItem', table='imports', status='IMPORTING'),
        'A',
        False,
    ),
    (
        'importer-after-start-execution',
        IMPORTER,
        'StartExecution',
        'execution recorded',
        _kill(IMPORTER, 'stepfunctions', 'StartExecution'),
        'A',
        False,
    ),
    (
        'importer-after-execution-recorded',
        IMPORTER,
        'execution recorded',
        'idempotency done',
        _kill(IMPORTER, 'dynamodb', 'PutItem', table='imports', status='IMPORTING', skip=1),
        'A',
        False,
    ),
    (
        'importer-b-after-start-execution',
        IMPORTER,
        'StartExecution (B)',
        'execution recorded',
        _kill(IMPORTER, 'stepfunctions', 'StartExecution'),
        'B',
        False,
    ),
    (
        'importer-after-report',
        IMPORTER,
        'rejection report',
        'REJECTED write',
        _kill(IMPORTER, 's3', 'PutObject', key_suffix='.rejected.txt'),
        'A',
        True,
    ),
    (
        'importer-after-rejected-claim',
        IMPORTER,
        'REJECTED + notification claim',
        'publish',
        _kill(IMPORTER, 'dynamodb', 'PutItem', table='imports', status='REJECTED'),
        'A',
        True,
    ),
    (
        'importer-after-rejected-publish',
        IMPORTER,
        'publish (refused)',
        'confirmation',
        _kill(IMPORTER, 'sns', 'Publish'),
        'A',
        True,
    ),
    (
        'poller-after-wix-read',
        POLLER,
        'Wix read (no writes)',
        'task result',
        _kill(POLLER, 'wix', 'get_import'),
        'A',
        False,
    ),
    (
        'executor-after-undo-file',
        EXECUTOR,
        'undo file',
        'PARSED write',
        _kill(EXECUTOR, 's3', 'PutObject', key_suffix='.undo.csv'),
        'B',
        False,
    ),
    (
        'executor-after-parsed-write',
        EXECUTOR,
        'PARSED write',
        'Wix execute',
        _kill(EXECUTOR, 'dynamodb', 'PutItem', table='imports', status='PARSED'),
        'B',
        False,
    ),
    (
        'executor-after-wix-execute',
        EXECUTOR,
        'Wix execute',
        'IMPORTING write',
        _kill(EXECUTOR, 'wix', 'execute_import'),
        'B',
        False,
    ),
    (
        'executor-after-importing-write',
        EXECUTOR,
        'IMPORTING write',
        'task result',
        _kill(EXECUTOR, 'dynamodb', 'PutItem', table='imports', status='IMPORTING'),
        'B',
        False,
    ),
    (
        'finalizer-after-error-file',
        FINALIZER,
        "Wix's error file copied",
        'final record',
        _kill(FINALIZER, 's3', 'PutObject', key_suffix='.errors.csv'),
        'A',
        False,
    ),
    (
        'finalizer-after-final-claim',
        FINALIZER,
        'final record + notification claim',
        'publish',
        _kill(FINALIZER, 'dynamodb', 'PutItem', table='imports', pk=SOURCE, status='IMPORTED'),
        'A',
        False,
    ),
    (
        'finalizer-after-publish',
        FINALIZER,
        'publish',
        'confirmation',
        _kill(FINALIZER, 'sns', 'Publish'),
        'A',
        False,
    ),
    (
        'finalizer-after-confirmation',
        FINALIZER,
        'confirmation',
        'balances marked imported',
        _kill(FINALIZER, 'dynamodb', 'PutItem', table='imports', pk=SOURCE, status='IMPORTED', skip=1),
        'A',
        False,
    ),
    (
        'finalizer-after-balances-marked',
        FINALIZER,
        'balances marked imported',
        'task result',
        _kill(FINALIZER, 'dynamodb', 'PutItem', table='imports', pk='fingerprint', status='IMPORTED'),
        'A',
        False,
    ),
    # Duplicate deliveries racing: the S3 event delivered twice at once, the first delivery killed.
    (
        'race-importer-killed-after-wix-create',
        IMPORTER,
        'Wix create, S3 event twice',
        'record of it',
        _kill(IMPORTER, 'wix', 'create_import', duplicate=True),
        'A',
        False,
    ),
    (
        'race-importer-killed-after-wix-execute',
        IMPORTER,
        'Wix execute, S3 event twice',
        'IMPORTING write',
        _kill(IMPORTER, 'wix', 'execute_import', duplicate=True),
        'A',
        False,
    ),
    (
        'race-importer-killed-after-record-claim',
        IMPORTER,
        'record claim, S3 event twice',
        'balances claim',
        _kill(IMPORTER, 'dynamodb', 'PutItem', table='imports', pk=SOURCE, status='RECEIVED', duplicate=True),
        'A',
        False,
    ),
    (
        'race-importer-killed-after-rejected-claim',
        IMPORTER,
        'REJECTED claim, S3 event twice',
        'publish',
        _kill(IMPORTER, 'dynamodb', 'PutItem', table='imports', status='REJECTED', duplicate=True),
        'A',
        True,
    ),
)


def kill_matrix() -> list[Scenario]:
    return [
        Scenario(
            id=f'kill-{kill_id}',
            target=f'{logical_id.removesuffix("Function")}: {after}',
            fault=f'killed before {before}',
            arm=arm,
            stack=stack,
            bad_file=bad,
            expect=frozenset({'REJECTED'}) if bad else frozenset({'IMPORTED'}),
            tags=frozenset({'kill'}),
            notifications=2 if before == 'confirmation' else 1,
        )
        for kill_id, logical_id, after, before, arm, stack, bad in KILL_POINTS
    ]


def all_scenarios() -> list[Scenario]:
    return [*wix_matrix(), *storms(), *aws_matrix(), *kill_matrix()]


# A handful for `make test`: one per kind of recovery path.
QUICK_IDS = (
    'create-done-resp-lost',
    'execute-done-resp-lost',
    'get-while-importing-503',
    'ddb-fail-created-write',
    'sns-fail-rejected',
    's3-duplicate-event-concurrent',
    'execute-state-machine-done-resp-lost',
)


# The kills `make test` proves (tests/chaos/test_kills.py): one per function and recovery path.
QUICK_KILL_IDS = (
    'kill-importer-after-wix-create',
    'kill-importer-after-rejected-claim',
    'kill-finalizer-after-final-claim',
    'kill-race-importer-killed-after-wix-execute',
    'kill-executor-after-parsed-write',
)


def quick_kill_scenarios() -> list[Scenario]:
    by_id = {scenario.id: scenario for scenario in kill_matrix()}
    return [by_id[scenario_id] for scenario_id in QUICK_KILL_IDS]


def quick_scenarios() -> list[Scenario]:
    by_id = {scenario.id: scenario for scenario in all_scenarios()}
    return [by_id[scenario_id] for scenario_id in QUICK_IDS]
