"""The importer's peak memory on a large export (issue 14): inspected as a stream, written as parts.

`make bench` runs `report()` on a generated 1.2-million-row export (`benchmarks.generate`); the
figure is tracemalloc's peak of the whole call (the source is read 1 MB at a time from disk, as
the importer reads S3, and every part goes to a temporary directory, as the importer's go to S3).
"""

from __future__ import annotations

import resource
import tempfile
import time
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

from benchmarks.generate import write_large_export
from loyalty_import.inspection.large import LargeInspection, inspect_large
from loyalty_import.inspection.parts import Part

ROWS = 1_200_000
READ_BYTES = 1024 * 1024


def _chunks(path: Path) -> Iterator[bytes]:
    with path.open('rb') as source:
        while chunk := source.read(READ_BYTES):
            yield chunk


def measure(path: Path, parts_dir: Path) -> tuple[LargeInspection, int, float]:
    """The inspection, tracemalloc's peak in bytes, and the seconds it took (traced: slower)."""

    def store(part: Part) -> None:
        (parts_dir / f'part-{part.first_row:09d}.csv').write_bytes(part.content)

    tracemalloc.start()
    started = time.perf_counter()
    try:
        large = inspect_large(_chunks(path), sink=store)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return large, peak, time.perf_counter() - started


def report(rows: int = ROWS, path: Path | None = None) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as work:
        source = path or Path(work) / 'large-export.csv'
        if path is None:
            write_large_export(source, rows)
        size = source.stat().st_size
        parts_dir = Path(work) / 'parts'
        parts_dir.mkdir()
        large, peak, seconds = measure(source, parts_dir)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    figures: dict[str, object] = {
        'file_bytes': size,
        'rows': large.rows,
        'parts': len(large.parts),
        'part_rows': large.parts,
        'largest_part_bytes': max(large.part_bytes),
        'peak_traced_bytes': peak,
        'peak_share_of_file': round(peak / size, 3),
        'ru_maxrss_bytes': rss,
        'seconds_traced': round(seconds, 1),
        'decision': str(large.decision),
    }
    print(
        f'large export: {size / 1e6:,.1f} MB, {large.rows:,} rows -> {len(large.parts)} parts '
        f'(largest {max(large.part_bytes) / 1e6:.2f} MB); importer peak {peak / 1e6:.1f} MB traced '
        f'({peak / size:.1%} of the file), ru_maxrss {rss / 1e6:.0f} MB; '
        f'{seconds:.0f} s traced; decision {large.decision}'
    )
    return figures


if __name__ == '__main__':
    import sys

    print(report(path=Path(sys.argv[1]) if len(sys.argv) > 1 else None))
