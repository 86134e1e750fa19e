"""One Lambda execution environment: a process that imports a handler once and answers invocations.

Run by the rehearsal's isolated mode with the runtime environment's interpreter in isolated mode
(`python -I`: no dev virtualenv, no PYTHONPATH, not even this file's folder on the path), so it
uses the standard library only. The protocol is one JSON object per line:

- first line on stdin: {"path": [code dir, layer dirs...], "handler": "app.handler"};
- then one line per invocation: {"event", "context": {...attributes, "remaining_ms"}};
- one line back per invocation, on the original stdout: {"result"} or {"errorType",
  "errorMessage", "stackTrace"}, with "logs" (what the handler wrote to stdout/stderr).

The handler's own output never reaches the protocol stream: sys.stdout and sys.stderr are
replaced before the handler is imported (loggers bind the stream they find at creation).
"""

from __future__ import annotations

import importlib
import io
import json
import os
import sys
import time
import traceback
from typing import Any


class _Context:
    def __init__(self, attributes: dict[str, Any]) -> None:
        self.__dict__.update({k: v for k, v in attributes.items() if k != 'remaining_ms'})
        self._deadline = time.monotonic() + attributes['remaining_ms'] / 1000

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


class _Buffered(io.TextIOBase):
    """Where the handler's prints and logs go; emptied into each answer."""

    def __init__(self) -> None:
        self.buffer_text = io.StringIO()

    def write(self, text: str) -> int:
        return self.buffer_text.write(text)

    def take(self) -> str:
        text = self.buffer_text.getvalue()
        self.buffer_text = io.StringIO()
        return text


def _answer(channel: io.TextIOBase, logs: _Buffered, **fields: Any) -> None:
    channel.write(json.dumps({**fields, 'logs': logs.take()}) + '\n')
    channel.flush()


def _invoke(handler: Any, request: dict[str, Any]) -> dict[str, Any]:
    try:
        return {'result': handler(request['event'], _Context(request['context']))}
    except Exception as exc:  # noqa: BLE001 - Lambda turns any handler error into its error payload
        trace = exc.__traceback__.tb_next if exc.__traceback__ else None
        return {
            'errorType': type(exc).__name__,
            'errorMessage': str(exc),
            'stackTrace': traceback.format_tb(trace),
        }


def _top_level_modules() -> dict[str, str | None]:
    tops = {name.partition('.')[0] for name in sys.modules}
    return {name: getattr(sys.modules.get(name), '__file__', None) for name in sorted(tops)}


def main() -> int:
    channel = io.TextIOWrapper(os.fdopen(os.dup(1), 'wb'), encoding='utf-8')
    requests = sys.stdin
    logs = _Buffered()
    sys.stdout = sys.stderr = logs
    setup = json.loads(requests.readline())
    sys.path[:0] = setup['path']
    module_name, _, attribute = setup['handler'].rpartition('.')
    try:  # the cold start: an import error is the answer to every invocation, as in Lambda
        handler: Any = getattr(importlib.import_module(module_name), attribute)
    except Exception as exc:  # noqa: BLE001
        failure = {'errorType': f'Runtime.ImportModuleError: {type(exc).__name__}', 'errorMessage': str(exc)}
        handler = None
    for line in requests:
        request = json.loads(line)
        if request.get('report') == 'modules':
            # Which top-level modules this environment loaded, and from which file (None: built in).
            _answer(channel, logs, result=_top_level_modules())
            continue
        outcome = _invoke(handler, request) if handler is not None else failure
        _answer(channel, logs, **outcome)
    return 0


if __name__ == '__main__':
    raise SystemExit(main())
