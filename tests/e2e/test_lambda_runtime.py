"""The rehearsal's Lambda adapter: how it runs a handler for moto, on small fakes of moto's function."""

from __future__ import annotations

import json
import logging
import os
import textwrap
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import pytest

from rehearsal.lambda_runtime import TIMEOUT_ERROR, FunctionCode, LambdaRuntime

HANDLER = """
import logging
import os
import time

import fakelayer


class WixUnavailable(Exception):
    pass


def handler(event, context):
    if event.get('log'):
        own = logging.getLogger('function.own')
        own.setLevel(logging.INFO)
        own.info('own info record')
        logging.getLogger('botocore.fake').debug('library debug record')
        return {}
    if event.get('raise'):
        raise WixUnavailable('Wix is down')
    time.sleep(event.get('sleep', 0))
    print('a log line')
    fakelayer.CALLS.append(event)
    return {
        'greeting': os.environ['GREETING'],
        'number': os.environ['NUMBER'],
        'function': os.environ['AWS_LAMBDA_FUNCTION_NAME'],
        'remaining_ms': context.get_remaining_time_in_millis(),
        'module': __name__,
        'layer_calls': len(fakelayer.CALLS),
    }
"""


@dataclass
class RecordingLogs:
    """The part of moto's CloudWatch Logs backend the adapter writes to."""

    events: dict[str, list[str]] = field(default_factory=dict)

    def ensure_log_group(self, group: str) -> None:
        self.events.setdefault(group, [])

    def create_log_stream(self, group: str, stream: str) -> None:
        assert group in self.events

    def put_log_events(self, group: str, stream: str, events: list[dict[str, Any]]) -> None:
        self.events[group].extend(event['message'] for event in events)


@dataclass
class FakeFunction:
    """The attributes of moto's LambdaFunction the adapter reads."""

    function_name: str
    code: dict[str, str]
    # Lambda's maximum: no test here may time out because the machine is busy (one sets its own).
    timeout: float = 900
    handler: str = 'app.handler'
    memory_size: int = 128
    version: str = '$LATEST'
    run_time: str = 'python3.13'
    environment_vars: dict[str, Any] = field(default_factory=lambda: {'GREETING': 'hello', 'NUMBER': 7})
    logs_backend: RecordingLogs = field(default_factory=RecordingLogs)

    @property
    def function_arn(self) -> str:
        return f'arn:aws:lambda:us-east-1:123456789012:function:{self.function_name}'

    @property
    def logs_group_name(self) -> str:
        return f'/aws/lambda/{self.function_name}'


@pytest.fixture
def code(tmp_path: Path) -> dict[str, FunctionCode]:
    layer = tmp_path / 'layer'
    (layer / 'fakelayer').mkdir(parents=True)
    (layer / 'fakelayer' / '__init__.py').write_text('CALLS = []\n')
    functions = {}
    for name in ('First', 'Second'):
        folder = tmp_path / name
        folder.mkdir()
        (folder / 'app.py').write_text(textwrap.dedent(HANDLER))
        functions[f'{name}/CodeUri'] = FunctionCode(name, folder, (layer,))
    return functions


@pytest.fixture
def runtime(code: dict[str, FunctionCode]) -> Iterator[LambdaRuntime]:
    runtime = LambdaRuntime(code, region='us-east-1')
    runtime.install()
    yield runtime
    runtime.uninstall()


def function(name: str, **overrides: Any) -> FakeFunction:
    return FakeFunction(name, {'S3Bucket': 'rehearsal-artifacts', 'S3Key': f'{name}/CodeUri'}, **overrides)


def test_a_handler_runs_with_its_environment_and_a_counting_down_context(runtime: LambdaRuntime) -> None:
    # GIVEN a function whose environment has a Number parameter's int, as moto keeps it
    first = function('First')

    # WHEN it is invoked
    invocation, payload = runtime.run(first, '{"hello": 1}', asynchronous=False)

    # THEN the handler saw text variables, its own name, and a deadline within its timeout
    result = json.loads(payload)
    assert invocation.ok
    assert result['greeting'] == 'hello'
    assert result['number'] == '7'
    assert result['function'] == 'First'
    assert 0 < result['remaining_ms'] <= 900_000
    assert result['module'] == 'rehearsal_lambda_First_app'
    # AND the variables are gone again, and what it printed is in its log group
    assert 'GREETING' not in os.environ
    assert 'a log line' in first.logs_backend.events['/aws/lambda/First']


