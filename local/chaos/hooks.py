"""Where chaos reaches into a running rehearsal: faults at the edges, and ledgers to check against.

Nothing here changes the product's code. Each hook sits where a real fault would come from:

- `GatedFaults`: the Wix emulator's fault plan, plus faults armed only once a condition holds
  (e.g. "the import was executed"), so "get while importing" hits the poller, not the importer.
- `WixLedger`: wraps the emulator's store to count, per Wix import, the executes that took effect.
- `AwsFaults`: botocore raises a `ClientError` for chosen calls (a throttled DynamoDB write, an SNS
  publish failure) before the request leaves, as the service would answer after the SDK's retries.
  It also enforces DynamoDB's 400 KB item limit on PutItem, which moto 5.2 does not.
- `LambdaFaults`: an invocation of a chosen function fails as Lambda reports it (a throttle, a
  service error, a crash) before or after the handler runs; an S3 event delivered twice at once.
- `client_timeout`: the Wix client's read timeout scaled down with the rest of the rehearsal's
  clock, so "slower than the client's timeout" costs a second rather than twenty.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
import uuid
from collections import Counter, deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
from botocore.exceptions import ClientError
from botocore.handlers import BUILTIN_HANDLERS

from rehearsal.lambda_runtime import Invocation, LambdaRuntime
from wix_emulator import ENDPOINTS, RATE_LIMITED_ENDPOINTS, Fault, WixEmulator
from wix_emulator.faults import FaultPlan


@dataclass
class _Gated:
    faults: deque[Fault | None]
    when: Callable[[], bool]


class GatedFaults(FaultPlan):
    """The emulator's FaultPlan, plus scripts that wait for a condition before they start."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__()
        self._gated: dict[str, _Gated] = {}
        self._gate_lock = threading.Lock()
        self._clock = clock
        self._limit: int | None = None
        self._served: deque[float] = deque()
        self.throttled = 0

    def rate_limit(self, per_minute: int | None) -> None:
        """Answer 429 (with Retry-After) to API calls past `per_minute` in any 60 s, as Wix does."""
        with self._gate_lock:
            self._limit = per_minute
            self._served.clear()
            self.throttled = 0

    def arm(self, endpoint: str, faults: list[Fault | None], when: Callable[[], bool]) -> None:
        with self._gate_lock:
            self._gated[endpoint] = _Gated(deque(faults), when)

    def clear(self, endpoint: str | None = None) -> None:
        super().clear(endpoint)
        with self._gate_lock:
            if endpoint is None:
                self._gated.clear()
            else:
                self._gated.pop(endpoint, None)

    def armed(self) -> int:
        """Scripted or gated faults not yet served (a scenario whose fault never fired proves nothing)."""
        with self._gate_lock:
            gated = sum(len(entry.faults) for entry in self._gated.values())
        return gated + sum(self.pending(endpoint) for endpoint in _ENDPOINTS)

    def next_fault(self, endpoint: str) -> Fault | None:
        with self._gate_lock:
            entry = self._gated.get(endpoint)
            if entry is not None and entry.faults and entry.when():
                return entry.faults.popleft()
            if self._limit is not None and endpoint in RATE_LIMITED_ENDPOINTS:
                now = self._clock()
                while self._served and now - self._served[0] >= 60.0:
                    self._served.popleft()
                if len(self._served) >= self._limit:
                    self.throttled += 1
                    return Fault.HTTP_429
                self._served.append(now)
        return super().next_fault(endpoint)


_ENDPOINTS = ENDPOINTS


class WixLedger:
    """Counts, per Wix import, the executes that took effect and those Wix refused."""

    def __init__(self, emulator: WixEmulator) -> None:
        self.executed: Counter[str] = Counter()
        self.refused: Counter[str] = Counter()
        self._lock = threading.Lock()
        store = emulator.store
        original = store.execute_import

        def execute_import(body: object) -> dict[str, Any]:
            import_id = str(body.get('loyaltyImportId', '')) if isinstance(body, dict) else ''
            try:
                result = original(body)
            except Exception:
                with self._lock:
                    self.refused[import_id] += 1
                raise
            with self._lock:
                self.executed[import_id] += 1
            return result

        store.execute_import = execute_import  # type: ignore[method-assign]

    def executes(self) -> Counter[str]:
        with self._lock:
            return Counter(self.executed)


