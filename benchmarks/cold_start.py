"""Cold start as a user pays it: a fresh interpreter imports a handler and handles its first event.

The edges are emulated on 127.0.0.1: AWS by moto's ThreadedMotoServer (S3, DynamoDB, SNS, Step
Functions, Secrets Manager, reached through AWS_ENDPOINT_URL), Wix by the project's WixEmulator.
Each function runs with the variables template.yaml gives it and those the Lambda runtime sets
(X-Ray active). Each round follows one file through the functions, each in its own fresh
interpreter: the importer gets the S3 event, the poller the state machine's input (Wix has PARSED
the file), the executor the poller's answer, the poller again (IMPORTED), the finalizer its
answer. Right after each, the minimal handler (benchmarks/minimal/app.py) runs in a fresh
interpreter too, with the same boto3 clients and the same AWS and Wix calls, replayed. Each figure
is the median of its runs (ROUNDS rounds; the poller runs twice a round); both are timed from the
probe's first line (interpreter start-up, the same for both, is left out). A median, not the best:
one lucky run of either side moved a best-of ratio by 0.1 or more on a shared machine.

Both sides load bytecode: before the rounds every module the probes can import (the runtime venv,
the shared layer, the handlers) is compiled, and the probes may rewrite a .pyc made stale by an
edit. Without that, whichever modules had no current .pyc (this machine sets
PYTHONDONTWRITEBYTECODE) were compiled from source in every probe, and the figures depended on
what had run before.

Not like a deploy: the emulator speaks plain http, so neither side pays for TLS to Wix (the Wix
client builds its TLS context on its first https request; a minimal https client would pay for
one too); moto answers in milliseconds, as AWS in-region roughly does; and both layers are built
without bytecode for a read-only /opt, so a deployed cold start also compiles every module it
imports from them, on both sides (boto3 is in the dependencies layer).

Target (issue 9): each first invocation at most 1.5x the minimal handler's.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.template_env import function_environments

ROOT = Path(__file__).resolve().parent.parent
FUNCTIONS = ROOT / 'functions'
MINIMAL = Path(__file__).resolve().parent / 'minimal'
PROBE = Path(__file__).resolve().parent / 'probe.py'
SHARED_LAYER = ROOT / 'layers' / 'shared'
PYTHON = [sys.executable, 'this interpreter']  # set by main(): lambda_python()
ROUNDS = 7
PARSE_DELAY_S = 2.5
TARGET = 1.5
REGION = 'us-east-1'
BUCKET = 'loyalty-import-drop-123456789012-us-east-1'
SAMPLE = ROOT / 'local' / 'rehearsal' / 'samples' / 'loyaltylion-export.csv'
STEPS = ('importer', 'poller', 'executor', 'finalizer')


@dataclass
class Stack:
    aws: dict[str, str]  # endpoint, fake credentials, region
    functions: dict[str, dict[str, str]]  # each function's variables, by folder name
    emulator: Any

    def environment(self, function: str) -> dict[str, str]:
        # LAMBDA_TASK_ROOT tells the X-Ray SDK it runs in Lambda (sampling then comes with the
        # invocation: no sampler of its own, no xray clients).
        runtime = {'AWS_LAMBDA_FUNCTION_NAME': function, 'LAMBDA_TASK_ROOT': str(FUNCTIONS / function)}
        return {**self.aws, **RUNTIME, **self.functions[function], **runtime}


@contextmanager
def edges() -> Iterator[Stack]:
    """moto and the Wix emulator on 127.0.0.1, with the stack's resources in them."""
    import logging  # noqa: PLC0415

    from moto.server import ThreadedMotoServer  # noqa: PLC0415 - only the benchmark needs Flask

    from wix_emulator import WixEmulator  # noqa: PLC0415
    from wix_emulator.settings import EmulatorSettings  # noqa: PLC0415

    logging.getLogger('werkzeug').setLevel(logging.ERROR)  # one access-log line per AWS call otherwise
    server = ThreadedMotoServer(ip_address='127.0.0.1', port=0, verbose=False)
    server.start()
    # Wix parses after the importer's first event is over (so the executor has one to handle) and
    # imports in a tenth of a second: the rounds wait for it, the handlers do not.
    emulator = WixEmulator(EmulatorSettings(parse_delay_s=PARSE_DELAY_S, import_delay_s=0.1)).start()
    try:
        host, port = server.get_host_and_port()
        aws = _aws_environment(f'http://{host}:{port}')
        # moto's backends live in this process: a second server here would see the first one's stack.
        reset = urllib.request.Request(f'{aws["AWS_ENDPOINT_URL"]}/moto-api/reset', method='POST')  # noqa: S310
        urllib.request.urlopen(reset).close()  # noqa: S310 - http://127.0.0.1, ours
        yield Stack(aws, _create_stack(aws, emulator), emulator)
    finally:
        emulator.stop()
        server.stop()


