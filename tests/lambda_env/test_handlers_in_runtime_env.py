"""Each handler, run with only what its Lambda has: requirements/runtime.txt, its code, the shared layer.

The dev virtualenv holds packages the dependencies layer lacks (moto pulls in the X-Ray SDK, for
one), so every other test would pass with a handler that crashes on its first event in AWS.
Here the rehearsed stack runs each function in a worker process whose interpreter is a venv
built from requirements/runtime.txt alone (`rehearsal.runtime_env`, cached between runs), with
the function's environment as the template sets it and its AWS calls going to moto over HTTP.
"""

from __future__ import annotations

import json
import sysconfig
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import pytest
from packaging.utils import canonicalize_name

import layer_check
from rehearsal import Drop, Outcome, Rehearsal, RehearsalConfig
from rehearsal.isolated import WORKER
from rehearsal.runtime_env import RUNTIME_REQUIREMENTS, ensure_runtime_env
from tests.conftest import REPO_ROOT
from wix_emulator import EmulatorSettings, WixEmulator

EVENTS = REPO_ROOT / 'events'
FOLLOW_S = 120.0  # a hang guard: the import itself takes a few seconds
CUSTOMERS = [(f'customer{n}@example.com', n * 10) for n in range(1, 6)]
# One sample event per function (events/), and what in it names the sample's import and object.
SAMPLE_EVENTS = {
    'ImporterFunction': 's3_put.json',
    'PollerFunction': 'poller_first.json',
    'ExecutorFunction': 'executor_parsed.json',
    'FinalizerFunction': 'finalizer_imported.json',
    # A review link that opens nothing (the page says so, 404): the review function's whole page path.
    'ReviewFunction': 'review_page_unknown.json',
}
# Functions a clean import does not invoke (no person had to decide).
NOT_IN_A_CLEAN_IMPORT = {'ReviewFunction'}
# The answer each gives for an import that already ended: the executor refuses to execute again,
# with the error the state machine's Catch hands to Finalize; the others answer normally.
EXPECTED_ERRORS = {'ExecutorFunction': 'ImportAborted'}
SAMPLE_IMPORT_ID = '1f0c3a5e-7d2b-4c1e-9a8f-5b6d7e8f9a0b'
SAMPLE_VERSION_ID = '3HL4kqtJvjVBH40Nrjfkd'
SAMPLE_ETAG = '0123456789abcdef0123456789abcdef'


@dataclass(frozen=True)
class Imported:
    rehearsal: Rehearsal
    drop: Drop
    outcome: Outcome
    python: Path


@pytest.fixture(scope='module')
def imported() -> Iterator[Imported]:
    """One file imported end to end by the isolated handlers (the state machine executes it)."""
    python = ensure_runtime_env()
    settings = EmulatorSettings(parse_delay_s=0.05, import_delay_s=0.05, retry_after_s=0)
    config = RehearsalConfig(
        parameters={'ParseWaitSeconds': '0'},  # so the state machine's Execute step runs too
        clock_scale=0.01,
        async_retry_delay_s=0.01,
        lambda_python=python,
    )
    with WixEmulator(settings) as emulator, Rehearsal(config, emulator=emulator) as rehearsal:
        content = ('email,points\n' + ''.join(f'{e},{p}\n' for e, p in CUSTOMERS)).encode()
        drop = rehearsal.drop('customers.csv', content)
        yield Imported(rehearsal, drop, rehearsal.follow(drop, timeout_s=FOLLOW_S), python)


def _failures(rehearsal: Rehearsal) -> list[str]:
    return [f'{i.logical_id}: {i.error_type}: {i.error_message}' for i in rehearsal.invocations if not i.ok]


def test_a_drop_is_imported_by_handlers_that_have_only_the_runtime_packages(imported: Imported) -> None:
    # GIVEN every function running in an interpreter built from requirements/runtime.txt alone
    rehearsal, outcome = imported.rehearsal, imported.outcome
    # WHEN a file was dropped and followed to its end
    # THEN it was imported, with no failed invocation anywhere on the way
    assert outcome.finished, f'no final record within {FOLLOW_S} s: {_failures(rehearsal)}'
    assert outcome.status == 'IMPORTED', _failures(rehearsal)
    assert _failures(rehearsal) == []
    assert rehearsal.emulator.balances == dict(CUSTOMERS)
    # AND all four import functions ran there (not in this test's interpreter)
    assert {i.logical_id for i in rehearsal.invocations} == set(SAMPLE_EVENTS) - NOT_IN_A_CLEAN_IMPORT


