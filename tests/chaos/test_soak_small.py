"""A small soak in `make test`: `make soak`'s code on 12 files (one batch per stack), seeded.

`make soak` drops 300; this proves the soak itself runs and checks what it promises, in about 20 s.
"""

from __future__ import annotations

from chaos.soak import run_soak


def test_a_small_seeded_soak_keeps_every_promise() -> None:
    # GIVEN a seed whose draws arm faults (and at least one kill) in both batches
    lines: list[str] = []

    # WHEN 12 files go through the rehearsal, 8 on stack A and 4 on stack B, faults armed at random
    totals = run_soak(seed=11, files=12, batch=8, budget_s=None, out=lines.append)

    # THEN every file ended, notified once, with at most one Wix import and one execute
    assert totals['violations'] == 0, '\n'.join(lines)
    assert totals['files'] == 12
    assert totals['not_dropped'] == 0
    assert totals['lost'] == totals['unnotified'] == totals['dlq_messages'] == 0
    assert totals['duplicate_wix_imports'] == totals['duplicate_executes'] == 0
    assert totals['duplicate_notifications'] == 0
    assert totals['imported'] + totals['failed_recorded'] == 12
    assert totals['faults_armed'] >= 4
