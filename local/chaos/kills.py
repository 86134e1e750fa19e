"""Kill a function between two of its own side effects, as Lambda ends an invocation that times out.

A `KillPoint` names a function and one of its side effects (a DynamoDB write, an S3 write, an SNS
publish, StartExecution, a Wix create or execute). When that call has taken effect and its answer
is on its way back to the product, `LambdaKilled` is raised in the handler's thread instead: the
product never sees the answer and never runs another line of its own.

`LambdaKilled` is a `BaseException`, so no `except Exception` of the product (its retry loops,
Powertools idempotency's "delete the in-progress record on failure", the importer's per-object
loop) observes it. `finally` blocks and `with` exits still run as it unwinds: the product's own
(`inspection/__init__.py`, `adapters/storage.py`, the Wix client's `__exit__`) close a file or an
HTTP client and write nothing; Powertools' `log_metrics` flushes its metric line to stdout. No
product `except BaseException` exists (checked by `tests/chaos/test_kills.py`). So what the
product has written when the kill comes is exactly what stays, as in AWS.

Lambda then reports the invocation as it reports a timeout (`Sandbox.Timedout`, "Task timed out
after N seconds"), and every caller reacts as in AWS: an S3 delivery is retried by the async
retries (then the on-failure destination), a state machine task meets its Retry/Catch. A timeout
ends at the function's deadline, and Powertools' in-progress lock on the object version is set to
expire at exactly that deadline; the rehearsal does not wait out the importer's 300 s, it moves
that one clock: the killed invocation's in-progress lock is expired when the kill is reported
(`ChaosStack._expire_in_progress_locks`).
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx
from botocore.handlers import BUILTIN_HANDLERS

from rehearsal.lambda_runtime import TIMEOUT_ERROR, Invocation, LambdaRuntime
from wix_emulator.server import PREFIX_ROUTES, ROUTES


class LambdaKilled(BaseException):  # not an error of the product: the sandbox ending
    """The invocation ends here: raised in the handler's thread right after a side effect."""


@dataclass
class KillPoint:
    """Kill `logical_id` right after its next `service` `operation` whose parameters match `when`.

    `service`: a botocore service name ('dynamodb', 's3', 'sns', 'stepfunctions') or 'wix' (then
    `operation` is an emulator endpoint: 'create_import', 'execute_import', 'upload_file'...).
    `skip`: let this many matching calls through first.
    """

    logical_id: str
    service: str
    operation: str
    when: Callable[[dict[str, Any]], bool] = field(default=lambda params: True)
    skip: int = 0
    times: int = 1
    fired: int = 0
    seen: int = 0


_CURRENT = threading.local()  # the logical id of the function whose handler this thread runs


def current_function() -> str | None:
    return getattr(_CURRENT, 'logical_id', None)


