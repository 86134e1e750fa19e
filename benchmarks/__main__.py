"""Speed and memory benchmarks, run by `make bench`; they print numbers and never assert on time.

Targets (issue 9): inspect + validate + normalize of a 10 MB export in at most 2x a bare csv.reader
pass over the same bytes, decoded the same way, as a plain script reads them
(`open(path, encoding=..., newline='')`); peak memory at most 4x the file size; each handler's
first invocation in a fresh interpreter at most 1.5x a minimal handler's (benchmarks/cold_start.py).
"""

from __future__ import annotations

import csv
import os
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from benchmarks import cold_start
from benchmarks import large as large_export
from benchmarks.generate import cp1252_export, export
from loyalty_import import inspection as inspection_module
from loyalty_import.inspection import MAX_FILE_BYTES, inspect_csv, validation

# Best of 15 interleaved runs: on a shared machine best-of-9 still let one lucky baseline run move
# the ratio by about 0.1.
RUNS = 15
TARGET_SPEED = 2.0
TARGET_MEMORY = 4.0


@dataclass
class Figures:
    title: str
    size: int
    rows: int
    baseline: tuple[float, float]  # best wall, best CPU seconds
    ours: tuple[float, float]
    peak: int  # bytes allocated at the peak of the call, the input not counted
    passes: int


def best_of_interleaved(
    runs: int, actions: dict[str, Callable[[], object]]
) -> dict[str, tuple[float, float]]:
    """Best wall and CPU seconds of each action, runs interleaved so that both see the same machine load."""
    best = {name: (float('inf'), float('inf')) for name in actions}
    for _ in range(runs):
        for name, action in actions.items():
            wall, cpu = time.perf_counter(), time.process_time()
            action()
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            best[name] = (min(best[name][0], wall), min(best[name][1], cpu))
    return best


def bare_reader_pass(path: Path, encoding: str, delimiter: str) -> None:
    """The baseline, as a plain script reads a CSV: open() decoding `encoding`, csv.reader, nothing else."""
    with path.open(encoding=encoding, newline='') as f:
        for _row in csv.reader(f, delimiter=delimiter):
            pass


def product_pass(path: Path) -> None:
    """The product from the same file: read its bytes (S3 hands the Lambda bytes), then inspect."""
    inspect_csv(path.read_bytes())


def peak_memory(data: bytes) -> int:
    tracemalloc.start()
    try:
        inspect_csv(data)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def validation_passes(data: bytes) -> int:
    """How many times the call ran the validation pass over the rows (once is the design)."""
    calls = []
    run_pass = validation.run_pass

    def counted(*args: object, **kwargs: object) -> object:
        calls.append(1)
        return run_pass(*args, **kwargs)  # type: ignore[arg-type]

    setattr(inspection_module, 'run_pass', counted)  # noqa: B010 - the name the call looks up
    try:
        inspect_csv(data)
    finally:
        setattr(inspection_module, 'run_pass', run_pass)  # noqa: B010
    return len(calls)


def scenario(title: str, path: Path, encoding: str, delimiter: str) -> Figures:
    data = path.read_bytes()
    inspection = inspect_csv(data)
    # CPU time too: on a shared machine other processes inflate wall-clock times unevenly.
    best = best_of_interleaved(
        RUNS,
        {'bare': lambda: bare_reader_pass(path, encoding, delimiter), 'ours': lambda: product_pass(path)},
    )
    figures = Figures(
        title=title,
        size=len(data),
        rows=inspection.rows,
        baseline=best['bare'],
        ours=best['ours'],
        peak=peak_memory(data),
        passes=validation_passes(data),
    )
    normalized = inspection.normalized
    upload = 'unchanged' if normalized.unchanged else 'rewritten'
    columns = len(inspection.columns)
    print(f'\n{title}')
    print(f'  file                {len(data) / 1e6:8.2f} MB, {inspection.rows:,} rows, {columns} columns')
    print(f'  mapping             EMAIL={inspection.mapping.email} POINTS={inspection.mapping.points}')
    baseline = f'(baseline: {encoding} {delimiter!r})'
    print(f'  decoded as          {inspection.encoding} {inspection.delimiter!r} {baseline}')
    print(f'  upload              {upload}, {len(normalized.content) / 1e6:.2f} MB')
    print(f'  dropped columns     {normalized.dropped_columns}')
    print(f'  validation passes   {figures.passes}')
    return figures


def table(results: list[Figures]) -> None:
    targets = f'targets <= {TARGET_SPEED:.0f}x time, <= {TARGET_MEMORY:.0f}x memory'
    print(f'\nInspect + validate + normalize vs bare csv.reader (best of {RUNS} interleaved; {targets})')
    head = (
        f'{"product":>10}{"baseline":>10}{"wall":>7}{"CPU":>7}{"peak memory":>14}{"x size":>8}{"+input":>8}'
    )
    print(f'  {"scenario":<44}{head}')
    for r in results:
        (bw, bc), (ow, oc) = r.baseline, r.ours
        print(
            f'  {r.title[:44]:<44}{ow * 1000:7.0f} ms{bw * 1000:7.0f} ms{ow / bw:6.2f}x{oc / bc:6.2f}x'
            f'{r.peak / 1e6:11.1f} MB{r.peak / r.size:7.2f}x{(r.peak + r.size) / r.size:7.2f}x'
        )
    print('  (product/baseline: milliseconds of wall time; wall and CPU ratios; peak memory traced during')
    print('   the call, as a multiple of the file size, without and with the input bytes themselves)')


def main() -> None:
    target = MAX_FILE_BYTES - 64 * 1024
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        clean = Path(tmp) / 'export.csv'
        clean.write_bytes(export(target).encode('utf-8'))
        legacy = Path(tmp) / 'export_cp1252_semicolon.csv'
        legacy.write_bytes(cp1252_export(int(target * 0.9)))
        # The same export at Wix's limit: its UTF-8 rewrite (3 bytes for each euro sign or curly
        # quote) outgrows it, so the upload is cut to EMAIL and POINTS, which the pass writes beside
        # the rewrite (it was a second validation pass over the file).
        large = Path(tmp) / 'export_cp1252_semicolon_10mb.csv'
        large.write_bytes(cp1252_export(target))
        results = [
            scenario('1. UTF-8 comma export (uploaded as is)', clean, 'utf-8', ','),
            scenario('2. cp1252 ; export, € ’ „…“ (rewritten)', legacy, 'cp1252', ';'),  # noqa: RUF001
            scenario('3. same at 10 MB (rewrite too large: cut)', large, 'cp1252', ';'),
        ]
    table(results)
    cold_start.main()
    # Issue 14: a 1.2-million-row export streamed into parts; BENCH_LARGE_ROWS makes it smaller.
    print('\nA large export inspected as a stream and split into parts (traced: slower than untraced)')
    large_export.report(int(os.environ.get('BENCH_LARGE_ROWS', large_export.ROWS)))
    print(f'\nload average while measuring: {load:.2f} -> {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs')
    print(f'Reproduce: make bench   (or: {Path(sys.executable).name} -m benchmarks from the repository root)')


if __name__ == '__main__':
    main()
