"""The one adapter between moto's Lambda and the real handlers: invocations run in this process.

moto runs a function's code only inside Docker (`LambdaFunction._invoke_lambda` starts a
container). Every way our stack invokes a function goes through that method: Step Functions
tasks (a boto3 `lambda.invoke` answered by moto's backend) and S3 notifications (moto calls the
function object directly). `LambdaRuntime.install()` replaces it with `run()`, which executes the
deployed handler the way the Lambda Python runtime does:

- the code is the folder the template's `CodeUri` names (found through the function's `Code`
  S3 key that `template.package` gave it), the handler module is loaded by file path under a
  module name unique to the function (several functions all have an `app.py`), once per
  function (the cold start) and reused after (warm invocations);
- the template's layers (moto drops `Layers` from functions it creates) are put on `sys.path`
  as /opt/python would be, after this project's installed packages; and the packages of a layer
  (e.g. `loyalty_import`) are imported once PER FUNCTION: each function keeps its own copies in
  `sys.modules`, swapped in for its invocations, as each Lambda function has its own interpreter.
  Otherwise a cache filled at one function's cold start (its settings, its clients) would leak
  into the others, and into the next rehearsal in the same process;
- the environment is the function's, resolved by moto's CloudFormation from the template, plus
  the variables the Lambda runtime itself sets; `AWS_SAM_LOCAL=true` as `sam local invoke` sets it
  (tracing off: there is no X-Ray daemon). Invocations are serialized (one process, one
  `os.environ`), which only loses concurrency the pipeline does not depend on;
- the context has the function's name, ARN, memory and `get_remaining_time_in_millis()` counting
  down the template's `Timeout`. An invocation that outlives its timeout is reported as Lambda
  reports it (`Sandbox.Timedout`); unlike Lambda it is not killed midway, so its side effects stay;
- an exception becomes Lambda's error payload (`errorType` = the exception's class name), which is
  what the state machine's `Retry`/`Catch` match on;
- what the handler prints (its logs) goes to the function's CloudWatch log group in moto; and
  while a handler runs, logging behaves as in a Lambda process, whose root logger is at WARNING:
  a logger without a level of its own (boto3's, botocore's) does not emit INFO/DEBUG records
  even if this process (e.g. a test capturing DEBUG) set its root logger lower. Otherwise
  botocore's DEBUG log of a GetSecretValue response would put the Wix credentials in a log.

S3 -> Lambda is an asynchronous invocation in AWS, but moto calls the function synchronously
inside `put_object` and drops any error. `install()` also replaces that hook: the event is queued
to a worker thread that retries as Lambda does (`MaximumRetryAttempts` of the function's
EventInvokeConfig, default 2) and then sends the event to the on-failure destination.
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import json
import logging
import os
import sys
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any, TextIO

import boto3

from rehearsal.isolated import IsolatedEnv, WorkerCall, Workers

TIMEOUT_ERROR = 'Sandbox.Timedout'


@dataclass(frozen=True)
class FunctionCode:
    """Where a deployed function's code and layers live on this machine."""

    logical_id: str
    code_dir: Path
    layer_dirs: tuple[Path, ...] = ()
    # The template's LoggingConfig.LogGroup (moto ignores it); None: /aws/lambda/<function name>.
    log_group: str | None = None


@dataclass
class Invocation:
    """One handler run, for progress output and for tests to assert on."""

    logical_id: str
    function_name: str
    event: Any
    asynchronous: bool
    started: float
    request_id: str = ''
    duration_s: float = 0.0
    error_type: str | None = None
    error_message: str | None = None
    result: Any = None
    log_lines: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.error_type is None


class LambdaContext:
    """The attributes of the Python runtime's context object that handlers and Powertools read."""

    def __init__(self, function: Any, request_id: str, deadline: float, log_group: str) -> None:
        self.function_name: str = function.function_name
        self.function_version: str = str(function.version)
        self.invoked_function_arn: str = function.function_arn
        self.memory_limit_in_mb: int = int(function.memory_size)
        self.aws_request_id = request_id
        self.log_group_name = log_group
        self.log_stream_name = f'{datetime.now(UTC):%Y/%m/%d}/[$LATEST]{request_id}'
        self._deadline = deadline

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


