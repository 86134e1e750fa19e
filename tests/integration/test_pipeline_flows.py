"""The pipeline end to end in process: moto (S3, DynamoDB, SNS->SQS, Step Functions, Secrets Manager),
the Wix emulator on 127.0.0.1, the real handlers, and the deployed ASL file walked state by state.

The ASL is walked by a small runner here (Task/Choice/Wait/Succeed/Fail with ResultPath, Retry and
Catch) rather than by moto's interpreter so Wait states cost no real time; the end-to-end tests
run the same file in moto's interpreter. Tables get the key schema template.yaml declares.
"""

from __future__ import annotations

import importlib.util
import json
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import quote_plus

import boto3
import pytest
from aws_lambda_powertools.utilities.typing import LambdaContext as PowertoolsLambdaContext
from moto import mock_aws
from samtranslator.yaml_helper import yaml_parse

from loyalty_import.pipeline import settings as settings_module
from loyalty_import.pipeline.adapters.records import DynamoRecordStore
from loyalty_import.pipeline.models import ImportRecord, RecordStatus
from tests.conftest import REPO_ROOT
from wix_emulator.faults import Fault
from wix_emulator.server import WixEmulator
from wix_emulator.settings import EmulatorSettings

REGION = 'us-east-1'
BUCKET = 'loyalty-drop-123456789012-us-east-1'
ASL = json.loads((REPO_ROOT / 'statemachine' / 'import.asl.json').read_text())
ARNS = {
    'PollerFunctionArn': 'arn:aws:lambda:us-east-1:123456789012:function:poller',
    'ExecutorFunctionArn': 'arn:aws:lambda:us-east-1:123456789012:function:executor',
    'FinalizerFunctionArn': 'arn:aws:lambda:us-east-1:123456789012:function:finalizer',
}
MAX_STEPS = 400


