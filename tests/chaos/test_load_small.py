"""A small load run inside `make test`: files dropped at once all end recorded, notified, distinct.

`make load` drops 50 and prints throughput, Wix calls per import and the busiest minute's rate;
here only the correctness properties are asserted (no timing).
"""

from __future__ import annotations

from chaos.load import busiest_window, run_load
from chaos.stack import HANG_GUARD_S, ChaosStack, StackOptions

FILES = 10


def test_files_dropped_at_once_each_get_one_import_one_record_and_one_notification() -> None:
    # GIVEN a rehearsal stack at test speed
    with ChaosStack(StackOptions(label='load (small)')) as stack:
        # WHEN ten files are dropped at the same moment (followed until done; the guard only
        # catches a hang, however slow the machine)
        result = run_load(stack, FILES, timeout_s=HANG_GUARD_S)

    # THEN every one is recorded, imported and notified exactly once, through its own Wix import
    assert result.problems == []
    assert result.recorded == result.imported == result.notified_once == FILES
    assert result.distinct_wix_imports == FILES
    assert result.duplicate_wix_imports == result.duplicate_executes == 0
    assert result.by_endpoint['execute_import'] == FILES
    assert result.by_endpoint['create_import'] == FILES


def test_the_busiest_window_counts_requests_within_any_sixty_seconds() -> None:
    # GIVEN request times with a burst of four inside one minute
    times = [0.0, 10.0, 59.0, 59.5, 61.0, 200.0]

    # WHEN the busiest 60 s window is measured
    busiest = busiest_window(times)

    # THEN it is the burst (0 and 61 are not within the same 60 s)
    assert busiest == 4
