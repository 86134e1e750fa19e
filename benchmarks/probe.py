"""One cold start, in the fresh interpreter that runs this file: import a handler, handle one event.

Run by `benchmarks.cold_start` as `python probe.py SPEC.json`; SPEC names the handler's folder (or
the minimal handler), the event and where to write the result. Times are taken from the first line
here: what the Lambda runtime pays between loading the module and returning the first response.

The same recorder is installed in both kinds of run (an import hook, so it loads nothing early):
it notes each boto3 client created and each AWS and HTTP call made, which the minimal handler of
the next run replays.
"""

from __future__ import annotations

import time

STARTED = time.perf_counter()
STARTED_CPU = time.process_time()

import base64  # noqa: E402 - after the clock starts: the runtime pays for these too
import functools  # noqa: E402
import importlib.abc  # noqa: E402
import importlib.util  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
from types import FrameType, ModuleType  # noqa: E402
from typing import Any  # noqa: E402

CLIENTS: list[dict[str, Any]] = []
CALLS: list[dict[str, Any]] = []


def _jsonable(value: Any) -> Any:
    if isinstance(value, bytes | bytearray):
        return {'__bytes__': base64.b64encode(bytes(value)).decode()}
    if isinstance(value, dict):
        return {key: _jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(item) for item in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)  # never read a file-like Body here: the real call still needs it


def _called_from(package: str) -> bool:
    """Whether code of `package` is on the stack (the X-Ray SDK creates clients of its own)."""
    frame: FrameType | None = sys._getframe(2)
    while frame is not None:
        if f'/{package}/' in frame.f_code.co_filename:
            return True
        frame = frame.f_back
    return False


def _patch_botocore_session(module: ModuleType) -> None:
    create_client = module.Session.create_client

    @functools.wraps(create_client)
    def recorded(self: Any, service_name: str, *args: Any, **kwargs: Any) -> Any:
        CLIENTS.append({'service': service_name, 'by_xray_sdk': _called_from('aws_xray_sdk')})
        return create_client(self, service_name, *args, **kwargs)

    module.Session.create_client = recorded


def _patch_botocore_client(module: ModuleType) -> None:
    make_api_call = module.BaseClient._make_api_call

    @functools.wraps(make_api_call)
    def recorded(self: Any, operation: str, params: dict[str, Any]) -> Any:
        service = self.meta.service_model.service_name
        CALLS.append({'aws': service, 'operation': operation, 'params': _jsonable(params)})
        return make_api_call(self, operation, params)

    module.BaseClient._make_api_call = recorded


def _patch_httpx(module: ModuleType) -> None:
    send = module.Client.send

    @functools.wraps(send)
    def recorded(self: Any, request: Any, *args: Any, **kwargs: Any) -> Any:
        response = send(self, request, *args, **kwargs)
        CALLS.append(
            {
                'http': request.method,
                'url': str(request.url),
                'headers': dict(request.headers),
                'body': _jsonable(request.content),
            }
        )
        return response

    module.Client.send = recorded


_PATCHES = {
    'botocore.session': _patch_botocore_session,
    'botocore.client': _patch_botocore_client,
    'httpx._client': _patch_httpx,
}


class _Recorder(importlib.abc.MetaPathFinder):
    """Patches a watched module right after it executes, whoever imports it and whenever."""

    def find_spec(self, name: str, path: Any, target: Any = None) -> Any:
        if name not in _PATCHES:
            return None
        sys.meta_path.remove(self)
        try:
            spec = importlib.util.find_spec(name)
        finally:
            sys.meta_path.insert(0, self)
        if spec is None or spec.loader is None:
            return spec
        loader = spec.loader
        exec_module = loader.exec_module

        def exec_and_patch(module: ModuleType) -> None:
            exec_module(module)
            _PATCHES[name](module)

        loader.exec_module = exec_and_patch  # type: ignore[method-assign]
        return spec


class _Context:
    """What the Lambda runtime passes as `context` (the attributes Powertools reads)."""

    function_name = 'loyalty-import-bench'
    function_version = '$LATEST'
    memory_limit_in_mb = 512
    invoked_function_arn = 'arn:aws:lambda:us-east-1:123456789012:function:loyalty-import-bench'
    aws_request_id = '6f1c2a3b-0000-4000-8000-000000000001'
    log_group_name = '/aws/lambda/loyalty-import-bench'
    log_stream_name = 'bench'

    def get_remaining_time_in_millis(self) -> int:
        return 90_000


def main() -> None:
    spec = json.loads(open(sys.argv[1], encoding='utf-8').read())  # noqa: SIM115 - before pathlib loads
    sys.meta_path.insert(0, _Recorder())
    # As the Lambda runtime does it: the function's folder first on sys.path, then `import app`.
    sys.path[0] = spec['folder']
    import app  # type: ignore[import-not-found]  # noqa: PLC0415

    imported = time.perf_counter()
    response = app.handler(spec['event'], _Context())
    done = time.perf_counter()
    done_cpu = time.process_time()
    result = {
        'import_s': imported - STARTED,
        'first_event_s': done - STARTED,
        'first_event_cpu_s': done_cpu - STARTED_CPU,  # wall minus this: waiting (network, sleeps)
        'response': response,
        'clients': CLIENTS,
        'calls': CALLS,
    }
    with open(spec['out'], 'w', encoding='utf-8') as out:
        json.dump(result, out, default=str)


if __name__ == '__main__':
    main()