def load_handler(name: str) -> ModuleType:
    """A fresh copy of functions/<name>/app.py (fresh cold-start caches for every test)."""
    spec = importlib.util.spec_from_file_location(
        f'{name}_app_{uuid.uuid4().hex}', REPO_ROOT / 'functions' / name / 'app.py'
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class LambdaContext(PowertoolsLambdaContext):
    """What Lambda passes a handler: a name, a request id and the time left (300 s, the template's)."""

    def __init__(self, name: str) -> None:
        self._function_name = name
        self._function_version = '$LATEST'
        self._memory_limit_in_mb = 1024
        self._invoked_function_arn = f'arn:aws:lambda:{REGION}:123456789012:function:{name}'
        self._aws_request_id = str(uuid.uuid4())
        self._log_group_name = f'/aws/lambda/{name}'
        self._log_stream_name = 'test'
        self._deadline = time.monotonic() + 300

    def get_remaining_time_in_millis(self) -> int:  # type: ignore[override]
        return int((self._deadline - time.monotonic()) * 1000)


def template_table(logical_id: str) -> dict[str, Any]:
    """Key schema and attribute definitions exactly as template.yaml declares the table."""
    template = yaml_parse((REPO_ROOT / 'template.yaml').read_text())
    properties = template['Resources'][logical_id]['Properties']
    return {'KeySchema': properties['KeySchema'], 'AttributeDefinitions': properties['AttributeDefinitions']}


class TaskFailed(Exception):  # noqa: N818 - mirrors a Step Functions task failure
    def __init__(self, error: str, cause: str) -> None:
        super().__init__(error)
        self.error = error
        self.cause = cause


@dataclass
class Stack:
    emulator: WixEmulator
    s3: Any
    sqs: Any
    sfn: Any
    queue_url: str
    topic_arn: str
    state_machine_arn: str
    handlers: dict[str, ModuleType]
    # (state, error) of every Retry the ASL runner applied
    retried: list[tuple[str, str]] = field(default_factory=list)

    # -------------------------------------------------------------------------- S3 -> importer

    def drop(self, key: str, content: bytes, metadata: dict[str, str] | None = None) -> dict[str, Any]:
        """Upload a file and return the S3 event its upload produces."""
        put = self.s3.put_object(Bucket=BUCKET, Key=key, Body=content, Metadata=metadata or {})
        template = json.loads((REPO_ROOT / 'events' / 's3_put.json').read_text())
        record = template['Records'][0]
        record['s3']['bucket'].update(name=BUCKET, arn=f'arn:aws:s3:::{BUCKET}')
        record['s3']['object'].update(
            key=quote_plus(key, safe='/'),
            size=len(content),
            eTag=put['ETag'].strip('"'),
            versionId=put['VersionId'],
        )
        return {'Records': [record]}

    def run_importer(self, event: dict[str, Any]) -> dict[str, Any]:
        result: dict[str, Any] = self.handlers['importer'].handler(event, LambdaContext('importer'))
        return result

    # ------------------------------------------------------------------------- state machine

    def executions(self) -> list[dict[str, Any]]:
        listed: list[dict[str, Any]] = self.sfn.list_executions(stateMachineArn=self.state_machine_arn)[
            'executions'
        ]
        return listed

    def run_state_machine(
        self, *, wait_s: float = 0.0, max_steps: int = MAX_STEPS
    ) -> tuple[str, dict[str, Any]]:
        """Walk the one started execution through the ASL; returns (end state type, final data)."""
        (execution,) = self.executions()
        data = json.loads(self.sfn.describe_execution(executionArn=execution['executionArn'])['input'])
        return AslRunner(self, wait_s).run(data, max_steps)

    def invoke(self, resource: str, payload: dict[str, Any]) -> Any:
        name = next(key for key, arn in ARNS.items() if arn == resource).removesuffix('FunctionArn').lower()
        try:
            return self.handlers[name].handler(json.loads(json.dumps(payload)), LambdaContext(name))
        except Exception as exc:
            cause = json.dumps({'errorMessage': str(exc), 'errorType': type(exc).__name__})
            raise TaskFailed(type(exc).__name__, cause) from exc

    # ------------------------------------------------------------------------------ outcomes

    def records(self) -> list[ImportRecord]:
        client = boto3.client('dynamodb', region_name=REGION)
        items = client.scan(TableName='imports')['Items']
        store = DynamoRecordStore('imports', client=client)
        found = [store.get(item['pk']['S']) for item in items]
        return [record for record in found if record is not None]

    def record(self) -> ImportRecord:
        (record,) = self.records()
        return record

    def notifications(self) -> list[dict[str, Any]]:
        messages: list[dict[str, Any]] = []
        while True:
            batch = self.sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10).get(
                'Messages', []
            )
            if not batch:
                return messages
            for message in batch:
                messages.append(json.loads(message['Body']))
                self.sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message['ReceiptHandle'])

    def objects(self, prefix: str) -> dict[str, bytes]:
        listed = self.s3.list_objects_v2(Bucket=BUCKET, Prefix=prefix).get('Contents', [])
        return {
            item['Key']: self.s3.get_object(Bucket=BUCKET, Key=item['Key'])['Body'].read() for item in listed
        }


