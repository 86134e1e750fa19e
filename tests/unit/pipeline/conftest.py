"""Fixtures of the pipeline's unit tests: the fakes wired into each logic function's deps."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from loyalty_import.pipeline.models import FinalizerInput, ImportRecord, PollResult
from loyalty_import.pipeline.settings import ExecutorSettings, FinalizerSettings, PollerSettings
from loyalty_import.pipeline.steps.executor import ExecutorDeps
from loyalty_import.pipeline.steps.finalizer import FinalizerDeps, finalize_import
from loyalty_import.pipeline.steps.importer import ImporterDeps
from loyalty_import.pipeline.steps.poller import PollerDeps
from tests.fakes.clock import START, FakeClock
from tests.fakes.wix import FakeWix
from tests.unit.pipeline.fakes import (
    FakeInspector,
    FakeLayouts,
    FakeNotifier,
    FakePaces,
    FakeRecords,
    FakeStorage,
    FakeWorkflow,
    make_settings,
    settings_of,
)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def records() -> FakeRecords:
    return FakeRecords()


@pytest.fixture
def notifier() -> FakeNotifier:
    return FakeNotifier()


@pytest.fixture
def storage() -> FakeStorage:
    return FakeStorage()


@pytest.fixture
def workflow() -> FakeWorkflow:
    return FakeWorkflow()


@pytest.fixture
def wix() -> FakeWix:
    return FakeWix()


@pytest.fixture
def inspector() -> FakeInspector:
    return FakeInspector()


@pytest.fixture
def paces() -> FakePaces:
    return FakePaces()


@pytest.fixture
def importer_deps(
    executor_deps: ExecutorDeps,
    storage: FakeStorage,
    workflow: FakeWorkflow,
    inspector: FakeInspector,
    paces: FakePaces,
) -> ImporterDeps:
    return ImporterDeps(
        settings=make_settings(),
        records=executor_deps.records,
        notifier=executor_deps.notifier,
        storage=storage,
        workflow=workflow,
        inspector=inspector,
        wix=executor_deps.wix,
        clock=executor_deps.clock,
        layouts=FakeLayouts(),
        review_workflow=FakeWorkflow(),
        paces=paces,
    )


@pytest.fixture
def poller_deps(wix: FakeWix, clock: FakeClock) -> PollerDeps:
    settings = settings_of(PollerSettings)
    return PollerDeps(
        wix=lambda _site: wix, max_wait_s=settings.poll_max_wait_seconds, clock=clock.as_clock()
    )


@pytest.fixture
def executor_deps(
    records: FakeRecords, notifier: FakeNotifier, wix: FakeWix, clock: FakeClock, storage: FakeStorage
) -> ExecutorDeps:
    return ExecutorDeps(
        records=records,
        notifier=notifier,
        wix=lambda _site: wix,
        storage=storage,
        settings=settings_of(ExecutorSettings),
        clock=clock.as_clock(),
    )


@pytest.fixture
def finalizer_deps(executor_deps: ExecutorDeps, storage: FakeStorage, paces: FakePaces) -> FinalizerDeps:
    return FinalizerDeps(
        settings=settings_of(FinalizerSettings),
        records=executor_deps.records,
        notifier=executor_deps.notifier,
        storage=storage,
        wix=executor_deps.wix,
        clock=executor_deps.clock,
        paces=paces,
    )


@dataclass
class World:
    """Every fake and every logic function's deps, wired together (one fixture, few parameters)."""

    clock: FakeClock
    records: FakeRecords
    notifier: FakeNotifier
    storage: FakeStorage
    workflow: FakeWorkflow
    wix: FakeWix
    inspector: FakeInspector
    importer: ImporterDeps
    poller: PollerDeps
    executor: ExecutorDeps
    finalizer: FinalizerDeps

    def finalize_imported(self, record: ImportRecord) -> ImportRecord:
        """Run the Finalize step as the state machine does once Wix says IMPORTED; the saved record."""
        assert record.wix_import_id is not None
        self.clock.sleeps.clear()  # from here on `clock.sleeps` are the Finalize step's own
        task = FinalizerInput(
            import_id=record.wix_import_id,
            source_id=record.pk,
            deadline=int(START.timestamp()) + 3600,
            wait=5,
            poll=PollResult(status='IMPORTED', next_wait=5, deadline_exceeded=False),
        )
        finalize_import(task, self.finalizer)
        saved = self.records.get(record.pk)
        assert saved is not None
        return saved


@pytest.fixture
def w(
    importer_deps: ImporterDeps,
    poller_deps: PollerDeps,
    executor_deps: ExecutorDeps,
    finalizer_deps: FinalizerDeps,
    clock: FakeClock,
) -> World:
    deps = importer_deps
    assert isinstance(deps.records, FakeRecords)
    assert isinstance(deps.notifier, FakeNotifier)
    assert isinstance(deps.storage, FakeStorage)
    assert isinstance(deps.workflow, FakeWorkflow)
    assert isinstance(deps.inspector, FakeInspector)
    wix = deps.wix('default')
    assert isinstance(wix, FakeWix)
    return World(
        clock=clock,
        records=deps.records,
        notifier=deps.notifier,
        storage=deps.storage,
        workflow=deps.workflow,
        wix=wix,
        inspector=deps.inspector,
        importer=deps,
        poller=poller_deps,
        executor=executor_deps,
        finalizer=finalizer_deps,
    )