def _aws_environment(endpoint: str) -> dict[str, str]:
    return {
        'AWS_ENDPOINT_URL': endpoint,
        'AWS_ACCESS_KEY_ID': 'testing',
        'AWS_SECRET_ACCESS_KEY': 'testing',
        'AWS_REGION': REGION,
        'AWS_DEFAULT_REGION': REGION,
    }


def _client(env: dict[str, str], name: str) -> Any:
    import boto3  # noqa: PLC0415

    session = boto3.session.Session(
        aws_access_key_id=env['AWS_ACCESS_KEY_ID'],
        aws_secret_access_key=env['AWS_SECRET_ACCESS_KEY'],
        region_name=REGION,
    )
    return session.client(name, endpoint_url=env['AWS_ENDPOINT_URL'])  # type: ignore[call-overload]


def _create_stack(env: dict[str, str], emulator: Any) -> dict[str, dict[str, str]]:
    """The stack's resources in moto; each function's environment from template.yaml, resolved to them."""

    def client(name: str) -> Any:
        return _client(env, name)

    dynamodb = client('dynamodb')
    # sites: each Wix site's shared call budget (every Wix call takes a token there first).
    # layouts: the remembered layouts a person approved (the importer reads them).
    for table, key in (('imports', 'pk'), ('idempotency', 'id'), ('sites', 'pk'), ('layouts', 'layoutId')):
        dynamodb.create_table(
            TableName=table,
            KeySchema=[{'AttributeName': key, 'KeyType': 'HASH'}],
            AttributeDefinitions=[{'AttributeName': key, 'AttributeType': 'S'}],
            BillingMode='PAY_PER_REQUEST',
        )
    s3 = client('s3')
    s3.create_bucket(Bucket=BUCKET)
    s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={'Status': 'Enabled'})
    topic = client('sns').create_topic(Name='loyalty-import-notifications')['TopicArn']
    creds = emulator.credentials
    secret = {'mode': 'api_key', 'api_key': creds.api_key, 'site_id': creds.site_id}
    secret_arn = client('secretsmanager').create_secret(Name='wix', SecretString=json.dumps(secret))['ARN']
    definition = {'StartAt': 'Done', 'States': {'Done': {'Type': 'Succeed'}}}
    machine = client('stepfunctions').create_state_machine(
        name='import', definition=json.dumps(definition), roleArn='arn:aws:iam::123456789012:role/sfn'
    )['stateMachineArn']
    resources = dict(
        zip(
            CREATED,
            ('imports', 'idempotency', 'sites', 'layouts', topic, secret_arn, machine, BUCKET),
            strict=True,
        )
    )
    parameters = {
        'WixBaseUrl': emulator.base_url,
        'WixAccountsBaseUrl': emulator.accounts_base_url,
        'WixOAuthTokenUrl': emulator.oauth_token_url,
        # The importer hands the parse wait to the state machine, so every function gets an event.
        'ParseWaitSeconds': '0',
    }
    return function_environments(resources, parameters)


# The template's resources the benchmark creates, in `_create_stack`'s order (a test checks that the
# functions' variables name no other: a template change would otherwise break `make bench` unseen).
CREATED = (
    'ImportsTable',
    'IdempotencyTable',
    'SitesTable',
    'LayoutsTable',
    'NotificationTopic',
    'WixCredentialsSecret',
    'ImportStateMachine',
    'DropBucket',
)


# What the Lambda runtime sets beside the function's own variables (X-Ray active, as the template's
# Tracing: Active has it; no daemon listens on 127.0.0.1:2000, its UDP datagrams go nowhere).
RUNTIME = {
    'AWS_EXECUTION_ENV': 'AWS_Lambda_python3.13',
    'AWS_LAMBDA_FUNCTION_MEMORY_SIZE': '512',
    'AWS_LAMBDA_FUNCTION_VERSION': '$LATEST',
    '_X_AMZN_TRACE_ID': 'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1',
}