class AslRunner:
    """Walks statemachine/import.asl.json: the subset of ASL it uses, with Retry/Catch semantics."""

    def __init__(self, stack: Stack, wait_s: float) -> None:
        self.stack = stack
        self.wait_s = wait_s
        self.visited: list[str] = []

    def run(self, data: dict[str, Any], max_steps: int) -> tuple[str, dict[str, Any]]:
        name = ASL['StartAt']
        for _ in range(max_steps):
            self.visited.append(name)
            state = ASL['States'][name]
            kind = state['Type']
            if kind in {'Succeed', 'Fail'}:
                return kind, data
            if kind == 'Choice':
                name = next((c['Next'] for c in state['Choices'] if self._matches(c, data)), state['Default'])
            elif kind == 'Wait':
                time.sleep(min(self.wait_s, float(self._path(data, state['SecondsPath']))))
                name = state['Next']
            elif kind == 'Task':
                name, data = self._task(state, data)
            elif kind == 'Pass':
                data = self._put(data, state['ResultPath'], state.get('Result'))
                name = state['Next']
            else:  # pragma: no cover - the ASL uses no other state types
                raise AssertionError(kind)
        raise AssertionError(f'no end after {max_steps} states: {self.visited[-10:]}')

    def _task(self, state: dict[str, Any], data: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        attempts: dict[int, int] = {}
        while True:
            try:
                result = self._call(state, data)
            except TaskFailed as failure:
                retry = next(
                    (
                        i
                        for i, r in enumerate(state.get('Retry', []))
                        if self._caught(r['ErrorEquals'], failure.error)
                    ),
                    None,
                )
                if retry is not None and attempts.get(retry, 0) < state['Retry'][retry]['MaxAttempts']:
                    attempts[retry] = attempts.get(retry, 0) + 1
                    self.stack.retried.append((self.visited[-1], failure.error))
                    continue
                catch = next(
                    (c for c in state.get('Catch', []) if self._caught(c['ErrorEquals'], failure.error)), None
                )
                if catch is None:
                    return 'Unrecorded', data
                return catch['Next'], self._put(
                    data, catch['ResultPath'], {'Error': failure.error, 'Cause': failure.cause}
                )
            return state['Next'], self._put(data, state.get('ResultPath', '$'), result)

    def _call(self, state: dict[str, Any], data: dict[str, Any]) -> Any:
        resource = state['Resource']
        if resource == 'arn:aws:states:::sns:publish':
            parameters = state['Parameters']
            attributes = parameters['MessageAttributes']
            boto3.client('sns', region_name=REGION).publish(
                TopicArn=self.stack.topic_arn,
                Subject=parameters['Subject'],
                Message=json.dumps(data),
                MessageAttributes=attributes,
            )
            return None
        resolved = resource
        for key, arn in ARNS.items():
            resolved = resolved.replace('${' + key + '}', arn)
        return self.stack.invoke(resolved, data)

    @staticmethod
    def _caught(names: list[str], error: str) -> bool:
        return error in names or 'States.ALL' in names

    @staticmethod
    def _path(data: dict[str, Any], path: str) -> Any:
        value: Any = data
        for part in path.removeprefix('$.').split('.'):
            value = value.get(part) if isinstance(value, dict) else None
        return value

    def _matches(self, choice: dict[str, Any], data: dict[str, Any]) -> bool:
        if 'Or' in choice:
            return any(self._matches(option, data) for option in choice['Or'])
        if 'And' in choice:
            return all(self._matches(option, data) for option in choice['And'])
        value = self._path(data, choice['Variable'])
        if 'IsNull' in choice:
            return (value is None) is choice['IsNull']
        if 'StringEquals' in choice:
            return bool(value == choice['StringEquals'])
        return bool(value is choice['BooleanEquals'])

    @staticmethod
    def _put(data: dict[str, Any], path: str | None, value: Any) -> dict[str, Any]:
        if path is None:
            return data
        if path == '$':
            return dict(value)
        return {**data, path.removeprefix('$.'): value}


@contextmanager
def running_stack(emulator: WixEmulator, monkeypatch: pytest.MonkeyPatch, **env: str) -> Iterator[Stack]:
    for name, value in {
        'AWS_DEFAULT_REGION': REGION,
        'AWS_ACCESS_KEY_ID': 'testing',
        'AWS_SECRET_ACCESS_KEY': 'testing',
        'POWERTOOLS_TRACE_DISABLED': '1',
        'POWERTOOLS_METRICS_NAMESPACE': 'LoyaltyImport',
        'IMPORTS_TABLE': 'imports',
        'IDEMPOTENCY_TABLE': 'idempotency',
        'WIX_SECRET_ID': 'wix-credentials',
        'WIX_BASE_URL': emulator.base_url,
        'WIX_OAUTH_TOKEN_URL': emulator.oauth_token_url,
        'DROP_BUCKET': BUCKET,
        'INCOMING_PREFIX': 'incoming/',
        'RESULTS_PREFIX': 'results/',
        'PARSE_WAIT_SECONDS': '10',
        **env,
    }.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        s3 = boto3.client('s3', region_name=REGION)
        s3.create_bucket(Bucket=BUCKET)
        s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={'Status': 'Enabled'})
        dynamodb = boto3.client('dynamodb', region_name=REGION)
        for table, logical_id in (('imports', 'ImportsTable'), ('idempotency', 'IdempotencyTable')):
            dynamodb.create_table(
                TableName=table, BillingMode='PAY_PER_REQUEST', **template_table(logical_id)
            )
        sns = boto3.client('sns', region_name=REGION)
        topic_arn = sns.create_topic(Name='loyalty-import')['TopicArn']
        sqs = boto3.client('sqs', region_name=REGION)
        queue_url = sqs.create_queue(QueueName='notifications')['QueueUrl']
        queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=['QueueArn'])['Attributes'][
            'QueueArn'
        ]
        sns.subscribe(TopicArn=topic_arn, Protocol='sqs', Endpoint=queue_arn)
        creds = emulator.credentials
        boto3.client('secretsmanager', region_name=REGION).create_secret(
            Name='wix-credentials',
            SecretString=json.dumps({'mode': 'api_key', 'api_key': creds.api_key, 'site_id': creds.site_id}),
        )
        definition = (REPO_ROOT / 'statemachine' / 'import.asl.json').read_text()
        for key, arn in {**ARNS, 'NotificationTopicArn': topic_arn}.items():
            definition = definition.replace('${' + key + '}', arn)
        sfn = boto3.client('stepfunctions', region_name=REGION)
        state_machine_arn = sfn.create_state_machine(
            name='import', definition=definition, roleArn='arn:aws:iam::123456789012:role/sfn'
        )['stateMachineArn']
        monkeypatch.setenv('NOTIFICATION_TOPIC_ARN', topic_arn)
        monkeypatch.setenv('STATE_MACHINE_ARN', state_machine_arn)
        settings_module.load_settings.cache_clear()
        handlers = {name: load_handler(name) for name in ('importer', 'poller', 'executor', 'finalizer')}
        try:
            yield Stack(emulator, s3, sqs, sfn, queue_url, topic_arn, state_machine_arn, handlers)
        finally:
            settings_module.load_settings.cache_clear()


