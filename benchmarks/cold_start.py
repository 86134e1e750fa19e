"""Cold start as a user pays it: a fresh interpreter imports a handler and handles its first event.

The edges are emulated on 127.0.0.1: AWS by moto's ThreadedMotoServer (S3, DynamoDB, SNS, Step
Functions, Secrets Manager, reached through AWS_ENDPOINT_URL), Wix by the project's WixEmulator.
Each round follows one file through the functions, each in its own fresh interpreter: the importer
gets the S3 event, the poller the state machine's input (Wix has PARSED the file), the executor
the poller's answer, the poller again (IMPORTED), the finalizer its answer. Right after each, the
minimal handler (benchmarks/minimal/app.py) runs in a fresh interpreter too, with the same boto3
clients and the same AWS and Wix calls, replayed. Each figure is the best of several rounds.

Target (issue 9): each first invocation at most 1.5x the minimal handler's.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
FUNCTIONS = ROOT / 'functions'
MINIMAL = Path(__file__).resolve().parent / 'minimal'
PROBE = Path(__file__).resolve().parent / 'probe.py'
ROUNDS = 5
TARGET = 1.5
REGION = 'us-east-1'
BUCKET = 'loyalty-import-drop-123456789012-us-east-1'
SAMPLE = ROOT / 'local' / 'rehearsal' / 'samples' / 'loyaltylion-export.csv'
STEPS = ('importer', 'poller', 'executor', 'finalizer')


@contextmanager
def edges() -> Iterator[tuple[dict[str, str], Any]]:
    """moto and the Wix emulator on 127.0.0.1, the stack's resources in them: (environment, emulator)."""
    import logging  # noqa: PLC0415

    from moto.server import ThreadedMotoServer  # noqa: PLC0415 - only the benchmark needs Flask

    from wix_emulator import WixEmulator  # noqa: PLC0415
    from wix_emulator.settings import EmulatorSettings  # noqa: PLC0415

    logging.getLogger('werkzeug').setLevel(logging.ERROR)  # one access-log line per AWS call otherwise
    server = ThreadedMotoServer(ip_address='127.0.0.1', port=0, verbose=False)
    server.start()
    # Wix parses and imports in a tenth of a second: the rounds wait for it, the handlers do not.
    emulator = WixEmulator(EmulatorSettings(parse_delay_s=0.1, import_delay_s=0.1)).start()
    try:
        host, port = server.get_host_and_port()
        env = _aws_environment(f'http://{host}:{port}')
        env.update(_create_stack(env, emulator))
        yield env, emulator
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


def _create_stack(env: dict[str, str], emulator: Any) -> dict[str, str]:
    def client(name: str) -> Any:
        return _client(env, name)

    dynamodb = client('dynamodb')
    for table, key in (('imports', 'pk'), ('idempotency', 'id')):
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
    return {
        # What template.yaml gives every function (Globals) and the importer alone.
        'POWERTOOLS_SERVICE_NAME': 'loyalty-import',
        'POWERTOOLS_METRICS_NAMESPACE': 'LoyaltyImport',
        'POWERTOOLS_LOG_LEVEL': 'INFO',
        'POWERTOOLS_TRACER_CAPTURE_RESPONSE': 'false',
        'POWERTOOLS_LOGGER_LOG_EVENT': 'false',
        'IMPORTS_TABLE': 'imports',
        'IDEMPOTENCY_TABLE': 'idempotency',
        'NOTIFICATION_TOPIC_ARN': topic,
        'WIX_SECRET_ID': secret_arn,
        'WIX_BASE_URL': emulator.base_url,
        'WIX_OAUTH_TOKEN_URL': emulator.oauth_token_url,
        'DROP_BUCKET': BUCKET,
        'INCOMING_PREFIX': 'incoming/',
        'RESULTS_PREFIX': 'results/',
        'MAX_FILE_BYTES': str(10 * 1024 * 1024),
        'IMPORT_DEADLINE_SECONDS': '21600',
        # The importer hands the parse wait to the state machine, so every function gets an event.
        'PARSE_WAIT_SECONDS': '0',
        'STATE_MACHINE_ARN': machine,
        # What the Lambda runtime sets (X-Ray active, as Tracing: Active gives it; no daemon listens).
        'AWS_EXECUTION_ENV': 'AWS_Lambda_python3.13',
        'AWS_LAMBDA_FUNCTION_MEMORY_SIZE': '512',
        'AWS_LAMBDA_FUNCTION_VERSION': '$LATEST',
        '_X_AMZN_TRACE_ID': 'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1',
        'LAMBDA_TASK_ROOT': str(FUNCTIONS),
    }