@pytest.mark.parametrize('logical_id', sorted(SAMPLE_EVENTS))
def test_each_handler_handles_its_sample_event(imported: Imported, logical_id: str) -> None:
    # GIVEN the function's sample event from events/, naming the object and Wix import of this run
    record = imported.outcome.record
    assert record is not None
    assert record.wix_import_id is not None
    text = (EVENTS / SAMPLE_EVENTS[logical_id]).read_text(encoding='utf-8')
    substitutions = {
        SAMPLE_IMPORT_ID: record.wix_import_id,
        SAMPLE_VERSION_ID: str(imported.drop.version_id),
        SAMPLE_ETAG: imported.drop.etag,
    }
    for sample, actual in substitutions.items():
        text = text.replace(sample, actual)
    event = json.loads(text)

    # WHEN the function is invoked with it (a redelivery or a repeated task for a finished import)
    invocation = imported.rehearsal.invoke(logical_id, event)

    # THEN it answers as designed (not a crash of the runtime), and the finished import stays as it was
    assert invocation.error_type == EXPECTED_ERRORS.get(logical_id), invocation.error_message
    assert invocation.ok == (logical_id not in EXPECTED_ERRORS)
    assert isinstance(invocation.result, dict) or not invocation.ok
    if logical_id == 'ReviewFunction':
        assert isinstance(invocation.result, dict)
        assert invocation.result['statusCode'] == 404
        assert 'This link is not valid' in invocation.result['body']
    final = imported.rehearsal.record(imported.drop)
    assert final is not None
    assert final.status.value == 'IMPORTED'
    assert imported.rehearsal.emulator.count('execute_import') == 1


def test_the_runtime_requirements_are_what_the_handlers_import(imported: Imported) -> None:
    # GIVEN the functions' warm workers, after they handled the import
    runtime = imported.rehearsal.runtime
    assert runtime is not None
    loaded: dict[str, str | None] = {}
    for function in _moto_functions(imported.rehearsal):
        loaded.update(runtime.loaded_modules(function))
    # WHEN each loaded top-level module is placed: the standard library, the function's code and
    # layers, or the runtime environment's site-packages (and there, the distribution providing it)
    site_packages = next(imported.python.parent.parent.glob('lib/python*/site-packages')).resolve()
    places = {name: _place(file, site_packages) for name, file in loaded.items()}
    third_party = {name for name, place in places.items() if place == 'site-packages'}
    elsewhere = [f'{name}: {loaded[name]}' for name, place in places.items() if place == 'elsewhere']
    providers = _packages_distributions(site_packages)
    # What the code imports only on some inputs (charset-normalizer breaks an encoding tie) counts too.
    imported_anywhere = third_party | layer_check.third_party(layer_check.product_imports())
    used = {canonicalize_name(dist) for name in imported_anywhere for dist in providers.get(name, [])}
    # THEN nothing came from anywhere else (a dev virtualenv), every third-party module belongs to an
    # installed distribution, and each requirement of runtime.txt is really used by a handler
    assert elsewhere == []
    assert sorted(name for name in imported_anywhere if name not in providers) == []
    required = {canonicalize_name(r.name) for r in layer_check.requirements_of(RUNTIME_REQUIREMENTS)}
    assert required - used == set()


def _place(file: str | None, site_packages: Path) -> str:
    if file is None:
        return 'built in'
    where = Path(file).resolve()
    if where.is_relative_to(site_packages):
        return 'site-packages'
    if where == WORKER or any(where.is_relative_to(REPO_ROOT / folder) for folder in ('functions', 'layers')):
        return 'own code'  # the runtime's bootstrap, a function's code folder, a layer
    if where.is_relative_to(Path(sysconfig.get_paths()['stdlib'])):
        return 'standard library'
    return 'elsewhere'


def _packages_distributions(site_packages: Path) -> dict[str, list[str]]:
    provided: dict[str, list[str]] = {}
    for dist in metadata.distributions(path=[str(site_packages)]):
        # A package folder, or a single module file ('six.py', '_cffi_backend.cpython-311-....so').
        files = [Path(file) for file in dist.files or [] if not str(file).startswith('..')]
        tops = {file.parts[0].split('.')[0] for file in files}
        for top in tops:
            if top not in {'', '__pycache__', 'bin'}:
                provided.setdefault(top, []).append(dist.metadata['Name'])
    return provided


def _moto_functions(rehearsal: Rehearsal) -> list[object]:
    from moto.awslambda.utils import get_backend  # noqa: PLC0415 - moto's own backend, in process

    backend = get_backend('123456789012', rehearsal.config.region)
    return [backend.get_function(rehearsal.resource(logical_id)) for logical_id in SAMPLE_EVENTS]