@pytest.fixture
def stack(wix_emulator: WixEmulator, monkeypatch: pytest.MonkeyPatch) -> Iterator[Stack]:
    with running_stack(wix_emulator, monkeypatch) as running:
        yield running


@pytest.fixture(scope='module')
def samples(shared_dir: Path) -> tuple[Path, dict[str, Any]]:
    folder = shared_dir / 'samples'
    expected: dict[str, Any] = json.loads((folder / 'expected.json').read_text())
    return folder, expected


def sample(samples: tuple[Path, dict[str, Any]], want: Callable[[dict[str, Any]], bool]) -> tuple[str, bytes]:
    folder, expected = samples
    name = next(name for name, answer in sorted(expected.items()) if want(answer))
    return name, (folder / name).read_bytes()


def only_notification(stack: Stack) -> dict[str, Any]:
    notifications = stack.notifications()
    assert len(notifications) == 1, [n.get('Subject') for n in notifications]
    return notifications[0]


# --------------------------------------------------------------------------------------- flows


def test_a_clean_file_is_imported_recorded_and_notified_once(stack: Stack) -> None:
    # GIVEN a clean balances export (every contact known to Wix)
    content = b'email,points\r\nann@example.com,120\r\nbob@example.com,40\r\n'
    # WHEN it is dropped, imported and the state machine runs to its end
    stack.run_importer(stack.drop('incoming/clean balances.csv', content))
    end, _ = stack.run_state_machine()
    # THEN Wix imported every row and the record has Wix's ImportResult
    assert end == 'Succeed'
    record = stack.record()
    assert record.status is RecordStatus.IMPORTED
    assert record.import_result is not None
    assert (record.import_result.success_count, record.import_result.failure_count) == (2, 0)
    assert record.key == 'incoming/clean balances.csv'
    assert stack.emulator.balances == {'ann@example.com': 120, 'bob@example.com': 40}
    # AND one notification with a readable subject and the record as its body
    notification = only_notification(stack)
    assert notification['Subject'] == 'Loyalty import finished: 2 imported, 0 failed - clean balances.csv'
    assert notification['MessageAttributes']['outcome']['Value'] == 'IMPORTED'
    assert json.loads(notification['Message'])['record']['wixImportId'] == record.wix_import_id


def test_row_failures_keep_wix_error_file_under_the_results_prefix(stack: Stack) -> None:
    # GIVEN a file with one contact Wix does not know
    content = b'email,points\r\nann@example.com,120\r\nghost@example.com,5\r\n'
    # WHEN it goes through the pipeline
    stack.run_importer(stack.drop('incoming/partial.csv', content))
    stack.run_state_machine()
    # THEN the import is IMPORTED with one failure, and Wix's error file is copied to S3
    record = stack.record()
    assert record.status is RecordStatus.IMPORTED
    assert record.import_result is not None
    assert (record.import_result.success_count, record.import_result.failure_count) == (1, 1)
    assert record.import_result.error_file_exists is True
    copies = stack.objects('results/')
    assert record.error_file == f's3://{BUCKET}/results/partial.csv.{record.wix_import_id}.errors.csv'
    (copy,) = copies.values()
    assert b'ghost@example.com' in copy
    # AND the one notification says 1 failed and where the error file is
    notification = only_notification(stack)
    assert notification['Subject'] == 'Loyalty import finished: 1 imported, 1 failed - partial.csv'
    assert record.error_file in notification['Message']