def _probe(
    folder: Path, function: str, event: dict[str, Any], env: dict[str, str], tmp: Path
) -> dict[str, Any]:
    spec = tmp / 'spec.json'
    out = tmp / 'out.json'
    spec.write_text(json.dumps({'folder': str(folder), 'event': event, 'out': str(out)}))
    environ = {**os.environ, **env, 'AWS_LAMBDA_FUNCTION_NAME': f'loyalty-import-{function}'}
    probe = [sys.executable, str(PROBE), str(spec)]
    completed = subprocess.run(probe, env=environ, capture_output=True, text=True, check=False)  # noqa: S603
    if completed.returncode != 0 or not out.exists():
        last = completed.stderr.strip().splitlines()[-1:] or ['no output']
        raise RuntimeError(f'{function} probe failed: {last[0]}')
    result: dict[str, Any] = json.loads(out.read_text())
    out.unlink()
    return result


def _measure(
    function: str, event: dict[str, Any], env: dict[str, str], tmp: Path, best: dict[str, list[float]]
) -> dict[str, Any]:
    """The handler's first event, then the minimal handler replaying it; keeps the best of each."""
    product = _probe(FUNCTIONS / function, function, event, env, tmp)
    replay = tmp / 'replay.json'
    replay.write_text(json.dumps({'clients': product['clients'], 'calls': product['calls']}))
    minimal = _probe(MINIMAL, function, event, {**env, 'BENCH_REPLAY': str(replay)}, tmp)
    row = best.setdefault(function, [float('inf')] * 4)
    figures = (product['import_s'], product['first_event_s'], minimal['import_s'], minimal['first_event_s'])
    best[function] = [min(a, b) for a, b in zip(row, figures, strict=True)]
    best.setdefault(f'{function} calls', [len(product['clients']), len(product['calls'])])
    return dict(product['response'])


def _s3_event(key: str, version: str, size: int) -> dict[str, Any]:
    event: dict[str, Any] = json.loads((ROOT / 'events' / 's3_put.json').read_text())
    obj = event['Records'][0]['s3']['object']
    obj.update({'key': key, 'versionId': version, 'size': size})
    return event


def _wait_for(emulator: Any, import_id: str, wanted: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while emulator.imports[import_id]['status'] != wanted:
        if time.monotonic() > deadline:
            raise RuntimeError(f'Wix never reached {wanted}')
        time.sleep(0.05)


def one_round(
    index: int, env: dict[str, str], emulator: Any, tmp: Path, best: dict[str, list[float]]
) -> None:
    s3 = _client(env, 's3')
    key = f'incoming/round-{index}.csv'
    data = SAMPLE.read_bytes()
    version = s3.put_object(Bucket=BUCKET, Key=key, Body=data)['VersionId']
    _measure('importer', _s3_event(key, version, len(data)), env, tmp, best)
    sfn = _client(env, 'stepfunctions')
    executions = sfn.list_executions(stateMachineArn=env['STATE_MACHINE_ARN'])['executions']
    started = max(executions, key=lambda e: e['startDate'])
    task = json.loads(sfn.describe_execution(executionArn=started['executionArn'])['input'])
    task['error'] = None  # the state machine's Start state adds it
    _wait_for(emulator, task['importId'], 'PARSED')
    poll = _measure('poller', task, env, tmp, best)
    _measure('executor', {**task, 'poll': poll}, env, tmp, best)
    _wait_for(emulator, task['importId'], 'IMPORTED')
    poll = _measure('poller', task, env, tmp, best)
    _measure('finalizer', {**task, 'poll': poll}, env, tmp, best)


def main() -> None:
    best: dict[str, list[float]] = {}
    failures: list[str] = []
    with edges() as (env, emulator), tempfile.TemporaryDirectory() as tmp:
        for index in range(ROUNDS):
            try:
                one_round(index, env, emulator, Path(tmp), best)
            except RuntimeError as exc:  # a broken handler must not hide the others' figures
                failures.append(str(exc))
    report(best)
    for failure in dict.fromkeys(failures):
        print(f'  ROUND FAILED: {failure}')


def report(best: dict[str, list[float]]) -> None:
    print(f'\nCold start: fresh interpreter, import + first event, best of {ROUNDS} rounds')
    print('  (edges on 127.0.0.1: moto ThreadedMotoServer for AWS, wix_emulator.WixEmulator for Wix)')
    print(
        f'  {"function":<11}{"import app":>12}{"first event":>13}{"minimal":>10}{"ratio":>8}  clients/calls'
    )
    for function in STEPS:
        if function not in best:
            print(f'  {function:<11}no figure (its probe failed, below)')
            continue
        product_import, product, _, minimal = best[function]
        clients, calls = best[f'{function} calls']
        ratio = product / minimal
        times = f'{product_import * 1000:9.0f} ms{product * 1000:10.0f} ms{minimal * 1000:7.0f} ms'
        print(f'  {function:<11}{times}{ratio:7.2f}x  {clients:.0f}/{calls:.0f}   (target <= {TARGET:.1f} x)')
