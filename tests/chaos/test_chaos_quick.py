"""The reduced chaos run inside `make test`: one scenario per recovery path, on both stacks.

`make chaos` runs the whole matrix (every Wix call x every fault, storms, AWS-side faults).
"""

from __future__ import annotations

from chaos.runner import ScenarioResult, run_all, summary
from chaos.scenarios import STACKS, quick_scenarios


def _violations(results: list[ScenarioResult]) -> dict[str, list[str]]:
    return {result.scenario.id: result.violations for result in results if result.violations}


def test_quick_chaos_keeps_every_promise_on_both_stacks() -> None:
    # GIVEN one representative fault per recovery path: a lost create and execute response, a 503
    # while the state machine polls, a failed DynamoDB write right after Wix created the import, an
    # SNS failure on a refused file, an S3 event delivered twice at once, and an execute by the state
    # machine whose response is lost
    scenarios = quick_scenarios()
    assert {scenario.stack for scenario in scenarios} == set(STACKS)

    # WHEN each runs on the rehearsal (the real template, state machine and handlers), all of them
    # however long a busy machine takes (each is bounded only by a generous hang guard)
    results, not_run = run_all(scenarios)

    # THEN every file has one final record and one notification, one Wix import, one execute
    assert not_run == []
    assert _violations(results) == {}
    totals = summary(results, not_run, 0.0)
    assert totals['files'] == len(scenarios)
    assert totals['imported'] == len(scenarios) - 1  # the refused file ends REJECTED, notified
    assert totals['failed_recorded'] == 1
    assert totals['lost'] == totals['unnotified'] == totals['hangs'] == 0
    assert totals['duplicate_wix_imports'] == totals['duplicate_executes'] == 0
    # AND the faults really happened (a scenario whose fault never fired proves nothing)
    assert totals['faults_not_fired'] == 0
    assert totals['faulted_wix_requests'] >= 4