DYNAMODB_ITEM_LIMIT = 400 * 1024


def dynamodb_item_size(item: dict[str, Any]) -> int:
    """An item's size as DynamoDB counts it: attribute names plus values (UTF-8 bytes), about."""
    return sum(len(name.encode()) + _value_size(value) for name, value in item.items())


def _value_size(value: dict[str, Any]) -> int:
    kind, inner = next(iter(value.items()))
    if kind == 'S':
        return len(str(inner).encode())
    if kind == 'N':
        return len(str(inner))
    if kind == 'B':
        return len(inner)
    if kind in {'SS', 'NS', 'BS'}:
        return sum(_value_size({kind[0]: member}) for member in inner)
    if kind == 'M':
        return 3 + sum(len(name.encode()) + _value_size(member) + 1 for name, member in inner.items())
    if kind == 'L':
        return 3 + sum(_value_size(member) + 1 for member in inner)
    return 1  # BOOL, NULL


@dataclass
class AwsFault:
    """Fail the next `times` calls of `service`.`operation` whose parameters match `when`."""

    service: str  # botocore service name, e.g. 'dynamodb'
    operation: str  # e.g. 'PutItem'
    code: str  # the error code the service would answer, e.g. 'ProvisionedThroughputExceededException'
    times: int = 1
    when: Callable[[dict[str, Any]], bool] = field(default=lambda params: True)
    fired: int = 0


class AwsFaults:
    """Botocore-level faults for every client created while installed (the handlers' clients too).

    Registered as a built-in botocore handler, like moto's own stubber, so every session created
    afterwards (moto resets boto3's default session when it starts) carries it.
    """

    def __init__(self) -> None:
        self._faults: list[AwsFault] = []
        self._lock = threading.Lock()
        self._entry = ('before-parameter-build', self._before_parameter_build)
        self.enforce_item_size_limit = True

    def install(self) -> None:
        BUILTIN_HANDLERS.append(self._entry)

    def uninstall(self) -> None:
        with contextlib.suppress(ValueError):
            BUILTIN_HANDLERS.remove(self._entry)

    def arm(self, fault: AwsFault) -> AwsFault:
        with self._lock:
            self._faults.append(fault)
        return fault

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def armed(self) -> int:
        with self._lock:
            return sum(fault.times - fault.fired for fault in self._faults)

    def _before_parameter_build(self, params: dict[str, Any], model: Any, **kwargs: Any) -> None:
        service = model.service_model.service_name
        if self.enforce_item_size_limit and service == 'dynamodb' and model.name == 'PutItem':
            size = dynamodb_item_size(params.get('Item') or {})
            if size > DYNAMODB_ITEM_LIMIT:
                # What DynamoDB answers (moto 5.2 checks the limit on UpdateItem only).
                too_large: Any = {
                    'Error': {
                        'Code': 'ValidationException',
                        'Message': f'Item size has exceeded the maximum allowed size ({size} bytes)',
                    },
                    'ResponseMetadata': {'HTTPStatusCode': 400},
                }
                raise ClientError(too_large, model.name)
        with self._lock:
            for fault in self._faults:
                if (
                    fault.fired < fault.times
                    and fault.service == service
                    and fault.operation == model.name
                    and fault.when(params)
                ):
                    fault.fired += 1
                    break
            else:
                return
        status = 400 if 'Exception' in fault.code else 500
        response: Any = {
            'Error': {'Code': fault.code, 'Message': f'chaos: injected {fault.code}'},
            'ResponseMetadata': {'HTTPStatusCode': status},
        }
        raise ClientError(response, model.name)