def test_an_exception_becomes_a_lambda_error_payload_named_after_its_class(runtime: LambdaRuntime) -> None:
    # WHEN the handler raises
    invocation, payload = runtime.run(function('First'), {'raise': True}, asynchronous=False)

    # THEN Step Functions gets errorType = the class name (what Retry/Catch match on)
    error = json.loads(payload)
    assert error['errorType'] == 'WixUnavailable'
    assert error['errorMessage'] == 'Wix is down'
    assert not invocation.ok


def test_an_invocation_that_outlives_its_timeout_is_reported_as_timed_out(runtime: LambdaRuntime) -> None:
    # GIVEN a function with a 10 ms timeout whose handler takes 50 ms
    slow = function('First', timeout=0.01)

    # WHEN it is invoked
    invocation, payload = runtime.run(slow, {'sleep': 0.05}, asynchronous=False)

    # THEN Lambda's timeout error is returned instead of the result
    assert json.loads(payload)['errorType'] == TIMEOUT_ERROR
    assert invocation.error_type == TIMEOUT_ERROR


def test_each_function_has_its_own_copy_of_its_layers_modules(runtime: LambdaRuntime) -> None:
    # GIVEN two functions sharing a layer whose module keeps state
    first, second = function('First'), function('Second')

    # WHEN the first runs twice and the second once
    runtime.run(first, {}, asynchronous=False)
    _, payload_first = runtime.run(first, {}, asynchronous=False)
    _, payload_second = runtime.run(second, {}, asynchronous=False)

    # THEN each saw only its own calls (one interpreter per function, warm between its invocations)
    assert json.loads(payload_first)['layer_calls'] == 2
    assert json.loads(payload_second)['layer_calls'] == 1


def test_logging_in_a_handler_behaves_as_in_a_lambda_process(
    runtime: LambdaRuntime, caplog: pytest.LogCaptureFixture
) -> None:
    # GIVEN this process logging everything at DEBUG (as a test or a debugging session may)
    caplog.set_level(logging.DEBUG)

    # WHEN a handler logs through its own INFO logger and a library logs at DEBUG
    invocation, _ = runtime.run(function('First'), {'log': True}, asynchronous=False)
    assert invocation.ok
    logging.getLogger('botocore.fake').debug('harness debug record')

    # THEN only what Lambda's WARNING root would let through was emitted by the handler
    messages = [record.getMessage() for record in caplog.records]
    assert 'own info record' in messages
    assert 'library debug record' not in messages
    # AND outside an invocation this process's own logging is untouched
    assert 'harness debug record' in messages


def test_a_closed_runtime_runs_nothing(runtime: LambdaRuntime) -> None:
    # GIVEN a runtime being shut down
    assert runtime.close(timeout_s=1)

    # WHEN moto asks for one more invocation
    invocation, payload = runtime.run(function('First'), {}, asynchronous=False)

    # THEN the handler is not called
    assert json.loads(payload)['errorType'] == 'Rehearsal.Stopped'
    assert invocation.result is None


def test_moto_step_functions_creates_its_clients_only_while_no_handler_runs(
    runtime: LambdaRuntime, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN moto's Step Functions, which creates a boto3 client for every Task state on its own
    # thread (creating one iterates os.environ, which a running handler swaps: a KeyError there
    # failed a Finalize task and ended an import TIMED_OUT under load)
    from moto.stepfunctions.parser.asl.utils.boto_client import boto_client_for  # noqa: PLC0415

    events: list[str] = []
    real_client = boto3.client

    @contextmanager
    def holding_still() -> Iterator[None]:
        events.append('hold')
        yield
        events.append('release')

    def client(*args: Any, **kwargs: Any) -> Any:
        events.append('client')
        return real_client(*args, **kwargs)

    monkeypatch.setattr(runtime, 'holding_still', holding_still)
    monkeypatch.setattr(boto3, 'client', client)

    # WHEN it creates the client for a Lambda task
    boto_client_for(region='us-east-1', service='lambda')

    # THEN the client was created while the runtime held handlers still
    assert events == ['hold', 'client', 'release']