def lambda_python() -> tuple[str, str]:
    """The interpreter the probes run, and what it is.

    As the Lambda has it: a venv of requirements/runtime.txt alone (the dependencies layer), with
    the shared layer's source on PYTHONPATH. The dev venv holds more (Flask's click, pytest's
    pygments and rich...), which httpx then imports too; it is only the fallback.
    """
    try:
        from rehearsal.runtime_env import ensure_runtime_env  # noqa: PLC0415

        return str(ensure_runtime_env()), 'a venv of requirements/runtime.txt alone, as the layers hold'
    except Exception as exc:  # noqa: BLE001 - the figures are still worth having, marked
        return sys.executable, f'the dev venv (no runtime venv: {exc}); it holds more than the layers'


def _probe(
    folder: Path, function: str, event: dict[str, Any], env: dict[str, str], tmp: Path
) -> dict[str, Any]:
    spec = tmp / 'spec.json'
    out = tmp / 'out.json'
    spec.write_text(json.dumps({'folder': str(folder), 'event': event, 'out': str(out)}))
    environ = {**os.environ, **env, 'PYTHONPATH': str(SHARED_LAYER)}
    environ.pop('PYTHONDONTWRITEBYTECODE', None)  # a .pyc made stale by an edit is rewritten once
    probe = [PYTHON[0], str(PROBE), str(spec)]
    completed = subprocess.run(probe, env=environ, capture_output=True, text=True, check=False)  # noqa: S603
    if completed.returncode != 0 or not out.exists():
        # The exception's own lines (a pydantic error ends with a link, not the message).
        lines = [line for line in completed.stderr.strip().splitlines() if not line.startswith(' ')]
        raise RuntimeError(f'{function} probe failed: {" | ".join(lines[-3:]) or "no output"}')
    result: dict[str, Any] = json.loads(out.read_text())
    out.unlink()
    return result


def compile_bytecode() -> None:
    """Bytecode for every module the probes can import, so that no probe compiles source."""
    where = [PYTHON[0], '-c', 'import sysconfig; print(sysconfig.get_paths()["purelib"])']
    site_packages = subprocess.run(where, capture_output=True, text=True, check=True).stdout.strip()  # noqa: S603
    folders = [site_packages, str(SHARED_LAYER), str(FUNCTIONS), str(MINIMAL), str(PROBE.parent)]
    unset = ('PYTHONDONTWRITEBYTECODE', 'PYTHONPYCACHEPREFIX')
    environ = {name: value for name, value in os.environ.items() if name not in unset}
    compileall = [PYTHON[0], '-m', 'compileall', '-q', *folders]
    subprocess.run(compileall, env=environ, capture_output=True, check=False)  # noqa: S603


def _measure(
    function: str, event: dict[str, Any], stack: Stack, tmp: Path, runs: dict[str, list[list[float]]]
) -> dict[str, Any]:
    """The handler's first event, then the minimal handler replaying it; keeps the figures of both."""
    env = stack.environment(function)
    product = _probe(FUNCTIONS / function, function, event, env, tmp)
    replay = tmp / 'replay.json'
    replay.write_text(json.dumps({'clients': product['clients'], 'calls': product['calls']}))
    minimal = _probe(MINIMAL, function, event, {**env, 'BENCH_REPLAY': str(replay)}, tmp)
    figures = [
        product['import_s'],
        product['first_event_s'],
        minimal['first_event_s'],
        product['first_event_cpu_s'],
        minimal['first_event_cpu_s'],
    ]
    runs.setdefault(function, []).append(figures)
    own = [c for c in product['clients'] if not c['by_xray_sdk']]
    runs.setdefault(f'{function} calls', [[len(own), len(product['calls'])]])
    return dict(product['response'])


def _s3_event(key: str, version: str, size: int) -> dict[str, Any]:
    event: dict[str, Any] = json.loads((ROOT / 'events' / 's3_put.json').read_text())
    obj = event['Records'][0]['s3']['object']
    obj.update({'key': key, 'versionId': version, 'size': size})
    return event


