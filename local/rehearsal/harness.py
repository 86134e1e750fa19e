"""The rehearsal: template.yaml deployed into moto, in this process, wired to a Wix emulator.

    with Rehearsal(RehearsalConfig()) as rehearsal:
        drop = rehearsal.drop('customers.csv', content)
        outcome = rehearsal.follow(drop, timeout_s=60)
        outcome.record.status   # the final DynamoDB record, read with the product's own model

Setting up (`start`): moto (`mock_aws`, Step Functions executing ASL for real) -> the Wix emulator
on 127.0.0.1 -> template.yaml packaged, SAM-translated and created as a CloudFormation stack ->
moto's gaps filled from that same template (see moto_gaps) -> the Wix credentials put into the
template's secret -> every Lambda invocation routed to the real handlers (see lambda_runtime).
`make demo` (`python -m rehearsal`) and tests/e2e both drive this class.
"""

from __future__ import annotations

import contextlib
import copy
import json
import logging
import time
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote_plus

import boto3
from moto import mock_aws

from loyalty_import.pipeline.adapters.records import DynamoRecordStore
from loyalty_import.pipeline.errors import RecordStoreError
from loyalty_import.pipeline.models import ImportRecord, SourceRef
from rehearsal import alarms, function_urls, iam, moto_gaps
from rehearsal.isolated import IsolatedEnv
from rehearsal.lambda_runtime import FunctionCode, Invocation, LambdaRuntime
from rehearsal.template import (
    ARTIFACTS_BUCKET,
    PackagedTemplate,
    artifact_bytes,
    load_template,
    package,
    translate,
)
from wix_emulator import Credentials, EmulatorSettings, WixEmulator

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_stepfunctions import SFNClient

REPO_ROOT = Path(__file__).resolve().parents[2]
ACCOUNT_ID = '123456789012'  # moto's default account
# What the rehearsal needs to find in the template (the contract between template and harness).
BUCKET_ID, TABLE_ID, TOPIC_ID, SECRET_ID, STATE_MACHINE_ID = (
    'DropBucket',
    'ImportsTable',
    'NotificationTopic',
    'WixCredentialsSecret',
    'ImportStateMachine',
)
STOP_TIMEOUT_S = 30.0
FINAL_EXECUTION_STATES = frozenset({'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED'})


def emulator_site(credentials: Credentials, mode: str = 'api_key') -> dict[str, str]:
    """One site's flat credentials secret (or `sites` entry) for an emulator's credentials."""
    if mode == 'oauth':
        return {
            'mode': 'oauth',
            'app_id': credentials.app_id,
            'app_secret': credentials.app_secret,
            'instance_id': credentials.instance_id,
        }
    return {'mode': 'api_key', 'api_key': credentials.api_key, 'site_id': credentials.site_id}


class RehearsalError(Exception):
    """The rehearsal itself could not be set up (not an outcome of the import being rehearsed)."""


def demo_emulator_settings(unknown_contacts: frozenset[str] = frozenset()) -> EmulatorSettings:
    # Slow enough to watch each Wix status go by, fast enough for a demo well under a minute.
    return EmulatorSettings(parse_delay_s=1.5, import_delay_s=2.0, unknown_contacts=unknown_contacts)


@dataclass(frozen=True)
class RehearsalConfig:
    template: Path = REPO_ROOT / 'template.yaml'
    stack_name: str = 'loyalty-import'
    region: str = 'us-east-1'
    # Template parameter overrides (`sam deploy --parameter-overrides`); the Wix URLs are always
    # pointed at the emulator.
    parameters: Mapping[str, str] = field(default_factory=dict)
    emulator_settings: EmulatorSettings = field(default_factory=demo_emulator_settings)
    # Step Functions Wait/Retry intervals are multiplied by this (tests: e.g. 0.01).
    clock_scale: float = 1.0
    # Pause between Lambda's automatic retries of a failed asynchronous (S3) invocation.
    async_retry_delay_s: float = 1.0
    # None: handlers run in this process. Else the interpreter of an environment holding only the
    # Lambda's packages (rehearsal.runtime_env): each function runs in its own worker process.
    lambda_python: Path | None = None
    # Loyalty accounts the emulated site already has (email -> points): the balances before.
    wix_accounts: Mapping[str, int] = field(default_factory=dict)
    # moto's IAM authorization on: each function calls as its own role (see rehearsal.iam).
    enforce_iam: bool = True
    # Multi-site mode (docs/sites.md): the secret's `sites` map, site name -> that site's flat
    # credentials (`emulator_site`, or any {"mode": ...} entry). Empty: single-site mode, the flat
    # secret of the emulator's own credentials (today's shape).
    sites: Mapping[str, Mapping[str, str]] = field(default_factory=dict)


