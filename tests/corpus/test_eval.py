"""`make eval` in `make test`: no auto-import may be wrong, and no input may raise anything but a Refusal.

The evaluation (local/evaluation) inspects every labelled file of every corpus and seven seeded
adversarial variants of each, and scores each decision (auto / review / refuse) against the labels.
A wrong auto-import would corrupt every balance of a merchant's file without anyone asking: each
is listed. Deselect with `-m 'not slow'` when iterating on something else.
"""

from __future__ import annotations

import pytest

import evaluation


@pytest.mark.slow
def test_no_auto_import_is_wrong_and_nothing_raises_over_every_corpus_and_variant() -> None:
    # GIVEN every labelled corpus and its adversarial variants
    # WHEN the evaluation inspects each file and variant
    report = evaluation.run()
    # THEN there was something to score
    assert report.results, 'the evaluation found no labelled files'
    # AND no auto-import is wrong, and no input raised anything but a Refusal
    failures = report.failures
    listing = '\n'.join(
        f'  {r.category.upper()} {r.corpus}/{r.file} [{r.kind}]: got {r.got.describe()}; '
        f'expected {r.expect.describe()}'
        for r in failures
    )
    assert not failures, (
        f'{len(failures)} of {len(report.results)} inputs (make eval for the tables):\n{listing}'
    )
