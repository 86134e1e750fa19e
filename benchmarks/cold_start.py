"""Cold start: importing each Lambda handler module in a fresh interpreter, against `import boto3`.

The bar (issue 4) is at most 2x `import boto3` per handler: heavy modules (the X-Ray SDK, the
Powertools parser models, httpx, the CSV inspection) must load on first use, not at import.
Each figure is the best of several fresh interpreters, since this machine is shared and noisy.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

FUNCTIONS = Path(__file__).resolve().parent.parent / 'functions'
RUNS = 7
TARGET = 2.0
# As the Lambda runtime does it: the function's folder first on sys.path, then `import app`
# (the layers are on the path already: installed editable into .venv).
_PROBE = (
    'import sys, time; sys.path.insert(0, {folder!r}); '
    't = time.perf_counter(); import {module}; print(time.perf_counter() - t)'
)


def best_import_s(module: str, folder: str = '') -> float:
    runs = []
    for _ in range(RUNS):
        probe = [sys.executable, '-c', _PROBE.format(folder=folder, module=module)]
        completed = subprocess.run(probe, capture_output=True, text=True, check=True)  # noqa: S603 - our own probe
        runs.append(float(completed.stdout))
    return min(runs)


def main() -> None:
    baseline = best_import_s('boto3')
    print(f'\nCold start (import in a fresh interpreter, best of {RUNS})')
    print(f'  import boto3                  {baseline * 1000:7.1f} ms')
    for folder in sorted(path for path in FUNCTIONS.iterdir() if (path / 'app.py').is_file()):
        seconds = best_import_s('app', str(folder))
        ratio = seconds / baseline
        name = f'functions/{folder.name}/app.py'
        print(f'  {name:<30}{seconds * 1000:7.1f} ms  {ratio:4.2f} x boto3  (target <= {TARGET:.1f} x)')