@dataclass(frozen=True)
class Drop:
    """One object put under the incoming prefix."""

    bucket: str
    key: str
    version_id: str | None
    etag: str
    size: int
    at: float  # time.monotonic() of the upload
    at_wall: float  # time.time() of the upload (record timestamps are wall-clock)

    @property
    def source(self) -> SourceRef:
        return SourceRef(bucket=self.bucket, key=self.key, version_id=self.version_id, etag=self.etag)

    @property
    def uri(self) -> str:
        return f's3://{self.bucket}/{self.key}'


@dataclass(frozen=True)
class SnsMessage:
    subject: str | None
    message: str
    attributes: dict[str, str]

    def mentions(self, text: str) -> bool:
        if text in self.message or text in (self.subject or ''):
            return True
        try:  # a JSON body escapes non-ASCII characters of a key
            return text in json.dumps(json.loads(self.message), ensure_ascii=False)
        except ValueError:
            return False


@dataclass
class Outcome:
    """Where a drop ended: the final record (None if it never appeared), its notifications."""

    drop: Drop
    record: ImportRecord | None
    notifications: list[SnsMessage]
    execution_status: str | None
    finished: bool  # False: the follow deadline passed first
    elapsed_s: float

    @property
    def status(self) -> str | None:
        return self.record.status.value if self.record else None


@dataclass
class StackInfo:
    resources: dict[str, str]  # logical id -> physical id
    parameters: dict[str, str]
    unsupported: list[str]
    notes: list[str]  # what the rehearsal could not reproduce faithfully (see moto_gaps)
    setup_s: float = 0.0