def test_a_refused_file_is_rejected_without_any_wix_call(
    stack: Stack, samples: tuple[Path, dict[str, Any]]
) -> None:
    # GIVEN a sample the CSV intelligence must refuse (expected.json says so)
    name, content = sample(samples, lambda answer: bool(answer.get('refuse')))
    # WHEN it is dropped
    stack.run_importer(stack.drop(f'incoming/{name}', content))
    # THEN it is REJECTED with a code and message, reported under results/, and Wix saw nothing
    record = stack.record()
    assert record.status is RecordStatus.REJECTED
    assert record.error is not None
    assert record.error.code
    assert record.error.message
    assert stack.emulator.requests == []
    assert stack.executions() == []
    assert list(stack.objects('results/')) == [f'results/{name}.rejected.txt']
    notification = only_notification(stack)
    assert notification['MessageAttributes']['outcome']['Value'] == 'REJECTED'


def test_a_dry_run_records_the_mapping_without_calling_wix(
    stack: Stack, samples: tuple[Path, dict[str, Any]]
) -> None:
    # GIVEN a sample with a known mapping, dropped with x-amz-meta-dry-run: true
    name, content = sample(samples, lambda answer: 'EMAIL' in answer)
    _, expected = samples
    stack.run_importer(stack.drop(f'incoming/{name}', content, metadata={'dry-run': 'true'}))
    # THEN the record is DRY_RUN with the expected source columns, one notification, no Wix call
    record = stack.record()
    assert record.status is RecordStatus.DRY_RUN
    assert record.mapping is not None
    assert (record.mapping.email.column, record.mapping.points.column) == (
        expected[name]['EMAIL'],
        expected[name]['POINTS'],
    )
    assert stack.emulator.requests == []
    assert only_notification(stack)['MessageAttributes']['outcome']['Value'] == 'DRY_RUN'


def test_metadata_overrides_choose_the_columns(stack: Stack) -> None:
    # GIVEN two balance-like columns, and metadata naming the one to use
    content = b'email,points,bonus\r\nann@example.com,7,900\r\n'
    stack.run_importer(stack.drop('incoming/override.csv', content, metadata={'points-column': 'bonus'}))
    stack.run_state_machine()
    # THEN Wix set the balance from the overridden column
    record = stack.record()
    assert record.overrides is not None
    assert record.overrides.points_column == 'bonus'
    assert record.status is RecordStatus.IMPORTED
    assert stack.emulator.balances == {'ann@example.com': 900}


def test_duplicate_deliveries_make_one_wix_import_and_one_execution(stack: Stack) -> None:
    # GIVEN one upload whose event arrives three times (twice in one batch, then again)
    event = stack.drop('incoming/dup.csv', b'email,points\r\nann@example.com,3\r\n')
    doubled = {'Records': event['Records'] * 2}
    # WHEN the importer sees all of them
    stack.run_importer(doubled)
    stack.run_importer(event)
    # THEN Wix got one import, executed once, and one execution exists
    assert stack.emulator.count('create_import') == 1
    assert stack.emulator.count('execute_import') == 1
    assert len(stack.executions()) == 1
    stack.run_state_machine()
    assert len(stack.records()) == 1
    only_notification(stack)


def test_wix_faults_mid_flow_still_end_in_one_import(stack: Stack) -> None:
    # GIVEN Wix fails the create (500, then a lost response) and some polls (503)
    stack.emulator.faults.script('create_import', [Fault.HTTP_500, Fault.RESPONSE_LOST])
    stack.emulator.faults.script('get_import', [None, Fault.HTTP_503, None, Fault.HTTP_503])
    # WHEN a file goes through
    stack.run_importer(stack.drop('incoming/faulty.csv', b'email,points\r\nann@example.com,3\r\n'))
    stack.run_state_machine()
    # THEN exactly one import exists at Wix, it finished, and one notification went out
    assert len(stack.emulator.imports) == 1
    assert stack.emulator.count('execute_import') == 1
    assert stack.record().status is RecordStatus.IMPORTED
    only_notification(stack)