class _ThreadRoutedStream(io.TextIOBase):
    """sys.stdout (stderr) while a rehearsal runs: a handler's output goes to its invocation's buffer.

    Loggers bind sys.stdout when they are created (inside a handler's cold start), so the stream
    is swapped for the whole rehearsal and routes each write by the writing thread.
    """

    def __init__(self, fallback: TextIO) -> None:
        self.fallback = fallback
        self.local = threading.local()

    def write(self, text: str) -> int:
        buffer: io.StringIO | None = getattr(self.local, 'buffer', None)
        if buffer is not None:
            return buffer.write(text)
        return self.fallback.write(text)

    def flush(self) -> None:
        self.fallback.flush()

    @contextlib.contextmanager
    def capture(self, buffer: io.StringIO) -> Iterator[None]:
        self.local.buffer = buffer
        try:
            yield
        finally:
            self.local.buffer = None


# Both streams, as Lambda sends both to CloudWatch Logs (warnings are written to stderr).
STREAMS = ('stdout', 'stderr')
# One router per stream for the whole process: a logger created by one rehearsal keeps writing to
# the router it was given, and the router sends each write to the invocation of its thread.
_ROUTERS: dict[str, _ThreadRoutedStream] = {}


def _route(name: str) -> _ThreadRoutedStream:
    current = getattr(sys, name)
    router = _ROUTERS.get(name)
    if router is None:
        router = _ROUTERS[name] = _ThreadRoutedStream(current)
    if current is not router:
        router.fallback = current
        setattr(sys, name, router)
    return router


def _unroute(name: str) -> None:
    router = _ROUTERS.get(name)
    if router is not None and getattr(sys, name) is router:
        setattr(sys, name, router.fallback)


