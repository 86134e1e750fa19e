"""When to read a Wix import next: at its expected end, from its size and its site's learned pace.

A blind doubling backoff (5 s, 10 s, 20 s ...) costs about six reads an import and notices an end
up to as long again later. Wix parses a file in a time that grows with its bytes and imports at a
rate (rows per second) that differs from site to site, so each site's pace is learned from its
earlier imports, measured on Wix's own clock (`createdDate` to the PARSED `updatedDate`, the
execute's `updatedDate` to the IMPORTED one), and stored (`PaceStore`, one item per site).

The schedule: the first read at the expected end (at half of it while a site has too few samples
to trust); once that has passed, a read every `DENSE_SHARE` of max(5 s, 10 % of the duration so
far), so an end is noticed within max(5 s, 10 % of the import's own time), the lag this promises.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from statistics import median
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from loyalty_import.pipeline.models import PollSchedule

# The newest samples a site keeps per phase: enough for a fit, few enough that a site whose Wix
# pace changes is learned again within a day's imports.
KEEP_SAMPLES = 20
# Until a site has this many samples, its first read lands at half the expected time.
TRUSTED_SAMPLES = 2
# Noticing an end within max(LAG_FLOOR_S, LAG_SHARE x duration): read a bit more often than that.
LAG_FLOOR_S = 5.0
LAG_SHARE = 0.1
DENSE_SHARE = 0.8
# A fit needs sizes that differ: below this spread the site's times only rescale the prior.
FIT_SPREAD = 1.5

Phase = Literal['parse', 'import']


class Line(BaseModel):
    """seconds = base_s + per_unit_s x size (bytes for a parse, rows for an import)."""

    model_config = ConfigDict(frozen=True)
    base_s: float = Field(ge=0)
    per_unit_s: float = Field(ge=0)

    def seconds(self, size: float) -> float:
        return self.base_s + self.per_unit_s * size


# What a site without samples is assumed to do: 1 s + 0.2 s per MB to parse, 2 s + 200 rows/s to
# import. Only a site's first imports use it; the rest is learned.
PARSE_PRIOR = Line(base_s=1.0, per_unit_s=0.2 / 1_000_000)
IMPORT_PRIOR = Line(base_s=2.0, per_unit_s=1 / 200)


class Sample(BaseModel):
    model_config = ConfigDict(frozen=True)
    size: float = Field(ge=0)
    seconds: float = Field(ge=0)


class Pace(BaseModel):
    """A site's newest observed parses (bytes, s) and imports (rows, s), oldest first."""

    parse: list[Sample] = Field(default_factory=list)
    imports: list[Sample] = Field(default_factory=list)

    def learned(self, parse: Sample | None, imported: Sample | None) -> Pace:
        return Pace(
            parse=[*self.parse, *([parse] if parse else [])][-KEEP_SAMPLES:],
            imports=[*self.imports, *([imported] if imported else [])][-KEEP_SAMPLES:],
        )

    def expected_parse_s(self, size_bytes: int) -> float:
        return _fitted(self.parse, PARSE_PRIOR).seconds(size_bytes)

    def expected_import_s(self, rows: int) -> float:
        return _fitted(self.imports, IMPORT_PRIOR).seconds(rows)

    def trusted(self, phase: Phase) -> bool:
        return len(self.parse if phase == 'parse' else self.imports) >= TRUSTED_SAMPLES


def _fitted(samples: Sequence[Sample], prior: Line) -> Line:
    """Least squares over the samples when their sizes differ enough; else the prior rescaled by the
    median of observed / predicted (one sample, or files that are all alike)."""
    if not samples:
        return prior
    sizes = [sample.size for sample in samples]
    if len(samples) >= 3 and min(sizes) > 0 and max(sizes) / min(sizes) >= FIT_SPREAD:
        fit = _least_squares(samples)
        if fit is not None:
            return fit
    ratios = [sample.seconds / prior.seconds(sample.size) for sample in samples if prior.seconds(sample.size)]
    scale = median(ratios) if ratios else 1.0
    return Line(base_s=prior.base_s * scale, per_unit_s=prior.per_unit_s * scale)


def _least_squares(samples: Sequence[Sample]) -> Line | None:
    count = len(samples)
    mean_size = sum(s.size for s in samples) / count
    mean_s = sum(s.seconds for s in samples) / count
    spread = sum((s.size - mean_size) ** 2 for s in samples)
    if spread <= 0:
        return None
    slope = sum((s.size - mean_size) * (s.seconds - mean_s) for s in samples) / spread
    base = mean_s - slope * mean_size
    if slope <= 0 or base < 0:  # noise dominated: a negative start or rate is no pace
        return None
    return Line(base_s=base, per_unit_s=slope)


def next_read_in(
    *, now: float, phase_started: float, expected_s: float, trusted: bool = True, floor_s: float = LAG_FLOOR_S
) -> float:
    """Seconds until the next read of a phase that began at `phase_started` (epoch seconds)."""
    first_read = phase_started + (expected_s if trusted else expected_s / 2)
    if now < first_read:
        return first_read - now
    elapsed = now - phase_started
    return DENSE_SHARE * max(floor_s, LAG_SHARE * max(elapsed, expected_s))


def observed(started: datetime | None, ended: datetime | None, size: float | None) -> Sample | None:
    """A sample from Wix's own timestamps, or None when Wix did not give both (or they disagree)."""
    if started is None or ended is None or size is None or size <= 0:
        return None
    seconds = (ended - started).total_seconds()
    return Sample(size=size, seconds=seconds) if seconds > 0 else None


def parse_schedule(pace: Pace, *, size_bytes: int, started: float) -> PollSchedule:
    """The schedule of an import Wix is parsing since `started` (its create, epoch seconds)."""
    line = _fitted(pace.imports, IMPORT_PRIOR)
    return PollSchedule(
        phase='parse',
        phase_started=started,
        expected_s=round(pace.expected_parse_s(size_bytes), 3),
        trusted=pace.trusted('parse'),
        import_base_s=line.base_s,
        import_per_row_s=line.per_unit_s,
        import_trusted=pace.trusted('import'),
    )


def importing(schedule: PollSchedule, *, rows: int | None, started: float) -> PollSchedule:
    """The schedule once executed at `started`: the expected time of `rows` at the site's pace."""
    if schedule.phase == 'import':
        return schedule
    line = Line(base_s=schedule.import_base_s, per_unit_s=schedule.import_per_row_s)
    return schedule.model_copy(
        update={
            'phase': 'import',
            'phase_started': started,
            'expected_s': round(line.seconds(rows or 0), 3),
            'trusted': schedule.import_trusted,
        }
    )


def wait_s(schedule: PollSchedule, *, now: float, floor_s: float = LAG_FLOOR_S) -> float:
    return next_read_in(
        now=now,
        phase_started=schedule.phase_started,
        expected_s=schedule.expected_s,
        trusted=schedule.trusted,
        floor_s=floor_s,
    )


def learn(pace: Pace, wix_times: dict[str, datetime], *, size_bytes: int | None, rows: int | None) -> Pace:
    """The pace with an imported file's parse and import added (from Wix's own timestamps)."""
    parse = observed(wix_times.get('CREATED'), wix_times.get('PARSED'), size_bytes)
    imported = observed(wix_times.get('IMPORTING'), wix_times.get('IMPORTED'), rows)
    return pace.learned(parse, imported)
