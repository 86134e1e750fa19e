"""`make chaos`: the fault matrix on the local rehearsal; a table, then one JSON line; exit 1 on a violation.

python -m chaos [--quick] [--only SUBSTRING] [--budget-s SECONDS]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import warnings

from chaos.runner import ScenarioResult, run_all, summary
from chaos.scenarios import STACKS, all_scenarios, quick_scenarios
from chaos.stack import quiet_logs

HEADER = (
    f'{"#":>3} {"stack":<5} {"target":<30} {"fault":<26} {"end":<9} {"ntf":>3} {"imp":>3} {"exe":>3} '
    f'{"wix":>4} {"flt":>3} {"λ":>3} {"λ!":>3} {"secs":>5}  verdict'
)


def row(index: int, result: ScenarioResult) -> str:
    scenario = result.scenario
    ends = ','.join(sorted({file.status or 'NONE' for file in result.files}))
    notifications = '/'.join(str(file.notifications) for file in result.files)
    imports = '/'.join(str(file.wix_imports) for file in result.files)
    executes = '/'.join(str(file.executes) for file in result.files)
    verdict = 'ok' if result.ok else 'VIOLATION: ' + '; '.join(result.violations)
    return (
        f'{index:>3} {scenario.stack:<5} {scenario.target[:30]:<30} {scenario.fault[:26]:<26} {ends[:9]:<9} '
        f'{notifications:>3} {imports:>3} {executes:>3} {result.wix_requests:>4} '
        f'{result.faulted_requests:>3} {result.invocations:>3} {result.failed_invocations:>3} '
        f'{result.elapsed_s:>5.1f}  {verdict}'
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog='python -m chaos', description=__doc__.split('\n\n')[0])
    parser.add_argument('--quick', action='store_true', help='a handful of representative scenarios')
    parser.add_argument('--only', help='run the scenarios whose id contains this text')
    parser.add_argument(
        '--budget-s',
        type=float,
        default=None,
        help='stop starting scenarios after this many seconds (default: run them all, however long)',
    )
    args = parser.parse_args(argv)
    scenarios = quick_scenarios() if args.quick else all_scenarios()
    if args.only:
        scenarios = [scenario for scenario in scenarios if args.only in scenario.id]
    # The handlers' own logs go to moto's CloudWatch; keep library chatter off the table.
    quiet_logs()
    warnings.simplefilter('ignore')
    print(f'chaos: {len(scenarios)} scenarios on the local rehearsal')
    for options in STACKS.values():
        print(f'  stack {options.label}')
    print('  ntf = notifications, imp = Wix imports, exe = executes that took effect, wix = Wix requests,')
    print('  flt = of which faulted, λ = Lambda invocations, λ! = of which failed (injected or retried)')
    print(HEADER)
    started = time.monotonic()
    counter = iter(range(1, len(scenarios) + 1))

    def on_result(result: ScenarioResult) -> None:
        print(row(next(counter), result), flush=True)

    results, skipped = run_all(scenarios, budget_s=args.budget_s, on_result=on_result)
    for scenario in skipped:
        print(f'  not run (time budget): {scenario.id}')
    totals = summary(results, skipped, time.monotonic() - started)
    bad = [result for result in results if not result.ok]
    print(f'{len(results) - len(bad)}/{len(results)} scenarios kept every promise in {totals["elapsed_s"]} s')
    for result in bad:
        print(f'  {result.scenario.id}: {"; ".join(result.violations)}')
    print(json.dumps(totals))
    return 1 if totals['violations'] else 0


if __name__ == '__main__':
    sys.exit(main())