class LambdaRuntime:
    def __init__(
        self,
        code_by_s3_key: dict[str, FunctionCode],
        *,
        region: str,
        async_retry_delay_s: float = 1.0,
        isolated: IsolatedEnv | None = None,
        role_environment: Callable[[str], dict[str, str]] | None = None,
    ) -> None:
        self.code_by_s3_key = code_by_s3_key
        # The role's temporary credentials (rehearsal.iam), given to each invocation as Lambda does.
        self.role_environment = role_environment
        self._sessions: dict[str, Any] = {}  # by function ARN: its own boto3 default session
        # None: handlers run in this process; else each in a worker with only the runtime's packages.
        self._workers = Workers(isolated) if isolated is not None else None
        self.region = region
        self.async_retry_delay_s = async_retry_delay_s
        self.invocations: list[Invocation] = []
        self.listeners: list[Callable[[Invocation], None]] = []
        self._modules: dict[str, ModuleType] = {}
        self._layer_modules: dict[str, dict[str, ModuleType]] = {}  # by function ARN
        self._lock = threading.RLock()  # one os.environ: one invocation at a time
        self._pending: set[threading.Thread] = set()
        self._pending_lock = threading.Lock()
        self._undo: list[Callable[[], None]] = []
        self._closed = False
        # Every asynchronous delivery (function ARN, event), in order: what S3 sent, for redelivery.
        self.deliveries: list[tuple[str, Any]] = []

    # -- wiring into moto -------------------------------------------------------------------

    def install(self) -> None:
        from moto.awslambda.models import LambdaFunction  # noqa: PLC0415
        from moto.s3 import notifications  # noqa: PLC0415
        from moto.stepfunctions.parser.asl.utils import boto_client as sfn_boto_client  # noqa: PLC0415

        runtime = self

        def invoke_in_process(function: Any, event: Any = None) -> tuple[str, bool, str]:
            invocation, payload = runtime.run(function, event, asynchronous=False)
            return payload, not invocation.ok, '\n'.join(invocation.log_lines)

        def invoke_from_s3(account_id: str, event_body: Any, fn_arn: str, region_name: str) -> None:
            runtime.deliver_async(fn_arn, event_body)

        original_invoke = LambdaFunction._invoke_lambda
        original_s3 = notifications._invoke_awslambda
        LambdaFunction._invoke_lambda = invoke_in_process  # type: ignore[method-assign,assignment]
        notifications._invoke_awslambda = invoke_from_s3
        # moto's Step Functions creates a boto3 client for every Task state, on the execution's own
        # thread. Creating one iterates os.environ (botocore's proxy lookup) while a handler on
        # another thread may be swapping it: a KeyError, which moto reports as the Task failing
        # (States.TaskFailed). A Finalize task failing that way ends the import TIMED_OUT
        # WIX_UNAVAILABLE with no fault injected, more often the busier the machine. So those
        # clients too are created holding still, as the rehearsal's own are.
        original_sfn_boto3: Any = vars(sfn_boto_client)['boto3']

        def client_holding_still(*args: Any, **kwargs: Any) -> Any:
            with runtime.holding_still():
                return original_sfn_boto3.client(*args, **kwargs)

        # The module's own `boto3` global (all its callers go through it), replaced on purpose.
        setattr(sfn_boto_client, 'boto3', SimpleNamespace(client=client_holding_still))  # noqa: B010
        for stream in STREAMS:
            _route(stream)
        original_is_enabled_for = logging.Logger.isEnabledFor

        def is_enabled_for(logger: logging.Logger, level: int) -> bool:
            if not getattr(_INVOCATION, 'active', False):
                return original_is_enabled_for(logger, level)
            return _enabled_as_in_lambda(logger, level)

        logging.Logger.isEnabledFor = is_enabled_for  # type: ignore[method-assign,assignment]
        # Each function its own boto3 default session, as in its own interpreter: a session caches
        # the credentials it first found, and a function's are its role's (rehearsal.iam). Only on
        # the handler's thread: the rehearsal's other threads keep theirs.
        original_default_session = boto3._get_default_session

        def default_session() -> boto3.session.Session:
            function_arn = getattr(_INVOCATION, 'function_arn', None)
            if function_arn is None:
                return original_default_session()
            session = runtime._sessions.get(function_arn)
            if session is None:
                session = runtime._sessions[function_arn] = boto3.session.Session()
            return session

        boto3._get_default_session = default_session

        def undo() -> None:
            boto3._get_default_session = original_default_session
            LambdaFunction._invoke_lambda = original_invoke  # type: ignore[method-assign]
            notifications._invoke_awslambda = original_s3
            setattr(sfn_boto_client, 'boto3', original_sfn_boto3)  # noqa: B010
            logging.Logger.isEnabledFor = original_is_enabled_for  # type: ignore[method-assign]
            for stream in STREAMS:
                _unroute(stream)

        self._undo.append(undo)

    def uninstall(self) -> None:
        while self._undo:
            self._undo.pop()()

    # -- running a handler ------------------------------------------------------------------

    @contextlib.contextmanager
    def holding_still(self) -> Iterator[None]:
        """Keep handlers from running (and swapping os.environ) while the caller's thread works.

        Creating a boto3 client iterates os.environ (botocore's proxy lookup); from another thread,
        while an invocation swaps the environment, that raises KeyError.
        """
        with self._lock:
            yield

    def run(self, function: Any, event: Any, *, asynchronous: bool) -> tuple[Invocation, str]:
        """Run the deployed handler of a moto function on `event`; returns Lambda's response payload."""
        code = self._code_of(function)
        if isinstance(event, str | bytes):
            event = json.loads(event or '{}')
        with self._lock:
            request_id = str(uuid.uuid4())
            invocation = Invocation(
                code.logical_id, function.function_name, event, asynchronous, time.time(), request_id
            )
            if self._closed:  # the rehearsal is ending: run nothing more (moto is about to stop)
                message = 'the rehearsal has stopped'
                return invocation, self._error(invocation, 'Rehearsal.Stopped', message, request_id, None)
            timeout_s = float(function.timeout)
            started = time.monotonic()
            if self._workers is None:
                payload = self._run_in_process(function, code, invocation, timeout_s)
            else:
                payload = self._run_isolated(function, code, invocation, timeout_s)
            invocation.duration_s = time.monotonic() - started
            if invocation.ok and invocation.duration_s > timeout_s:
                message = f'Task timed out after {timeout_s:.2f} seconds'
                payload = self._error(invocation, TIMEOUT_ERROR, message, request_id, None)
            self._save_logs(function, code, invocation)
            self.invocations.append(invocation)
        for listener in list(self.listeners):
            listener(invocation)
        return invocation, payload

    def _run_in_process(
        self, function: Any, code: FunctionCode, invocation: Invocation, timeout_s: float
    ) -> str:
        request_id = invocation.request_id
        with (
            self._function_environment(function, code),
            self._function_modules(function, code),
            self._captured_output() as output,
            _lambda_logging(),
        ):
            context = LambdaContext(
                function, request_id, time.monotonic() + timeout_s, _log_group(function, code)
            )
            try:
                handler = self._handler(function, code)
                invocation.result = handler(invocation.event, context)
                payload = json.dumps(invocation.result)
            except Exception as exc:  # noqa: BLE001 - any handler error is Lambda's error payload
                payload = self._error(invocation, type(exc).__name__, str(exc), request_id, exc)
        invocation.log_lines = output.getvalue().splitlines()
        return payload

    def _run_isolated(
        self, function: Any, code: FunctionCode, invocation: Invocation, timeout_s: float
    ) -> str:
        assert self._workers is not None  # noqa: S101 - only called in isolated mode
        answer = self._workers.invoke(self._worker_call(function, code, invocation, timeout_s))
        invocation.log_lines = answer.logs.splitlines()
        request_id = invocation.request_id
        if answer.timed_out:  # killed mid-work, as Lambda does: no cleanup ran
            return self._error(
                invocation, TIMEOUT_ERROR, f'Task timed out after {timeout_s:.2f} seconds', request_id, None
            )
        if not answer.answer:
            return self._error(invocation, 'Runtime.ExitError', 'the runtime exited', request_id, None)
        if 'errorType' in answer.answer:
            invocation.error_type = str(answer.answer['errorType'])
            invocation.error_message = str(answer.answer.get('errorMessage', ''))
            return json.dumps({**answer.answer, 'requestId': request_id})
        invocation.result = answer.answer.get('result')
        return json.dumps(invocation.result)

    def _worker_call(
        self, function: Any, code: FunctionCode, invocation: Invocation, timeout_s: float
    ) -> WorkerCall:
        context = {
            'function_name': function.function_name,
            'function_version': str(function.version),
            'invoked_function_arn': function.function_arn,
            'memory_limit_in_mb': int(function.memory_size),
            'aws_request_id': invocation.request_id,
            'log_group_name': _log_group(function, code),
            'log_stream_name': f'{datetime.now(UTC):%Y/%m/%d}/[$LATEST]{invocation.request_id}',
            'remaining_ms': int(timeout_s * 1000),
        }
        return WorkerCall(
            key=function.function_arn,
            path=(str(code.code_dir), *(str(path) for path in code.layer_dirs)),
            handler=str(function.handler),
            environment=self._lambda_variables(function, code),
            event=invocation.event,
            context=context,
            timeout_s=timeout_s,
        )

    def loaded_modules(self, function: Any) -> dict[str, str | None]:
        """Isolated mode: the top-level modules a function's warm worker has imported, with their files."""
        assert self._workers is not None  # noqa: S101 - only meaningful in isolated mode
        with self._lock:
            return self._workers.loaded_modules(function.function_arn, timeout_s=60.0)

    @staticmethod
    def _error(
        invocation: Invocation, error_type: str, message: str, request_id: str, exc: BaseException | None
    ) -> str:
        invocation.error_type, invocation.error_message = error_type, message
        payload: dict[str, Any] = {'errorMessage': message, 'errorType': error_type, 'requestId': request_id}
        if exc is not None:
            # From the handler's frame on, as Lambda shows it (not this adapter's).
            trace = exc.__traceback__.tb_next if exc.__traceback__ else None
            payload['stackTrace'] = traceback.format_tb(trace)
        return json.dumps(payload)

    def _code_of(self, function: Any) -> FunctionCode:
        key = (function.code or {}).get('S3Key')
        code = self.code_by_s3_key.get(str(key))
        if code is None:
            raise LookupError(f'{function.function_name}: its code ({key}) is not a function of the template')
        return code

    def _handler(self, function: Any, code: FunctionCode) -> Callable[[Any, Any], Any]:
        module_path, _, attribute = str(function.handler).rpartition('.')
        module = self._modules.get(function.function_arn)
        if module is None:  # the cold start: import the handler module, as the runtime does
            source = code.code_dir.joinpath(*module_path.split('.')).with_suffix('.py')
            name = f'rehearsal_lambda_{code.logical_id}_{module_path.replace(".", "_")}'
            spec = importlib.util.spec_from_file_location(name, source)
            if spec is None or spec.loader is None:
                raise ImportError(f'cannot load {source}')
            module = importlib.util.module_from_spec(spec)
            sys.modules[name] = module
            spec.loader.exec_module(module)
            self._modules[function.function_arn] = module
        handler: Callable[[Any, Any], Any] = getattr(module, attribute)
        return handler

    def _lambda_variables(self, function: Any, code: FunctionCode) -> dict[str, str]:
        """The environment Lambda gives the function: its own variables and the runtime's."""
        variables = {
            '_HANDLER': str(function.handler),
            'AWS_EXECUTION_ENV': f'AWS_Lambda_{function.run_time}',
            'AWS_LAMBDA_FUNCTION_NAME': function.function_name,
            'AWS_LAMBDA_FUNCTION_MEMORY_SIZE': str(function.memory_size),
            'AWS_LAMBDA_FUNCTION_TIMEOUT': str(function.timeout),
            'AWS_LAMBDA_FUNCTION_VERSION': str(function.version),
            'AWS_LAMBDA_LOG_GROUP_NAME': _log_group(function, code),
            'AWS_REGION': self.region,
            'AWS_DEFAULT_REGION': self.region,
            'LAMBDA_TASK_ROOT': str(code.code_dir),
            'AWS_SAM_LOCAL': 'true',
        }
        variables.update({key: _env_text(value) for key, value in (function.environment_vars or {}).items()})
        if self.role_environment is not None:
            variables.update(self.role_environment(str(function.role)))
        return variables

    @contextlib.contextmanager
    def _function_environment(self, function: Any, code: FunctionCode) -> Iterator[None]:
        variables = self._lambda_variables(function, code)
        saved = {key: os.environ.get(key) for key in variables}
        os.environ.update(variables)
        added_paths = [str(path) for path in code.layer_dirs if str(path) not in sys.path]
        sys.path.extend(added_paths)
        _INVOCATION.function_arn = function.function_arn  # its own boto3 default session (install)
        try:
            yield
        finally:
            _INVOCATION.function_arn = None
            for path in added_paths:
                sys.path.remove(path)
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value

    @contextlib.contextmanager
    def _function_modules(self, function: Any, code: FunctionCode) -> Iterator[None]:
        packages = _layer_packages(code.layer_dirs)

        def in_layer(name: str) -> bool:
            return name.partition('.')[0] in packages

        outside = {name: module for name, module in sys.modules.items() if in_layer(name)}
        for name in outside:
            del sys.modules[name]
        sys.modules.update(self._layer_modules.get(function.function_arn, {}))
        try:
            yield
        finally:
            own = {name: module for name, module in sys.modules.items() if in_layer(name)}
            for name in own:
                del sys.modules[name]
            self._layer_modules[function.function_arn] = own
            sys.modules.update(outside)

    @staticmethod
    @contextlib.contextmanager
    def _captured_output() -> Iterator[io.StringIO]:
        buffer = io.StringIO()
        with contextlib.ExitStack() as stack:
            for stream in STREAMS:
                # Routed again each time: a test runner may have swapped its own stream in since.
                stack.enter_context(_route(stream).capture(buffer))
            yield buffer

    def _save_logs(self, function: Any, code: FunctionCode, invocation: Invocation) -> None:
        lines = [f'START RequestId: {invocation.request_id} Version: $LATEST', *invocation.log_lines]
        if invocation.error_type:
            lines.append(
                json.dumps({'errorType': invocation.error_type, 'errorMessage': invocation.error_message})
            )
        lines.append(
            f'END RequestId: {invocation.request_id} Duration: {invocation.duration_s * 1000:.0f} ms'
        )
        group = _log_group(function, code)
        stream = f'{datetime.now(UTC):%Y/%m/%d}/[$LATEST]{invocation.request_id}'
        logs = function.logs_backend
        # Lambda creates the default log group on first use when the template has none.
        logs.ensure_log_group(group)
        logs.create_log_stream(group, stream)
        now_ms = int(time.time() * 1000)
        logs.put_log_events(group, stream, [{'timestamp': now_ms, 'message': line} for line in lines])

    # -- asynchronous invocations (S3 notifications) ----------------------------------------

    def close(self, timeout_s: float) -> bool:
        """Refuse new invocations, then wait for deliveries and a running handler to end."""
        self._closed = True
        idle = self.wait_idle(timeout_s)
        acquired = self._lock.acquire(timeout=max(0.1, timeout_s))
        if acquired:
            if self._workers is not None:
                self._workers.close()
            self._lock.release()
        return idle and acquired

    def deliver_async(self, fn_arn: str, event: Any) -> None:
        self.deliveries.append((fn_arn, event))
        thread = threading.Thread(
            target=self._deliver, args=(fn_arn, event), name='rehearsal-async-invoke', daemon=True
        )
        with self._pending_lock:
            self._pending.add(thread)
        thread.start()

    def _deliver(self, fn_arn: str, event: Any) -> None:
        try:
            from moto.awslambda.utils import get_backend  # noqa: PLC0415

            arn_parts = fn_arn.split(':')
            function = get_backend(arn_parts[4], arn_parts[3]).get_function(fn_arn)
            config = function.event_invoke_config[0].config if function.event_invoke_config else {}
            attempts = 1 + int(config.get('MaximumRetryAttempts', 2))
            for attempt in range(1, attempts + 1):
                invocation, payload = self.run(function, event, asynchronous=True)
                if invocation.ok:
                    return
                if attempt < attempts:
                    time.sleep(self.async_retry_delay_s * attempt)
            self._send_to_failure_destination(function, config, event, payload, attempts)
        finally:
            with self._pending_lock:
                self._pending.discard(threading.current_thread())

    def _send_to_failure_destination(
        self, function: Any, config: dict[str, Any], event: Any, payload: str, attempts: int
    ) -> None:
        destination = config.get('DestinationConfig', {}).get('OnFailure', {}).get('Destination')
        if not destination:
            return
        record = {
            'version': '1.0',
            'timestamp': datetime.now(UTC).isoformat(),
            'requestContext': {
                'functionArn': f'{function.function_arn}:$LATEST',
                'condition': 'RetriesExhausted',
                'approximateInvokeCount': attempts,
            },
            'requestPayload': event,
            'responseContext': {
                'statusCode': 200,
                'executedVersion': '$LATEST',
                'functionError': 'Unhandled',
            },
            'responsePayload': json.loads(payload),
        }
        service = destination.split(':')[2]
        with self.holding_still():  # this is a delivery thread: see holding_still
            # Lambda sends with the function's execution role (IAM enforced: rehearsal.iam).
            role = self.role_environment(str(function.role)) if self.role_environment else {}
            as_role = boto3.session.Session(
                aws_access_key_id=role.get('AWS_ACCESS_KEY_ID'),
                aws_secret_access_key=role.get('AWS_SECRET_ACCESS_KEY'),
                aws_session_token=role.get('AWS_SESSION_TOKEN'),
            )
            if service == 'sqs':
                queue_url = boto3.client('sqs', region_name=self.region).get_queue_url(
                    QueueName=destination.split(':')[5]
                )['QueueUrl']  # Lambda needs no GetQueueUrl: it has the ARN
                sqs = as_role.client('sqs', region_name=self.region)
                sqs.send_message(QueueUrl=queue_url, MessageBody=json.dumps(record))
            elif service == 'sns':
                as_role.client('sns', region_name=self.region).publish(
                    TopicArn=destination, Message=json.dumps(record)
                )

    @property
    def busy(self) -> bool:
        """An asynchronous delivery (with its retries) is still in flight."""
        with self._pending_lock:
            return bool(self._pending)

    def wait_idle(self, timeout_s: float) -> bool:
        """Wait until no asynchronous delivery is in flight; False if still busy at the timeout."""
        deadline = time.monotonic() + timeout_s
        while True:
            with self._pending_lock:
                pending = list(self._pending)
            if not pending:
                return True
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            pending[0].join(remaining)