class Kills:
    """Installed on a rehearsal's runtime: kill points, and what Lambda reports for a killed run."""

    def __init__(self) -> None:
        self._points: list[KillPoint] = []
        self._lock = threading.Lock()
        self._entries = [
            ('before-parameter-build', self._remember_params),
            ('after-call', self._after_aws_call),
        ]
        self.kills = 0  # invocations killed since the stack started
        self.killed: list[Invocation] = []
        self.on_kill: list[Callable[[Invocation], None]] = []
        self._undo: list[Callable[[], None]] = []
        self.trace: list[tuple[str, str, str, str]] | None = None  # (function, service, operation, what)

    # -- installing -----------------------------------------------------------------------------

    def install_botocore(self) -> None:
        """Before any boto3 session exists (see AwsFaults.install)."""
        BUILTIN_HANDLERS.extend(self._entries)
        self._undo.append(self._remove_botocore)

    def _remove_botocore(self) -> None:
        for entry in self._entries:
            with contextlib.suppress(ValueError):
                BUILTIN_HANDLERS.remove(entry)

    def install_runtime(self, runtime: LambdaRuntime) -> None:
        original_run = runtime.run
        kills = self

        def run(function: Any, event: Any, *, asynchronous: bool) -> tuple[Invocation, str]:
            code = runtime.code_by_s3_key.get(str((function.code or {}).get('S3Key')))
            logical_id = code.logical_id if code else ''
            outer = current_function()
            _CURRENT.logical_id = logical_id
            started = time.time()
            try:
                return original_run(function, event, asynchronous=asynchronous)
            except LambdaKilled:
                pass
            finally:
                _CURRENT.logical_id = outer
            return kills._killed(runtime, function, logical_id, event, asynchronous, started)

        runtime.run = run  # type: ignore[method-assign]
        original_send = httpx.Client.send

        def send(client: httpx.Client, request: httpx.Request, *args: Any, **kwargs: Any) -> httpx.Response:
            response = original_send(client, request, *args, **kwargs)
            if response.status_code < 300:
                kills._after_wix_call(request)
            return response

        httpx.Client.send = send  # type: ignore[method-assign,assignment]

        def undo() -> None:
            httpx.Client.send = original_send  # type: ignore[method-assign]

        self._undo.append(undo)

    def uninstall(self) -> None:
        while self._undo:
            self._undo.pop()()

    # -- arming ---------------------------------------------------------------------------------

    def arm(self, point: KillPoint) -> KillPoint:
        with self._lock:
            self._points.append(point)
        return point

    def clear(self) -> None:
        with self._lock:
            self._points.clear()

    def armed(self) -> int:
        with self._lock:
            return sum(point.times - point.fired for point in self._points)

    # -- firing ---------------------------------------------------------------------------------

    def _take(self, service: str, operation: str, params: dict[str, Any]) -> bool:
        function = current_function()
        if function is None:
            return False
        if self.trace is not None:
            self.trace.append((function, service, operation, describe(params)))
        with self._lock:
            for point in self._points:
                if (
                    point.fired < point.times
                    and point.logical_id == function
                    and point.service == service
                    and point.operation == operation
                    and point.when(params)
                ):
                    point.seen += 1
                    if point.seen <= point.skip:
                        return False
                    point.fired += 1
                    return True
        return False

    @staticmethod
    def _remember_params(params: dict[str, Any], context: dict[str, Any], **kwargs: Any) -> None:
        context['chaos_params'] = params

    def _after_aws_call(
        self, http_response: Any, model: Any, context: dict[str, Any] | None = None, **kwargs: Any
    ) -> None:
        if http_response is None or getattr(http_response, 'status_code', 500) >= 300:
            return  # the call failed: nothing took effect
        params = (context or {}).get('chaos_params') or {}
        if self._take(model.service_model.service_name, model.name, params):
            raise LambdaKilled(f'killed after {model.service_model.service_name}.{model.name}')

    def _after_wix_call(self, request: httpx.Request) -> None:
        endpoint = wix_endpoint(request.method, request.url)
        if endpoint is None:
            return
        params: dict[str, Any] = {}
        with contextlib.suppress(ValueError, UnicodeDecodeError, httpx.RequestNotRead):
            if request.content and request.headers.get('content-type', '').startswith('application/json'):
                params = json.loads(request.content)
        if self._take('wix', endpoint, params):
            raise LambdaKilled(f'killed after Wix {endpoint}')

    def _killed(  # noqa: PLR0917 - what the runtime's run() had in hand
        self,
        runtime: LambdaRuntime,
        function: Any,
        logical_id: str,
        event: Any,
        asynchronous: bool,
        started: float,
    ) -> tuple[Invocation, str]:
        request_id = str(uuid.uuid4())
        message = f'Task timed out after {float(function.timeout):.2f} seconds'
        if isinstance(event, str | bytes):
            event = json.loads(event or '{}')
        invocation = Invocation(
            logical_id,
            function.function_name,
            event,
            asynchronous,
            started,
            request_id,
            duration_s=time.time() - started,
            error_type=TIMEOUT_ERROR,
            error_message=message,
        )
        runtime.invocations.append(invocation)
        with self._lock:
            self.kills += 1
            self.killed.append(invocation)
        for callback in list(self.on_kill):
            callback(invocation)
        payload = {'errorMessage': message, 'errorType': TIMEOUT_ERROR, 'requestId': request_id}
        return invocation, json.dumps(payload)

    @contextlib.contextmanager
    def tracing(self) -> Iterator[list[tuple[str, str, str, str]]]:
        """Record every side-effect call (function, service, operation) while the block runs."""
        self.trace = []
        try:
            yield self.trace
        finally:
            self.trace = None


def describe(params: dict[str, Any]) -> str:
    """A short description of a call's parameters (its table and item kind, its key...)."""
    if 'Bucket' in params:
        return str(params.get('Key', ''))[-40:]
    item = params.get('Item') or params.get('Key') or {}
    if not isinstance(item, dict):
        return ''
    pk = str((item.get('pk') or item.get('id') or {}).get('S', ''))
    status = str((item.get('status') or {}).get('S', ''))
    table = str(params.get('TableName', ''))[-24:]
    return ' '.join(part for part in (table, pk.split('#', 1)[0][:20], status) if part)


def wix_endpoint(method: str, url: httpx.URL | str) -> str | None:
    path = urlsplit(str(url)).path
    endpoint = ROUTES.get((method, path))
    if endpoint is not None:
        return endpoint
    for (route_method, prefix), name in PREFIX_ROUTES.items():
        if method == route_method and path.startswith(prefix):
            return name
    return None