class Rehearsal:
    def __init__(self, config: RehearsalConfig | None = None, *, emulator: WixEmulator | None = None) -> None:
        self.config = config or RehearsalConfig()
        self._own_emulator = emulator is None
        self.emulator = emulator or WixEmulator(
            self.config.emulator_settings, accounts=self.config.wix_accounts
        )
        self.runtime: LambdaRuntime | None = None
        self.stack: StackInfo | None = None
        self._mock: Any = None
        self._queue_url = ''
        self._messages: list[SnsMessage] = []
        self._undo: list[Callable[[], None]] = []
        self._clients: dict[str, Any] = {}
        self._seen_ended: dict[str, float] = {}  # execution ARN -> when first seen ended
        self.iam: iam.Enforcement | None = None

    # -- lifecycle ------------------------------------------------------------------------------

    def __enter__(self) -> Rehearsal:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def start(self) -> None:
        started = time.monotonic()
        self._mock = mock_aws(config={'stepfunctions': {'execute_state_machine': True}})
        self._mock.start()
        try:
            if self.config.enforce_iam:
                self.iam = iam.Enforcement(ACCOUNT_ID, self.config.region)
                self._undo.append(self.iam.stop)
                self.iam.start()
            if self._own_emulator:
                self.emulator.start()
            self._deploy(started)
        except BaseException:
            self.stop()
            raise
        if self.stack is not None:
            self.stack.setup_s = time.monotonic() - started

    def stop(self) -> None:
        """Stop executions and deliveries still in flight before moto goes: no thread of this
        rehearsal may make an AWS call once the mock is gone."""
        quiet = True
        if self.runtime is not None:
            if self.stack is not None:
                self._stop_running_executions()
            quiet = self.runtime.close(STOP_TIMEOUT_S)
            self.runtime.uninstall()
            self.runtime = None
        while self._undo:
            self._undo.pop()()
        if self._own_emulator:
            self.emulator.stop()
        if self._mock is not None and not quiet:
            # A handler is still running: with moto gone its AWS calls would go to real endpoints
            # (with whatever credentials this machine has). Leave the mock on; the thread is a daemon.
            logging.getLogger(__name__).warning('a Lambda handler outlived the rehearsal; moto stays on')
            self._mock = None
        if self._mock is not None:
            self._mock.stop()
            self._mock = None
        self._clients.clear()

    def _stop_running_executions(self) -> None:
        sfn: SFNClient = self._client('stepfunctions')
        for execution in self.executions():
            if execution['status'] == 'RUNNING':
                sfn.stop_execution(executionArn=execution['executionArn'], cause='the rehearsal stopped')

    def _deploy(self, started: float) -> None:
        parameters = self._parameters()
        packaged = package(load_template(self.config.template), self.config.template.parent)
        cfn = translate(
            packaged,
            parameters,
            region=self.config.region,
            account_id=ACCOUNT_ID,
            stack_name=self.config.stack_name,
        )
        self._patch_moto(cfn, packaged)
        unsupported = moto_gaps.unsupported_types(cfn)
        s3 = self._client('s3')
        s3.create_bucket(Bucket=ARTIFACTS_BUCKET)
        for artifact in packaged.artifacts.values():
            s3.put_object(Bucket=ARTIFACTS_BUCKET, Key=artifact.key, Body=artifact_bytes(artifact))
        self.runtime = LambdaRuntime(
            _function_code(cfn, packaged),
            region=self.config.region,
            async_retry_delay_s=self.config.async_retry_delay_s,
            isolated=self._isolated_env(),
            role_environment=self.iam.role_environment if self.iam is not None else None,
        )
        self.runtime.install()
        resources, resolved = self._create_stack(cfn, parameters)
        self._apply_logging_configs(cfn)
        self.stack = StackInfo(
            resources, resolved, unsupported, moto_gaps.notes(), time.monotonic() - started
        )
        self._put_wix_credentials()
        self._subscribe_to_notifications()

    def _parameters(self) -> dict[str, str]:
        """The stack's parameter overrides: the Wix URLs always point at the emulator."""
        declared = set(load_template(self.config.template).get('Parameters') or {})
        parameters = {
            'WixBaseUrl': self.emulator.base_url,
            'WixAccountsBaseUrl': self.emulator.accounts_base_url,
            'WixOAuthTokenUrl': self.emulator.oauth_token_url,
            **self.config.parameters,
        }
        unknown = sorted(set(parameters) - declared)
        if unknown:
            raise RehearsalError(f'{self.config.template.name} declares no parameter {", ".join(unknown)}')
        return parameters

    def _patch_moto(self, cfn: dict[str, Any], packaged: PackagedTemplate) -> None:
        # Patches of moto for this rehearsal only: undone by stop(), moto is left as found.
        moto_gaps.UNENFORCED_STATEMENTS.clear()
        self._undo.append(moto_gaps.register_cloudformation_models())
        self._undo.append(function_urls.stop_all)
        self._undo.append(moto_gaps.complete_s3_event_records())
        if self.config.clock_scale != 1.0:
            self._undo.append(moto_gaps.scale_step_functions_clock(self.config.clock_scale))
        moto_gaps.inline_state_machine_definitions(cfn, packaged)

    def _create_stack(
        self, cfn: dict[str, Any], parameters: dict[str, str]
    ) -> tuple[dict[str, str], dict[str, str]]:
        """Create the translated stack in moto; its resources (logical -> physical id) and parameters."""
        name, region = self.config.stack_name, self.config.region
        cloudformation = self._client('cloudformation')
        with warnings.catch_warnings(), _Quiet('moto'):
            # moto warns about each type it skips; unsupported_types reports them once instead.
            warnings.simplefilter('ignore')
            cloudformation.create_stack(
                StackName=name,
                TemplateBody=json.dumps(cfn),
                Parameters=[{'ParameterKey': k, 'ParameterValue': v} for k, v in parameters.items()],
                Capabilities=['CAPABILITY_IAM', 'CAPABILITY_NAMED_IAM', 'CAPABILITY_AUTO_EXPAND'],
            )
            description = cloudformation.describe_stacks(StackName=name)['Stacks'][0]
            if description['StackStatus'] != 'CREATE_COMPLETE':
                raise RehearsalError(f'stack creation ended {description["StackStatus"]}')
            moto_gaps.copy_state_machines_to_executing_backend(
                cfn, name, account_id=ACCOUNT_ID, region=region
            )
            moto_gaps.apply_bucket_properties(cfn, name, account_id=ACCOUNT_ID, region=region)
            listed = cloudformation.describe_stack_resources(StackName=name)['StackResources']
        # moto lists a few resources it skipped without a logical id: not resources of this stack.
        resources = {
            r['LogicalResourceId']: r.get('PhysicalResourceId', '')
            for r in listed
            if r.get('LogicalResourceId')
        }
        needed = (BUCKET_ID, TABLE_ID, TOPIC_ID, SECRET_ID, STATE_MACHINE_ID)
        missing = [logical_id for logical_id in needed if not resources.get(logical_id)]
        if missing:
            raise RehearsalError(f'the stack has no {", ".join(missing)}')
        resolved = {p['ParameterKey']: p.get('ParameterValue', '') for p in description.get('Parameters', [])}
        return resources, resolved

    def _isolated_env(self) -> IsolatedEnv | None:
        if self.config.lambda_python is None:
            return None
        # Worker processes reach this process's moto over HTTP; the server shares its backends.
        from moto.server import ThreadedMotoServer  # noqa: PLC0415 - only the isolated mode needs Flask

        logging.getLogger('werkzeug').setLevel(logging.ERROR)  # one access-log line per AWS call
        server = ThreadedMotoServer(ip_address='127.0.0.1', port=0, verbose=False)
        server.start()
        self._undo.append(server.stop)
        host, port = server.get_host_and_port()
        return IsolatedEnv(self.config.lambda_python, f'http://{host}:{port}')

    def _apply_logging_configs(self, cfn: dict[str, Any]) -> None:
        # moto ignores a function's LoggingConfig: tell the runtime where each function logs.
        if self.runtime is None:
            return
        for key, code in list(self.runtime.code_by_s3_key.items()):
            group = (cfn['Resources'][code.logical_id]['Properties'].get('LoggingConfig') or {}).get(
                'LogGroup'
            )
            if group is not None:
                resolved = moto_gaps.resolve(
                    group, self.config.stack_name, account_id=ACCOUNT_ID, region=self.config.region
                )
                self.runtime.code_by_s3_key[key] = replace(code, log_group=str(resolved))

    def _put_wix_credentials(self) -> None:
        if self.config.sites:
            self.put_wix_secret({'sites': {name: dict(entry) for name, entry in self.config.sites.items()}})
        else:
            self.put_wix_secret(emulator_site(self.emulator.credentials))

    def put_wix_secret(self, secret: Mapping[str, Any]) -> None:
        """Store `secret` as the Wix credentials secret's value (either shape; docs/sites.md). The
        functions read it through their cache: a change reaches a warm one after its max age."""
        # botocore logs request parameters at DEBUG: keep the key out of any log, even a test's.
        previous = logging.root.manager.disable
        logging.disable(logging.DEBUG)
        try:
            self._client('secretsmanager').put_secret_value(
                SecretId=self.resource(SECRET_ID), SecretString=json.dumps(secret)
            )
        finally:
            logging.disable(previous)

    def _subscribe_to_notifications(self) -> None:
        # An SQS subscription, as a person's e-mail subscription would receive them.
        sqs: SQSClient = self._client('sqs')
        self._queue_url = sqs.create_queue(QueueName='rehearsal-notifications')['QueueUrl']
        queue_arn = sqs.get_queue_attributes(QueueUrl=self._queue_url, AttributeNames=['QueueArn'])[
            'Attributes'
        ]['QueueArn']
        self._client('sns').subscribe(TopicArn=self.resource(TOPIC_ID), Protocol='sqs', Endpoint=queue_arn)

    # -- what the stack holds -------------------------------------------------------------------

    def _client(self, service: str) -> Any:
        """One client per service for the rehearsal's life, created while no handler runs (see
        `LambdaRuntime.holding_still`): the state machine's thread may be invoking one right now."""
        cached = self._clients.get(service)
        if cached is None:
            with self.runtime.holding_still() if self.runtime else contextlib.nullcontext():
                cached = boto3.client(service, region_name=self.config.region)  # type: ignore[call-overload]
            self._clients[service] = cached
        return cached

    def resource(self, logical_id: str) -> str:
        if self.stack is None:
            raise RehearsalError('the rehearsal is not started')
        return self.stack.resources[logical_id]

    @property
    def bucket(self) -> str:
        return self.resource(BUCKET_ID)

    def parameter(self, name: str, default: str = '') -> str:
        if self.stack is None:
            raise RehearsalError('the rehearsal is not started')
        return self.stack.parameters.get(name, default)

    @property
    def incoming_prefix(self) -> str:
        return self.parameter('IncomingPrefix', 'incoming/')

    @property
    def invocations(self) -> list[Invocation]:
        return list(self.runtime.invocations) if self.runtime else []

    @property
    def denials(self) -> list[iam.Denial]:
        """Every call moto's IAM refused so far (none while IAM is not enforced)."""
        return list(self.iam.denials) if self.iam is not None else []

    # -- driving it -----------------------------------------------------------------------------

    def drop(
        self,
        name: str,
        content: bytes,
        *,
        email_column: str | None = None,
        points_column: str | None = None,
        dry_run: bool = False,
        reimport: bool = False,
        metadata: Mapping[str, str] | None = None,
    ) -> Drop:
        """Put a file under the incoming prefix, with the per-object overrides as S3 metadata
        (`reimport`: x-amz-meta-reimport, import balances already imported within the window;
        `metadata`: any other user metadata, e.g. a forged undo-of)."""
        metadata = dict(metadata or {})
        if email_column is not None:
            metadata['email-column'] = email_column
        if points_column is not None:
            metadata['points-column'] = points_column
        if dry_run:
            metadata['dry-run'] = 'true'
        if reimport:
            metadata['reimport'] = 'true'
        key = f'{self.incoming_prefix}{name}'
        s3: S3Client = self._client('s3')
        response = s3.put_object(Bucket=self.bucket, Key=key, Body=content, Metadata=metadata)
        return Drop(
            bucket=self.bucket,
            key=key,
            version_id=response.get('VersionId'),
            etag=response['ETag'].strip('"'),
            size=len(content),
            at=time.monotonic(),
            at_wall=time.time(),
        )

    def drop_undo(self, original: ImportRecord) -> Drop:
        """Drop an import's undo file as `loyalty-import undo` does (the same code: a copy beside the
        original drop, with the undo-of metadata); raises UndoUnavailableError as the command does."""
        # Imported here, not at the top: it loads the pipeline's logger, which must first be created
        # by a handler (while this process's stdout goes to the function's log group).
        from loyalty_import.pipeline.adapters.undo_drop import drop_undo  # noqa: PLC0415

        s3: S3Client = self._client('s3')
        at, at_wall = time.monotonic(), time.time()  # the importer may start before the copy returns
        dropped = drop_undo(original, s3=s3)
        return Drop(
            bucket=dropped.bucket,
            key=dropped.key,
            version_id=dropped.version_id,
            etag=dropped.etag,
            size=dropped.size,
            at=at,
            at_wall=at_wall,
        )

    def read_result(self, uri: str) -> bytes:
        """An object the pipeline wrote (an undo file, an upload file, a report), by its s3:// URI."""
        bucket, _, key = uri.removeprefix('s3://').partition('/')
        s3: S3Client = self._client('s3')
        content: bytes = s3.get_object(Bucket=bucket, Key=key)['Body'].read()
        return content

    def redeliver(self, drop: Drop) -> None:
        """S3 delivering the same event again (it delivers at least once)."""
        if self.runtime is None:
            raise RehearsalError('the rehearsal is not started')
        delivered = [(arn, event) for arn, event in self.runtime.deliveries if drop.key in s3_keys(event)]
        if not delivered:
            raise RehearsalError(f'no S3 event was delivered for {drop.key}')
        function_arn, event = delivered[0]
        self.runtime.deliver_async(function_arn, copy.deepcopy(event))

    def invoke(self, logical_id: str, event: Any) -> Invocation:
        """Invoke a function of the stack synchronously through Lambda's API (as a task would)."""
        if self.runtime is None:
            raise RehearsalError('the rehearsal is not started')
        before = len(self.runtime.invocations)
        self._client('lambda').invoke(FunctionName=self.resource(logical_id), Payload=json.dumps(event))
        return next(
            i for i in self.runtime.invocations[before:] if i.logical_id == logical_id and not i.asynchronous
        )

    def record(self, drop: Drop) -> ImportRecord | None:
        """The drop's import record, read with the product's own model; None if there is none
        (or the table cannot be read: a test may take it away to make the importer fail)."""
        dynamodb: DynamoDBClient = self._client('dynamodb')
        try:
            return DynamoRecordStore(self.resource(TABLE_ID), dynamodb).get(drop.source.source_id)
        except RecordStoreError:
            return None

    def notifications(self) -> list[SnsMessage]:
        """Every notification the topic sent so far (drained from the SQS subscription)."""
        sqs: SQSClient = self._client('sqs')
        while True:
            received = sqs.receive_message(
                QueueUrl=self._queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=0
            ).get('Messages', [])
            if not received:
                return list(self._messages)
            for message in received:
                envelope = json.loads(message['Body'])
                attributes = {
                    name: str(value.get('Value'))
                    for name, value in (envelope.get('MessageAttributes') or {}).items()
                }
                self._messages.append(
                    SnsMessage(envelope.get('Subject'), envelope.get('Message', ''), attributes)
                )
                sqs.delete_message(QueueUrl=self._queue_url, ReceiptHandle=message['ReceiptHandle'])

    def execution_status(self, record: ImportRecord | None) -> str | None:
        if record is None or not record.execution_arn:
            return None
        sfn: SFNClient = self._client('stepfunctions')
        return sfn.describe_execution(executionArn=record.execution_arn)['status']

    def executions(self) -> list[dict[str, Any]]:
        sfn: SFNClient = self._client('stepfunctions')
        listed = sfn.list_executions(stateMachineArn=self.resource(STATE_MACHINE_ID))['executions']
        return [dict(execution) for execution in listed]

    def follow(
        self,
        drop: Drop,
        *,
        timeout_s: float,
        poll_s: float = 0.1,
        on_poll: Callable[[ImportRecord | None, list[SnsMessage]], None] | None = None,
    ) -> Outcome:
        """Poll until the drop has a final record, its notification and no running execution.

        Bounded by `timeout_s`. `on_poll` sees the record and the drop's notifications each round.
        """
        deadline = time.monotonic() + timeout_s
        while True:
            record = self.record(drop)
            mine = [m for m in self.notifications() if m.mentions(drop.source.source_id)]
            if on_poll is not None:
                on_poll(record, mine)
            status = self.execution_status(record)
            finished = (
                record is not None
                and record.is_final
                and bool(mine)
                and (status is None or status in FINAL_EXECUTION_STATES)
            )
            if finished or self._given_up(drop, record) or time.monotonic() >= deadline:
                if self.runtime is not None:
                    self.runtime.wait_idle(max(0.0, deadline - time.monotonic()))
                return Outcome(drop, record, mine, status, finished, time.monotonic() - drop.at)
            time.sleep(poll_s)

    # -- CloudWatch, rehearsed (see alarms) ------------------------------------------------------

    def metric_datapoints(self, now: float | None = None) -> list[alarms.Datapoint]:
        """What CloudWatch would hold: the functions' EMF lines, Lambda's and Step Functions' own
        metrics, and each queue's depth sampled at `now` (default: the wall clock)."""
        at = time.time() if now is None else now
        invocations = self.invocations
        points = alarms.emf_datapoints(line for i in invocations for line in i.log_lines)
        points += alarms.lambda_datapoints(invocations)
        executions = self.executions()
        for execution in executions:  # moto sets no stopDate on a TIMED_OUT execution
            if execution['status'] != 'RUNNING' and execution.get('stopDate') is None:
                execution['stopDate'] = self._seen_ended.setdefault(execution['executionArn'], time.time())
        points += alarms.execution_datapoints(executions)
        sqs: SQSClient = self._client('sqs')
        for url in sqs.list_queues().get('QueueUrls', []):
            if url == self._queue_url:  # the rehearsal's own subscription, not the stack's
                continue
            visible = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=['ApproximateNumberOfMessages'])
            depth = float(visible['Attributes']['ApproximateNumberOfMessages'])
            name = url.rsplit('/', 1)[-1]
            points.append(
                alarms.Datapoint(
                    'AWS/SQS',
                    'ApproximateNumberOfMessagesVisible',
                    alarms.dimensions(QueueName=name),
                    at - 1,
                    depth,
                )
            )
        return points

    def evaluate_alarms(self, now: float | None = None) -> dict[str, alarms.Evaluation]:
        """Evaluate every alarm of the stack at `now` (default: the wall clock) on the metric data
        so far; a state change is set in CloudWatch and published to its actions (see alarms)."""
        at = time.time() if now is None else now
        return alarms.evaluate(
            self._client('cloudwatch'),
            self._client('sns'),
            self.metric_datapoints(at),
            at,
            self.config.region,
        )

    def _given_up(self, drop: Drop, record: ImportRecord | None) -> bool:
        # Lambda retried the S3 event and every attempt failed before writing a record: the event
        # went to the on-failure destination and nothing else will happen to this file.
        if record is not None or self.runtime is None or self.runtime.busy:
            return False
        attempts = [i for i in self.runtime.invocations if i.asynchronous and drop.key in s3_keys(i.event)]
        return bool(attempts) and not any(attempt.ok for attempt in attempts)