def _wait_for(emulator: Any, import_id: str, wanted: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while (status := emulator.imports[import_id]['status']) != wanted:
        if time.monotonic() > deadline or status in ('FAILED', 'IMPORTED'):
            raise RuntimeError(f'Wix import {import_id} is {status}, never {wanted}')
        time.sleep(0.05)


def round_sample(index: int) -> bytes:
    """The sample export, its first customer's balance raised by `index`.

    The importer refuses a file whose balances it imported lately (ALREADY_IMPORTED), so each round
    drops balances of its own and every round runs the full import; only that one cell differs.
    """
    head, first, rest = SAMPLE.read_bytes().split(b'\n', 2)
    column = head.decode('utf-8').split(',').index('Points balance')
    cells = first.split(b',')
    cells[column] = str(int(cells[column]) + index).encode()
    return b'\n'.join([head, b','.join(cells), rest])


def one_round(index: int, stack: Stack, tmp: Path, runs: dict[str, list[list[float]]]) -> None:
    s3 = _client(stack.aws, 's3')
    key = f'incoming/round-{index}.csv'
    data = round_sample(index)
    version = s3.put_object(Bucket=BUCKET, Key=key, Body=data)['VersionId']
    _measure('importer', _s3_event(key, version, len(data)), stack, tmp, runs)
    sfn = _client(stack.aws, 'stepfunctions')
    machine = stack.functions['importer']['STATE_MACHINE_ARN']
    executions = sfn.list_executions(stateMachineArn=machine)['executions']
    started = max(executions, key=lambda e: e['startDate'])
    task = json.loads(sfn.describe_execution(executionArn=started['executionArn'])['input'])
    task['error'] = None  # the state machine's Start state adds it
    _wait_for(stack.emulator, task['importId'], 'PARSED')
    poll = _measure('poller', task, stack, tmp, runs)
    _measure('executor', {**task, 'poll': poll}, stack, tmp, runs)
    _wait_for(stack.emulator, task['importId'], 'IMPORTED')
    poll = _measure('poller', task, stack, tmp, runs)
    _measure('finalizer', {**task, 'poll': poll}, stack, tmp, runs)


def main() -> None:
    PYTHON[:] = lambda_python()
    compile_bytecode()
    runs: dict[str, list[list[float]]] = {}
    failures: list[str] = []
    try:
        import flask  # noqa: F401, PLC0415 - what moto's server needs (moto[server])
    except ImportError:
        print('\nCold start skipped: moto[server] is not installed (flask, flask-cors: requirements/dev.txt)')
        return
    with edges() as stack, tempfile.TemporaryDirectory() as tmp:
        for index in range(ROUNDS):
            try:
                one_round(index, stack, Path(tmp), runs)
            except RuntimeError as exc:  # a broken handler must not hide the others' figures
                failures.append(str(exc))
    report(runs)
    print(f'  interpreter: {PYTHON[1]}')
    for failure in dict.fromkeys(failures):
        print(f'  ROUND FAILED: {failure}')


def report(runs: dict[str, list[list[float]]]) -> None:
    title = f'Cold start: fresh interpreter, import + first event, median of {ROUNDS} rounds'
    print(f'\n{title} (target <= {TARGET} x)')
    print('  (edges on 127.0.0.1: moto ThreadedMotoServer for AWS, wix_emulator.WixEmulator for Wix;')
    print('   minimal: benchmarks/minimal/app.py, the same boto3 clients and AWS/Wix calls, replayed)')
    head = f'{"import app":>12}{"first event":>13}{"minimal":>10}{"ratio":>8}'
    head += f'{"CPU":>9}{"minimal":>9}{"ratio":>8}'
    print(f'  {"function":<11}{head}  clients/calls')
    for function in STEPS:
        if function not in runs:
            print(f'  {function:<11}no figure (its probe failed, below)')
            continue
        medians = [statistics.median(column) for column in zip(*runs[function], strict=True)]
        product_import, product, minimal, product_cpu, minimal_cpu = medians
        clients, calls = runs[f'{function} calls'][0]
        wall = f'{product_import * 1000:9.0f} ms{product * 1000:10.0f} ms{minimal * 1000:7.0f} ms'
        wall += f'{product / minimal:7.2f}x'
        cpu = f'{product_cpu * 1000:6.0f} ms{minimal_cpu * 1000:6.0f} ms{product_cpu / minimal_cpu:7.2f}x'
        print(f'  {function:<11}{wall}{cpu}  {clients:.0f}/{calls:.0f}  ({len(runs[function])} runs)')


if __name__ == '__main__':  # the cold start alone: python -m benchmarks.cold_start
    main()
