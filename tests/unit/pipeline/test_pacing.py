"""When the Wix import is read: at its expected end, from its size and its site's learned pace."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any, cast

import pytest

from loyalty_import.pipeline import pacing
from loyalty_import.pipeline.clock import Clock
from loyalty_import.pipeline.models import PollerInput, PollResult
from loyalty_import.pipeline.pacing import IMPORT_PRIOR, PARSE_PRIOR, Pace, Sample
from loyalty_import.pipeline.steps.poller import (
    RESUME_WAIT_S,
    PollerDeps,
    next_wait,
    poll_import,
    polled,
    schedule_after,
)
from loyalty_import.wix.models import ImportStatus, LoyaltyImport

if TYPE_CHECKING:
    from loyalty_import.pipeline.ports import WixImports

T0 = dt.datetime(2026, 12, 4, 12, 0, tzinfo=dt.UTC)


def test_a_site_without_samples_is_expected_at_the_priors() -> None:
    assert Pace().expected_parse_s(5_000_000) == pytest.approx(PARSE_PRIOR.seconds(5_000_000))
    assert Pace().expected_import_s(1000) == pytest.approx(IMPORT_PRIOR.seconds(1000))
    assert not Pace().trusted('import')


def test_imports_of_one_size_rescale_the_prior() -> None:
    # GIVEN a site whose 1,000-row imports take 3x what the prior says
    observed = IMPORT_PRIOR.seconds(1000) * 3
    pace = Pace(imports=[Sample(size=1000, seconds=observed)] * 2)
    # THEN the next 1,000-row import is expected to take as long, and a 2,000-row one 3x the prior
    assert pace.expected_import_s(1000) == pytest.approx(observed)
    assert pace.expected_import_s(2000) == pytest.approx(IMPORT_PRIOR.seconds(2000) * 3)
    assert pace.trusted('import')


def test_imports_of_different_sizes_are_fitted_by_least_squares() -> None:
    # GIVEN a site that imports 1,000 rows a second after a 4 s start
    pace = Pace(imports=[Sample(size=rows, seconds=4 + rows / 1000) for rows in (100, 5_000, 60_000)])
    # THEN a 30-minute import is expected to the second
    assert pace.expected_import_s(1_796_000) == pytest.approx(1800, rel=1e-6)


def test_a_noisy_fit_with_a_negative_start_falls_back_to_the_rescaled_prior() -> None:
    pace = Pace(imports=[Sample(size=10, seconds=50), Sample(size=20, seconds=1), Sample(size=40, seconds=2)])
    expected = pace.expected_import_s(30)
    assert expected > 0
    assert expected == pytest.approx(IMPORT_PRIOR.seconds(30) * pace_ratio(pace), rel=1e-6)


def pace_ratio(pace: Pace) -> float:
    ratios = sorted(s.seconds / IMPORT_PRIOR.seconds(s.size) for s in pace.imports)
    return ratios[len(ratios) // 2]


def test_a_site_keeps_only_its_newest_samples() -> None:
    pace = Pace()
    for index in range(pacing.KEEP_SAMPLES + 5):
        pace = pace.learned(None, Sample(size=index + 1, seconds=1))
    assert len(pace.imports) == pacing.KEEP_SAMPLES
    assert pace.imports[0].size == 6


def test_the_pace_is_learned_from_wix_timestamps() -> None:
    times = {
        'CREATED': T0,
        'PARSED': T0 + dt.timedelta(seconds=3),
        'IMPORTING': T0 + dt.timedelta(seconds=5),
        'IMPORTED': T0 + dt.timedelta(seconds=25),
    }
    pace = pacing.learn(Pace(), times, size_bytes=2_000_000, rows=4000)
    assert pace.parse == [Sample(size=2_000_000, seconds=3)]
    assert pace.imports == [Sample(size=4000, seconds=20)]
    # a status Wix gave no time for teaches nothing
    assert pacing.learn(Pace(), {'CREATED': T0}, size_bytes=10, rows=10) == Pace()


@pytest.mark.parametrize(
    ('now', 'expected'),
    [
        (0.0, 100.0),  # before the end: wake at the expected end
        (60.0, 40.0),
        (100.0, 8.0),  # after: every 0.8 x max(5 s, 10% of the duration)
        (500.0, 40.0),  # an import far past its estimate: 10% of what it has taken so far
    ],
)
def test_the_next_read_lands_at_the_expected_end_then_densely(now: float, expected: float) -> None:
    assert pacing.next_read_in(now=now, phase_started=0, expected_s=100) == pytest.approx(expected)


def test_an_untrusted_estimate_is_read_at_half_and_short_imports_at_the_5_s_floor() -> None:
    assert pacing.next_read_in(now=0, phase_started=0, expected_s=100, trusted=False) == pytest.approx(50)
    assert pacing.next_read_in(now=3, phase_started=0, expected_s=2) == pytest.approx(4)


def _task(schedule_phase: str = 'parse', wix_import: dict[str, Any] | None = None) -> PollerInput:
    schedule = pacing.parse_schedule(
        Pace(imports=[Sample(size=1000, seconds=12)] * 2), size_bytes=1000, started=1000.0
    )
    if schedule_phase == 'import':
        schedule = pacing.importing(schedule, rows=1000, started=1000.0)
    return PollerInput(
        import_id='imp-1',
        source_id='s',
        deadline=100_000,
        wait=5,
        schedule=schedule,
        poll=PollResult(status='PARSED', next_wait=1, deadline_exceeded=False, wix_import=wix_import)
        if wix_import
        else None,
    )


def _import(status: str, rows: int | None = None) -> LoyaltyImport:
    body: dict[str, object] = {'id': 'imp-1', 'status': status}
    if rows is not None:
        body['parseResult'] = {'parsedRowCount': rows}
    return LoyaltyImport.model_validate(body)


def test_a_parsed_import_starts_the_import_phase_at_the_sites_pace() -> None:
    # GIVEN a site whose 1,000-row imports took 12 s, and a poll that finds 2,000 rows PARSED
    task = _task()
    schedule = schedule_after(task, _import('PARSED', rows=2000), now=1010.0)
    # THEN the import phase starts now and the next read is at its expected end
    assert schedule is not None
    assert (schedule.phase, schedule.phase_started, schedule.trusted) == ('import', 1010.0, True)
    expected = IMPORT_PRIOR.seconds(2000) * 12 / IMPORT_PRIOR.seconds(1000)  # the prior, rescaled
    assert schedule.expected_s == pytest.approx(expected, abs=1e-3)
    assert next_wait(task, now=1010.0, max_wait_s=300, schedule=schedule) == 21


def test_an_importing_poll_keeps_the_schedule_and_the_deadline_caps_the_wait() -> None:
    task = _task('import')
    assert task.schedule is not None
    assert schedule_after(task, _import('IMPORTING'), now=1005.0) == task.schedule
    late = task.model_copy(update={'deadline': 1008})
    assert next_wait(late, now=1005.0, max_wait_s=300, schedule=task.schedule) == 3


def test_an_execution_without_a_schedule_still_backs_off() -> None:
    task = PollerInput(import_id='i', source_id='s', deadline=100_000, wait=5)
    assert schedule_after(task, _import('IMPORTING'), now=0) is None
    assert next_wait(task, now=0, max_wait_s=300) == 5


def test_the_next_step_reuses_the_import_the_poll_read_in_the_status_it_needs() -> None:
    parsed = _import('PARSED', rows=3).model_dump(mode='json', by_alias=True)
    task = _task(wix_import=parsed)
    found = polled(task, ImportStatus.PARSED)
    assert found is not None
    assert found.id == 'imp-1'
    assert polled(task, ImportStatus.IMPORTED) is None  # a status the step does not act on
    other = task.model_copy(update={'import_id': 'imp-2'})
    assert polled(other, ImportStatus.PARSED) is None  # never another import's


def test_a_second_parsed_poll_reads_again_soon_and_times_the_import_from_then() -> None:
    # GIVEN an import the last poll saw PARSED (the Execute that followed did not execute yet:
    # its balance snapshot paused, to resume in the next Execute)
    first = schedule_after(_task(), _import('PARSED', rows=2000), now=1010.0)
    assert first is not None
    last_poll = PollResult(status='PARSED', next_wait=21, deadline_exceeded=False, schedule=first)
    task = _task().model_copy(update={'poll': last_poll})
    # WHEN it is still PARSED at the next poll
    again = schedule_after(task, _import('PARSED', rows=2000), now=1040.0)
    # THEN the import is timed from now and the next Execute comes within seconds
    assert again is not None
    assert (again.phase, again.phase_started, again.expected_s) == ('import', 1040.0, first.expected_s)

    class Wix:
        def get_import(self, import_id: str) -> LoyaltyImport:
            return _import('PARSED', rows=2000)

    clock = Clock(now=lambda: dt.datetime.fromtimestamp(1040.0, dt.UTC))
    wix = cast('WixImports', Wix())  # only get_import is called
    result = poll_import(task, PollerDeps(wix=lambda _site: wix, max_wait_s=300, clock=clock))
    assert result.next_wait == RESUME_WAIT_S