@dataclass
class LambdaFault:
    """The next `times` invocations of a function end with `error_type` (Lambda's error payload).

    `after_run`: the handler runs first (its side effects stay), then the invocation fails, as when a
    function times out after doing its work.
    """

    logical_id: str
    error_type: str
    times: int = 1
    after_run: bool = False
    fired: int = 0


class LambdaFaults:
    """Wraps the rehearsal's Lambda runtime: injected invocation failures, duplicated S3 events."""

    def __init__(self, runtime: LambdaRuntime) -> None:
        self._runtime = runtime
        self._faults: list[LambdaFault] = []
        self._lock = threading.Lock()
        self.duplicate_s3_events = 0  # deliver this many S3 events twice, at once
        original_run = runtime.run
        original_deliver = runtime.deliver_async

        def run(function: Any, event: Any, *, asynchronous: bool) -> tuple[Invocation, str]:
            fault = self._take(self._logical_id(function))
            if fault is None:
                return original_run(function, event, asynchronous=asynchronous)
            if fault.after_run:
                original_run(function, event, asynchronous=asynchronous)
            return self._failed(function, event, asynchronous, fault)

        def deliver_async(fn_arn: str, event: Any) -> None:
            original_deliver(fn_arn, event)
            with self._lock:
                twice = self.duplicate_s3_events > 0
                self.duplicate_s3_events -= 1 if twice else 0
            if twice:
                original_deliver(fn_arn, json.loads(json.dumps(event)))

        runtime.run = run  # type: ignore[method-assign]
        runtime.deliver_async = deliver_async  # type: ignore[method-assign]

    def arm(self, fault: LambdaFault) -> LambdaFault:
        with self._lock:
            self._faults.append(fault)
        return fault

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()
            self.duplicate_s3_events = 0

    def armed(self) -> int:
        with self._lock:
            return sum(fault.times - fault.fired for fault in self._faults) + self.duplicate_s3_events

    def _logical_id(self, function: Any) -> str:
        code = self._runtime.code_by_s3_key.get(str((function.code or {}).get('S3Key')))
        return code.logical_id if code else ''

    def _take(self, logical_id: str) -> LambdaFault | None:
        with self._lock:
            for fault in self._faults:
                if fault.logical_id == logical_id and fault.fired < fault.times:
                    fault.fired += 1
                    return fault
        return None

    def _failed(
        self, function: Any, event: Any, asynchronous: bool, fault: LambdaFault
    ) -> tuple[Invocation, str]:
        request_id = str(uuid.uuid4())
        invocation = Invocation(
            fault.logical_id,
            function.function_name,
            event,
            asynchronous,
            time.time(),
            request_id,
            error_type=fault.error_type,
            error_message='chaos: injected',
        )
        self._runtime.invocations.append(invocation)
        payload = {'errorMessage': 'chaos: injected', 'errorType': fault.error_type, 'requestId': request_id}
        return invocation, json.dumps(payload)


@contextlib.contextmanager
def client_timeout(read_s: float) -> Iterator[None]:
    """Scale the Wix client's default timeouts (read past `read_s` = "slower than the client").

    Each Lambda function imports its own copy of `loyalty_import` (the rehearsal keeps layer
    modules per function), so patching this process's `DEFAULT_TIMEOUT` reached no handler: their
    clients kept the 20 s read timeout. Every copy hands the same default to `httpx.Client`, a
    module all share, so the default is swapped where the client is built.
    """
    from loyalty_import.wix import client as wix_client  # noqa: PLC0415 - only its default is read

    product_default = wix_client.DEFAULT_TIMEOUT
    scaled = httpx.Timeout(connect=read_s, read=read_s, write=max(read_s, 5.0), pool=read_s)
    original_init = httpx.Client.__init__

    def init(self: httpx.Client, *args: Any, **kwargs: Any) -> None:
        if kwargs.get('timeout') == product_default:
            kwargs['timeout'] = scaled
        original_init(self, *args, **kwargs)

    httpx.Client.__init__ = init  # type: ignore[method-assign]
    try:
        yield
    finally:
        httpx.Client.__init__ = original_init  # type: ignore[method-assign]
