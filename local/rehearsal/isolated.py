"""Handlers in their own processes, with only what Lambda gives them (the rehearsal's isolated mode).

Each function gets a worker process (`lambda_worker.py`) started with the runtime environment's
interpreter (`runtime_env.ensure_runtime_env`: requirements/runtime.txt alone) and `-I`, the
function's code folder and layers on its path, and the function's environment and nothing of this
process's: no dev virtualenv, no PYTHONPATH, no developer AWS profile. Its AWS calls reach this
process's moto through a moto server on 127.0.0.1 (`AWS_ENDPOINT_URL`), so they see the stack
the rehearsal created. The worker stays warm between invocations like a Lambda container; one
that outlives the function's timeout is killed (no cleanup runs, as in Lambda) and the next
invocation starts cold.
"""

from __future__ import annotations

import json
import select
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

WORKER = Path(__file__).with_name('lambda_worker.py')
# What the worker's environment gets besides the function's variables: fixed fake credentials
# (moto accepts any) and no AWS config files, so nothing of the developer's account is ever read.
BASE_ENVIRONMENT = {
    'PATH': '/usr/local/bin:/usr/bin:/bin',
    'LANG': 'C.UTF-8',
    'TZ': ':UTC',
    'AWS_ACCESS_KEY_ID': 'rehearsal',
    'AWS_SECRET_ACCESS_KEY': 'rehearsal',
    'AWS_SESSION_TOKEN': 'rehearsal',
    'AWS_CONFIG_FILE': '/dev/null',
    'AWS_SHARED_CREDENTIALS_FILE': '/dev/null',
}


@dataclass(frozen=True)
class IsolatedEnv:
    python: Path  # the runtime environment's interpreter
    aws_endpoint: str  # the moto server the workers call


@dataclass(frozen=True)
class WorkerCall:
    key: str  # one warm worker per key (the function ARN)
    path: tuple[str, ...]  # the code folder, then the layers
    handler: str
    environment: dict[str, str]
    event: Any
    context: dict[str, Any]
    timeout_s: float


@dataclass(frozen=True)
class WorkerAnswer:
    answer: dict[str, Any]  # {"result"} or {"errorType", "errorMessage", "stackTrace"}
    logs: str
    timed_out: bool = False


class Workers:
    def __init__(self, env: IsolatedEnv) -> None:
        self.env = env
        self._processes: dict[str, subprocess.Popen[str]] = {}

    def invoke(self, call: WorkerCall) -> WorkerAnswer:
        process = self._processes.get(call.key)
        if process is None or process.poll() is not None:
            process = self._processes[call.key] = self._start(call)
        return self._exchange(
            call.key, call.timeout_s, process, {'event': call.event, 'context': call.context}
        )

    def loaded_modules(self, key: str, *, timeout_s: float) -> dict[str, str | None]:
        """The top-level modules the warm worker of `key` has imported so far, with their files."""
        answer = self._exchange(key, timeout_s, self._processes[key], {'report': 'modules'})
        modules: dict[str, str | None] = answer.answer['result']
        return modules

    def close(self) -> None:
        for process in self._processes.values():
            process.kill()
            process.wait()
        self._processes.clear()

    def _start(self, call: WorkerCall) -> subprocess.Popen[str]:
        environment = {**BASE_ENVIRONMENT, **call.environment, 'AWS_ENDPOINT_URL': self.env.aws_endpoint}
        process = subprocess.Popen(  # noqa: S603 - our own interpreter and worker file
            [str(self.env.python), '-I', '-X', 'utf8', str(WORKER)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=environment,
            cwd=call.path[0],
            text=True,
            encoding='utf-8',
        )
        self._send(process, {'path': list(call.path), 'handler': call.handler})
        return process

    def _exchange(
        self, key: str, timeout_s: float, process: subprocess.Popen[str], request: dict[str, Any]
    ) -> WorkerAnswer:
        self._send(process, request)
        assert process.stdout is not None  # noqa: S101 - Popen was given stdout=PIPE
        ready, _, _ = select.select([process.stdout], [], [], timeout_s)
        line = process.stdout.readline() if ready else ''
        if not line:  # past the timeout, or the process died: Lambda kills the environment
            process.kill()
            process.wait()
            self._processes.pop(key, None)
            return WorkerAnswer({}, '', timed_out=bool(not ready))
        answer = json.loads(line)
        return WorkerAnswer(answer, answer.pop('logs', ''))

    @staticmethod
    def _send(process: subprocess.Popen[str], message: dict[str, Any]) -> None:
        assert process.stdin is not None  # noqa: S101 - Popen was given stdin=PIPE
        process.stdin.write(json.dumps(message) + '\n')
        process.stdin.flush()