def s3_keys(event: Any) -> list[str]:
    """The (decoded) object keys of an S3 event; [] for any other event."""
    records = event.get('Records') if isinstance(event, dict) else None
    if not isinstance(records, list):
        return []
    return [
        unquote_plus(str(record.get('s3', {}).get('object', {}).get('key', '')))
        for record in records
        if isinstance(record, dict) and record.get('eventSource') == 'aws:s3'
    ]


def _function_code(cfn: dict[str, Any], packaged: PackagedTemplate) -> dict[str, FunctionCode]:
    """Each function's code folder and layer folders, keyed by the S3 key its `Code` points at."""
    resources = cfn['Resources']
    layer_dirs: dict[str, Path] = {}
    for logical_id, resource in resources.items():
        if resource['Type'] == 'AWS::Lambda::LayerVersion':
            artifact = packaged.artifacts.get(str(resource['Properties'].get('Content', {}).get('S3Key')))
            if artifact is not None:
                python_dir = artifact.local_path / 'python'  # a layer's /opt/python
                layer_dirs[logical_id] = python_dir if python_dir.is_dir() else artifact.local_path
    code: dict[str, FunctionCode] = {}
    for logical_id, resource in resources.items():
        if resource['Type'] != 'AWS::Lambda::Function':
            continue
        key = str(resource['Properties'].get('Code', {}).get('S3Key'))
        artifact = packaged.artifacts.get(key)
        if artifact is None:
            continue  # inline code or an S3 location the template names itself: not rehearsed
        layers = [ref.get('Ref') for ref in resource['Properties'].get('Layers', []) if isinstance(ref, dict)]
        code[key] = FunctionCode(
            logical_id, artifact.local_path, tuple(layer_dirs[ref] for ref in layers if ref in layer_dirs)
        )
    return code


class _Quiet:
    """Silence a logger for a block (moto logs a warning for every resource type it skips)."""

    def __init__(self, name: str) -> None:
        self.logger = logging.getLogger(name)
        self.level = self.logger.level

    def __enter__(self) -> None:
        self.logger.setLevel(logging.ERROR)

    def __exit__(self, *exc_info: object) -> None:
        self.logger.setLevel(self.level)
