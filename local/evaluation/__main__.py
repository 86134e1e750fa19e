"""`make eval`: a table per corpus (a row per kind, a column per category), the cases to fix, a JSON line.

python -m evaluation [--quiet]   exit 1 when any auto-import is wrong or any input raised
"""

from __future__ import annotations

import argparse
import json
import sys

from evaluation import KIND_NAMES, Report, run
from evaluation.scoring import CATEGORIES

SHORT = {
    'auto_right': 'auto_ok',
    'auto_wrong': 'AUTO_BAD',
    'review_right': 'rev_ok',
    'review_in_choices': 'rev_chc',
    'review_missing': 'rev_miss',
    'refused_answerable': 'ref_ans',
    'refused_rightly': 'ref_ok',
    'review_should_refuse': 'rev_ref',
    'error': 'error',
}


def table(report: Report, corpus: str) -> list[str]:
    counts = report.counts()[corpus]
    lines = [f'{"kind":<18}' + ''.join(f'{SHORT[c]:>9}' for c in CATEGORIES) + f'{"total":>7}']
    for kind in KIND_NAMES:
        row = counts[kind]
        if not any(row.values()):
            continue
        lines.append(f'{kind:<18}' + ''.join(f'{row[c]:>9}' for c in CATEGORIES) + f'{sum(row.values()):>7}')
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog='python -m evaluation', description=__doc__.split('\n\n')[0])
    parser.add_argument('--quiet', action='store_true', help='the JSON line only')
    args = parser.parse_args(argv)
    report = run()
    summary = report.to_json()
    if not args.quiet:
        inputs = summary['inputs']
        print(f'evaluation: {inputs} inputs (labelled files and their variants) in {report.elapsed_s:.1f} s')
        print('  ' + ', '.join(f'{short} = {long}' for long, short in SHORT.items()))
        for corpus in report.corpora:
            files = sum(1 for r in report.results if r.corpus == corpus and r.kind == 'original')
            print(f'\n{corpus} ({files} labelled files)')
            print('\n'.join('  ' + line for line in table(report, corpus)) if files else '  (no files)')
        print_details(report)
    print(json.dumps(summary, ensure_ascii=False))
    return 1 if report.failures else 0


def print_details(report: Report) -> None:
    totals = report.totals()
    print(
        f'\nauto_rate_clear {report.auto_rate_clear}   review_first_rate {report.review_first_rate}   '
        f'auto_wrong {totals["auto_wrong"]}   refused_answerable {totals["refused_answerable"]}   '
        f'errors {totals["error"]}   refusal code mismatches {sum(r.code_mismatch for r in report.results)}'
    )
    for title, category in (
        ('AUTO-WRONG (imported without asking, and wrong)', 'auto_wrong'),
        ('ERRORS (an exception other than Refusal)', 'error'),
        ('REVIEW MISSING (the right pair is not among the choices)', 'review_missing'),
        ('REFUSED ANSWERABLE (refused although a pair is right)', 'refused_answerable'),
    ):
        cases = report.of(category)
        if not cases:
            continue
        print(f'\n{title}: {len(cases)}')
        for r in cases:
            print(f'  {r.corpus}/{r.file} [{r.kind}]: got {r.got.describe()}; expected {r.expect.describe()}')
    mismatches = [r for r in report.results if r.code_mismatch]
    if mismatches:
        print(f"\nrefused rightly, another code than the label's: {len(mismatches)}")
        for r in mismatches:
            print(f'  {r.corpus}/{r.file} [{r.kind}]: got {r.got.describe()}; expected {r.expect.describe()}')
    if report.skipped:
        print(f'\nskipped: {len(report.skipped)}')
        for corpus, file, why in report.skipped:
            print(f'  {corpus}/{file}: {why}')


if __name__ == '__main__':
    sys.exit(main())
