"""`make eval`: score the inspection's decisions (auto / review / refuse) over every labelled corpus.

report = evaluation.run()          # every corpus, every file, and seven adversarial variants of each

Each file (and each variant, generated in memory, seeded) is inspected once and put into exactly one
category (`scoring.CATEGORIES`). What a careful reader expects comes from the labels, never from
the engine. `python -m evaluation` prints a table per corpus and one JSON line last.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from evaluation.corpora import Case, Corpus, load_all
from evaluation.expectations import Expectation
from evaluation.scoring import CATEGORIES, WRONG, Decision, classify, decide
from evaluation.table import NotRoundTrippable, read_table
from evaluation.variants import KIND_NAMES, KINDS, make

__all__ = ['CATEGORIES', 'KIND_NAMES', 'Report', 'Result', 'run']


@dataclass(frozen=True)
class Result:
    corpus: str
    file: str
    kind: str
    expect: Expectation
    got: Decision
    category: str
    code_mismatch: bool
    clear_headers: bool

    def to_json(self) -> dict[str, Any]:
        return {
            'corpus': self.corpus,
            'file': self.file,
            'kind': self.kind,
            'got': self.got.describe(),
            'expected': self.expect.describe(),
            'category': self.category,
        }


@dataclass
class Report:
    corpora: list[str] = field(default_factory=list)
    results: list[Result] = field(default_factory=list)
    skipped: list[tuple[str, str, str]] = field(default_factory=list)  # (corpus, file, why)
    elapsed_s: float = 0.0

    def counts(self) -> dict[str, dict[str, dict[str, int]]]:
        table: dict[str, dict[str, dict[str, int]]] = {
            corpus: {kind: dict.fromkeys(CATEGORIES, 0) for kind in KIND_NAMES} for corpus in self.corpora
        }
        for result in self.results:
            table[result.corpus][result.kind][result.category] += 1
        return table

    def totals(self) -> dict[str, int]:
        totals = dict.fromkeys(CATEGORIES, 0)
        for result in self.results:
            totals[result.category] += 1
        return totals

    def of(self, *categories: str) -> list[Result]:
        return [result for result in self.results if result.category in categories]

    @property
    def auto_rate_clear(self) -> float | None:
        clear = [
            r
            for r in self.results
            if r.kind == 'original' and r.clear_headers and r.expect.pair is not None and r.expect.auto_ok
        ]
        return round(sum(r.category == 'auto_right' for r in clear) / len(clear), 4) if clear else None

    @property
    def review_first_rate(self) -> float | None:
        reviews = self.of('review_right', 'review_in_choices', 'review_missing')
        right = sum(r.category == 'review_right' for r in reviews)
        return round(right / len(reviews), 4) if reviews else None

    @property
    def failures(self) -> list[Result]:
        """What `make test` fails on: every auto-import that is wrong, and every error."""
        return self.of('auto_wrong', 'error')

    def to_json(self) -> dict[str, Any]:
        totals = self.totals()
        return {
            'corpora': self.counts(),
            'totals': totals,
            'auto_rate_clear': self.auto_rate_clear,
            'review_first_rate': self.review_first_rate,
            'refused_answerable': totals['refused_answerable'],
            'auto_wrong': totals['auto_wrong'],
            'errors': totals['error'],
            'code_mismatches': sum(r.code_mismatch for r in self.results),
            'inputs': len(self.results),
            'skipped': len(self.skipped),
            'elapsed_s': round(self.elapsed_s, 1),
            'wrong': [r.to_json() for r in self.of(*WRONG)],
        }


def inputs(corpus: Corpus, report: Report) -> Iterator[tuple[Case, str, bytes, Expectation]]:
    """Each file as it is, then each variant of it that applies (skips are recorded on the report)."""
    for case in corpus.cases:
        yield case, 'original', case.data, case.expect
        if not case.vary:
            report.skipped.append((corpus.name, case.name, 'variants: not a text table'))
            continue
        try:
            table = read_table(
                case.data,
                encoding=case.encoding,
                delimiter=case.delimiter,
                has_header=case.has_header,
                preamble_lines=case.preamble_lines,
            )
        except NotRoundTrippable as exc:
            report.skipped.append((corpus.name, case.name, f'variants: {exc}'))
            continue
        for kind in KINDS:
            variant = make(kind, corpus.name, case.name, table, case.expect)
            if variant is None:
                continue
            try:
                data = variant[0].to_bytes()
            except NotRoundTrippable as exc:
                report.skipped.append((corpus.name, case.name, f'{kind.name}: {exc}'))
                continue
            yield case, kind.name, data, variant[1]


def run(corpora: Sequence[Corpus] | None = None) -> Report:
    """Inspect every file of every corpus and its variants; nothing is written anywhere."""
    started = time.perf_counter()
    corpora = load_all() if corpora is None else corpora
    report = Report(corpora=[corpus.name for corpus in corpora])
    for corpus in corpora:
        report.skipped.extend((corpus.name, file, why) for file, why in corpus.skipped)
        for case, kind, data, expect in inputs(corpus, report):
            got = decide(data)
            category, mismatch = classify(expect, got)
            report.results.append(
                Result(corpus.name, case.name, kind, expect, got, category, mismatch, case.clear_headers)
            )
    report.elapsed_s = time.perf_counter() - started
    return report