# Marks the thread running a handler (see _enabled_as_in_lambda).
_INVOCATION = threading.local()
LAMBDA_ROOT_LOG_LEVEL = logging.WARNING


@contextlib.contextmanager
def _lambda_logging() -> Iterator[None]:
    _INVOCATION.active = True
    try:
        yield
    finally:
        _INVOCATION.active = False


def _enabled_as_in_lambda(logger: logging.Logger, level: int) -> bool:
    """Logger.isEnabledFor in a Lambda process: the level a logger (or a parent) set, else WARNING."""
    if logger.manager.disable >= level:
        return False
    current: logging.Logger | None = logger
    while current is not None and current is not logging.root:
        if current.level:
            return level >= current.level
        current = current.parent
    return level >= LAMBDA_ROOT_LOG_LEVEL


def _layer_packages(layer_dirs: tuple[Path, ...]) -> frozenset[str]:
    """Top-level module names a function's layers provide (e.g. {'loyalty_import'})."""
    names = set()
    for layer_dir in layer_dirs:
        for entry in layer_dir.iterdir() if layer_dir.is_dir() else ():
            if (entry / '__init__.py').is_file() or (entry.suffix == '.py' and entry.is_file()):
                names.add(entry.stem if entry.suffix == '.py' else entry.name)
    return frozenset(names)


def _log_group(function: Any, code: FunctionCode) -> str:
    return code.log_group or str(function.logs_group_name)


def _env_text(value: Any) -> str:
    # CloudFormation passes every environment value as a string; moto keeps a Number parameter's int.
    if isinstance(value, bool):
        return 'true' if value else 'false'
    return str(value)