def test_wix_refusing_the_credentials_ends_failed_and_notified(stack: Stack) -> None:
    # GIVEN a secret with a wrong API key
    boto3.client('secretsmanager', region_name=REGION).put_secret_value(
        SecretId='wix-credentials',
        SecretString=json.dumps(
            {'mode': 'api_key', 'api_key': 'wrong', 'site_id': stack.emulator.credentials.site_id}
        ),
    )
    # WHEN a file is dropped
    stack.run_importer(stack.drop('incoming/creds.csv', b'email,points\r\nann@example.com,3\r\n'))
    # THEN the record is FAILED with WIX_AUTH_FAILED, nothing was created, one notification says what to check
    record = stack.record()
    assert record.status is RecordStatus.FAILED
    assert record.error is not None
    assert record.error.code == 'WIX_AUTH_FAILED'
    assert stack.emulator.count('create_import') == 0
    assert 'credentials' in only_notification(stack)['Message']


def test_a_parse_slower_than_the_importer_is_executed_by_the_state_machine(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # GIVEN Wix takes 0.3 s to parse and the importer may not wait at all
    settings = EmulatorSettings(parse_delay_s=0.3, import_delay_s=0.02)
    with (
        WixEmulator(settings) as emulator,
        running_stack(emulator, monkeypatch, PARSE_WAIT_SECONDS='0') as stack,
    ):
        stack.run_importer(stack.drop('incoming/slow.csv', b'email,points\r\nann@example.com,3\r\n'))
        assert stack.emulator.count('execute_import') == 0
        assert stack.record().status is RecordStatus.CREATED
        # WHEN the state machine polls (really waiting up to 0.1 s per Wait)
        end, _ = stack.run_state_machine(wait_s=0.1)
        # THEN its Execute step executed the import once and it finished
        assert end == 'Succeed'
        assert stack.emulator.count('execute_import') == 1
        assert stack.record().status is RecordStatus.IMPORTED
        assert only_notification(stack)['MessageAttributes']['outcome']['Value'] == 'IMPORTED'


def test_an_import_stuck_past_the_deadline_ends_timed_out(monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN Wix never finishes importing and the deadline is one second after the drop
    settings = EmulatorSettings(parse_delay_s=0.0, import_delay_s=3600)
    with (
        WixEmulator(settings) as emulator,
        running_stack(emulator, monkeypatch, IMPORT_DEADLINE_SECONDS='1') as stack,
    ):
        stack.run_importer(stack.drop('incoming/stuck.csv', b'email,points\r\nann@example.com,3\r\n'))
        # WHEN the state machine polls until the deadline (Waits capped at 0.1 s)
        end, data = stack.run_state_machine(wait_s=0.1)
        # THEN the record ends TIMED_OUT, notified once
        assert end == 'Succeed'
        assert data['poll']['deadlineExceeded'] is True
        record = stack.record()
        assert record.status is RecordStatus.TIMED_OUT
        assert record.error is not None
        assert record.error.code == 'DEADLINE_EXCEEDED'
        assert only_notification(stack)['MessageAttributes']['outcome']['Value'] == 'TIMED_OUT'


def test_a_second_finalize_sends_no_second_notification(stack: Stack) -> None:
    # GIVEN a finished import
    stack.run_importer(stack.drop('incoming/again.csv', b'email,points\r\nann@example.com,3\r\n'))
    _, data = stack.run_state_machine()
    only_notification(stack)
    # WHEN Step Functions runs Finalize again with the same input
    result = stack.invoke(ARNS['FinalizerFunctionArn'], data)
    # THEN it reports the same final status and sends nothing
    assert result['status'] == 'IMPORTED'
    assert result['notified'] is False
    assert stack.notifications() == []


# ------------------------------------------------------------------------------ the importer handler


def test_one_event_with_several_objects_imports_each_and_ignores_results(stack: Stack) -> None:
    # GIVEN one S3 event with two dropped files and (misconfigured) a key under the results prefix
    first = stack.drop('incoming/a.csv', b'email,points\r\nann@example.com,1\r\n')
    second = stack.drop('incoming/b.csv', b'email,points\r\nbob@example.com,2\r\n')
    stray = json.loads(json.dumps(first['Records'][0]))
    stray['s3']['object']['key'] = 'results/a.csv.rejected.txt'
    # WHEN the importer handles it
    response = stack.run_importer({'Records': [*first['Records'], stray, *second['Records']]})
    # THEN both files became imports and the results key was left alone
    assert [outcome['status'] for outcome in response['outcomes']] == ['IMPORTING', 'IMPORTING']
    assert stack.emulator.count('create_import') == 2
    assert len(stack.executions()) == 2


def test_an_infrastructure_failure_raises_so_lambda_retries_the_event(stack: Stack) -> None:
    # GIVEN the imports table is unavailable (deleted)
    boto3.client('dynamodb', region_name=REGION).delete_table(TableName='imports')
    event = stack.drop('incoming/a.csv', b'email,points\r\nann@example.com,1\r\n')
    # WHEN / THEN the handler raises (Lambda's async retry and the DLQ take over), and Wix saw nothing
    with pytest.raises(Exception, match='import record'):
        stack.run_importer(event)
    assert stack.emulator.requests == []


def test_the_functions_emit_emf_metrics_for_the_outcome(
    stack: Stack, capsys: pytest.CaptureFixture[str]
) -> None:
    # GIVEN a file with one unknown contact
    stack.run_importer(
        stack.drop('incoming/m.csv', b'email,points\r\nann@example.com,1\r\nghost@example.com,2\r\n')
    )
    stack.run_state_machine()
    # WHEN the functions' stdout is read as CloudWatch would
    metrics: dict[str, list[float]] = {}
    for line in capsys.readouterr().out.splitlines():
        if '"_aws"' not in line:
            continue
        document = json.loads(line)
        for directive in document['_aws']['CloudWatchMetrics']:
            # The namespace and dimension template.yaml's alarms and dashboard query
            assert directive['Namespace'] == 'LoyaltyImport'
            assert directive['Dimensions'] == [['service']]
            assert document['service'] == 'loyalty-import'
            for metric in directive['Metrics']:
                value = document[metric['Name']]
                metrics.setdefault(metric['Name'], []).extend(value if isinstance(value, list) else [value])
    # THEN started, imported, rows and duration are all there
    assert metrics['ImportsStarted'] == [1]
    assert metrics['ImportsImported'] == [1]
    assert metrics['RowsImported'] == [1]
    assert metrics['RowsFailed'] == [1]
    assert metrics['MappingConfidence'][0] > 0
    assert metrics['EndToEndDuration'][0] >= 0


def test_when_nothing_can_be_recorded_the_state_machine_still_notifies(stack: Stack) -> None:
    # GIVEN an import in flight, then the imports table becomes unavailable
    stack.run_importer(stack.drop('incoming/lost.csv', b'email,points\r\nann@example.com,1\r\n'))
    boto3.client('dynamodb', region_name=REGION).delete_table(TableName='imports')
    # WHEN the state machine runs: Finalize and Finalize-without-Wix both fail after their retries
    end, data = stack.run_state_machine()
    # THEN the execution fails (alarmed) after publishing the state straight to the topic
    assert end == 'Fail'
    assert data['finalizeError']['Error'] == 'RecordStoreError'
    notification = only_notification(stack)
    assert notification['MessageAttributes']['outcome']['Value'] == 'UNRECORDED'
    assert json.loads(notification['Message'])['importId'] == data['importId']


def test_an_event_without_records_is_ignored(stack: Stack) -> None:
    # GIVEN the test event S3 may send when a notification is configured
    event = {'Service': 'Amazon S3', 'Event': 's3:TestEvent', 'Bucket': BUCKET}
    # WHEN / THEN the importer does nothing and does not fail
    assert stack.run_importer(event) == {'outcomes': []}
    assert stack.records() == []


def test_a_wix_outage_longer_than_the_client_retries_is_retried_by_the_state_machine(stack: Stack) -> None:
    # GIVEN an executed import, then Wix answers 503 to five reads in a row (a task's client tries 4 times)
    stack.run_importer(stack.drop('incoming/outage.csv', b'email,points\r\nann@example.com,1\r\n'))
    stack.emulator.faults.script('get_import', [Fault.HTTP_503] * 5)
    # WHEN the state machine runs
    end, data = stack.run_state_machine()
    # THEN the Poll state's Retry on WixUnavailable carried it through to the real result
    assert end == 'Succeed'
    assert data['error'] is None
    assert stack.retried == [('Poll', 'WixUnavailable')]
    faulted = [r for r in stack.emulator.requests if r.endpoint == 'get_import' and r.fault is Fault.HTTP_503]
    assert len(faulted) == 5
    assert stack.record().status is RecordStatus.IMPORTED
    only_notification(stack)
