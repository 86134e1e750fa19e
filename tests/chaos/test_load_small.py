"""A small load run inside `make test`: files over two sites dropped at once all end recorded,
notified, distinct, and every number `make load` reports is measured for them.

`make load` drops 100 files of mixed sizes over 3 sites and prints throughput, Wix calls per
import, detection lag and the rate limit's pace; here only properties are asserted (no timing).
"""

from __future__ import annotations

import threading
from types import SimpleNamespace
from typing import Any, cast

from chaos.load import busiest_window, follow, product_knows_sites, run_load
from chaos.load_files import LoadPlan, Size, plan_files, tag_of_email
from chaos.load_measure import attributable_calls, median, percentile
from chaos.stack import HANG_GUARD_S, ChaosStack, StackOptions
from wix_emulator import LoggedRequest

FILES = 6
PLAN = LoadPlan(files=FILES, sites=2, medium_share=0.0, large_share=0.0, small_rows=(5, 30))


def test_files_over_two_sites_each_get_one_import_one_record_one_notification_and_are_measured() -> None:
    # GIVEN a rehearsal stack at test speed
    with ChaosStack(StackOptions(label='load (small)')) as stack:
        # WHEN six small files over two site folders are dropped at the same moment (followed until
        # done; the guard only catches a hang, however slow the machine)
        result = run_load(stack, PLAN, timeout_s=HANG_GUARD_S)
        emulator_sites = set(stack.emulator.sites)
    numbers = result.to_json()

    # THEN every one is recorded, imported and notified exactly once, through its own Wix import
    assert result.problems == []
    assert (numbers['files'], numbers['imported'], numbers['lost'], numbers['unnotified']) == (
        FILES,
        FILES,
        0,
        0,
    )
    assert numbers['duplicate_wix_imports'] == numbers['duplicate_executes'] == 0
    assert [len(o.wix_imports) for o in result.outcomes] == [1] * FILES
    assert numbers['wix_calls_by_endpoint']['execute_import'] == FILES
    # AND the emulator served both sites; the product reached both only once it knows sites
    assert emulator_sites == {'default', 'shop-a', 'shop-b'}
    assert numbers['sites_reached'] == (2 if product_knows_sites() else 1)
    assert numbers['multi_site_secret'] == product_knows_sites()
    # AND each file's Wix calls were traced to it: at least upload URL, upload, create, get, execute
    assert min(o.calls for o in result.outcomes) >= 5
    assert numbers['calls_per_import_median'] >= 5
    # AND each file's detection lag and its execution's transitions were measured
    assert all(o.lag_s is not None and o.lag_s >= 0 for o in result.outcomes)
    assert numbers['detection_lag_p95_s'] is not None
    assert all(o.transitions is not None and o.transitions >= 2 for o in result.outcomes)
    assert numbers['limit_pace_files_per_min'] is None  # no rate limit in this run
    assert numbers['lambda_busy_s'] > 0


def test_the_plan_mixes_sizes_over_the_sites_the_same_way_every_time() -> None:
    # GIVEN a plan with a tenth of large and a fifth of medium files (sizes scaled down)
    plan = LoadPlan(
        files=20,
        sites=3,
        medium_share=0.2,
        large_share=0.1,
        medium_bytes=(20_000, 30_000),
        large_bytes=(50_000, 60_000),
    )

    # WHEN its files are made twice
    files, again = plan_files(plan), plan_files(plan)

    # THEN the same files, sizes as planned, sites round-robin, every email tagged with its file
    assert [(f.name, f.content) for f in files] == [(f.name, f.content) for f in again]
    sizes = [f.size for f in files]
    assert (sizes.count(Size.LARGE), sizes.count(Size.MEDIUM), sizes.count(Size.SMALL)) == (2, 4, 14)
    assert all(45_000 <= len(f.content) <= 60_000 for f in files if f.size == Size.LARGE)
    assert all(18_000 <= len(f.content) <= 30_000 for f in files if f.size == Size.MEDIUM)
    assert [f.site for f in files[:4]] == ['shop-a', 'shop-b', 'shop-c', 'shop-a']
    assert files[7].name == 'shop-b/load-007.csv'
    first_email = files[7].content.split(b'\n')[1].split(b',')[0].decode()
    assert tag_of_email(first_email) == 'load7'
    assert tag_of_email('ghost@example.com') is None


def test_calls_are_attributed_by_the_import_or_upload_they_name() -> None:
    def call(endpoint: str, subject: str | None, site: str = 'shop-a') -> LoggedRequest:
        return LoggedRequest(endpoint, 'GET', '/', 200, None, True, 0.0, site=site, subject=subject)

    requests = [call('create_upload_url', 'up1'), call('get_import', 'imp1'), call('query_imports', None)]
    requests.append(call('get_import', 'imp2', site='shop-b'))

    calls, sites = attributable_calls(requests, {'up1': 'load1', 'imp1': 'load1', 'imp2': 'load2'})

    assert calls == {'load1': 2, 'load2': 1}
    assert sites == {'load1': {'shop-a'}, 'load2': {'shop-b'}}


def test_percentiles_and_the_busiest_window() -> None:
    assert percentile([1.0, 2.0, 3.0, 4.0, 100.0], 0.95) == 100.0
    assert percentile(range(1, 101), 0.95) == 95
    assert percentile([], 0.95) is None
    assert median([3.0, 1.0, 2.0, 10.0]) == 2.5
    # a burst of four inside one minute (0 and 61 are not within the same 60 s)
    assert busiest_window([0.0, 10.0, 59.0, 59.5, 61.0, 200.0]) == 4


def test_the_hang_guard_fires_even_when_the_lambda_lane_never_pauses() -> None:
    # GIVEN a runtime whose one-invocation lock another thread holds throughout
    lock, release = threading.RLock(), threading.Event()
    held = threading.Event()

    def hold() -> None:
        with lock:
            held.set()
            release.wait(30)

    holder = threading.Thread(target=hold, daemon=True)
    holder.start()
    held.wait(30)
    stack = cast('Any', SimpleNamespace(rehearsal=SimpleNamespace(runtime=SimpleNamespace(_lock=lock))))
    drops: list[Any] = ['incoming/shop-a/load-000.csv']
    try:
        # WHEN the drops are followed with a short guard
        pending = follow(stack, drops, timeout_s=0.2, poll_s=0.01)
    finally:
        release.set()
        holder.join(30)

    # THEN the follow gives up at the guard, reporting the drop unfinished (a hang)
    assert pending == drops
