"""Kills in `make test`: a function ended between two of its own side effects, as Lambda ends one.

`make chaos` kills every function at every point between two of its writes; these five cover each
recovery path: the importer's async retry (after the Wix create; a refused file after its
notification claim), the state machine's retry of a killed Execute and Finalize, and a duplicate
S3 delivery racing a killed first delivery.
"""

from __future__ import annotations

import ast
from pathlib import Path

from chaos.runner import run_all, summary
from chaos.scenarios import QUICK_KILL_IDS, quick_kill_scenarios

PRODUCT = Path(__file__).resolve().parents[2] / 'layers' / 'shared' / 'loyalty_import'


def test_no_product_code_can_observe_a_kill() -> None:
    # GIVEN the kill is a BaseException raised where a side effect returns (chaos.kills)
    # THEN no product handler catches BaseException (or everything): only `finally` could see it
    catching_all = []
    for path in PRODUCT.rglob('*.py'):
        for node in ast.walk(ast.parse(path.read_text(encoding='utf-8'))):
            if isinstance(node, ast.ExceptHandler) and (
                node.type is None or (isinstance(node.type, ast.Name) and node.type.id == 'BaseException')
            ):
                catching_all.append(f'{path.relative_to(PRODUCT)}:{node.lineno}')
    assert catching_all == []


def test_killed_functions_keep_every_promise() -> None:
    # GIVEN one kill per recovery path, each between two side effects of the killed function
    scenarios = quick_kill_scenarios()
    assert [scenario.id for scenario in scenarios] == list(QUICK_KILL_IDS)

    # WHEN each runs on the rehearsal (bounded only by the generous hang guard, reported as a hang)
    results, not_run = run_all(scenarios)

    # THEN every kill happened and every file ended as it should: one record, one notification,
    # one Wix import, at most one execute, nothing in the DLQ
    assert not_run == []
    assert {result.scenario.id: result.violations for result in results if result.violations} == {}
    totals = summary(results, not_run, 0.0)
    assert totals['kills'] == len(scenarios)
    assert totals['files'] == len(scenarios)
    assert totals['lost'] == totals['unnotified'] == totals['hangs'] == totals['dlq_messages'] == 0
    assert totals['duplicate_wix_imports'] == totals['duplicate_executes'] == 0
    assert totals['duplicate_notifications'] == totals['accepted_duplicate_notifications'] == 0
    assert totals['faults_not_fired'] == 0
