"""After IMPORTED: read back the balances of a sample of the imported rows and compare them with the file.

The rows Wix reports as imported are the file's pairs (the record's `uploadFile`) less the emails
its error file names. All of them are checked for a small file; otherwise a sample seeded by the
import id (the same rows on a retry) of `VERIFY_SAMPLE_SIZE`, plus the first and last rows.

Wix's account search is eventually consistent, so the rows that differ are read again, with a
doubling pause, for up to `VERIFY_RETRY_SECONDS` (the injectable clock's time) before they count
as mismatches. When every mismatch equals the balance before (the undo file) plus the file's value,
Wix added the points instead of setting them, and the verification says so. An undo's file is
the balances of its original's snapshot, so the same check tells whether they are back
(`restores`).

Cost: one Search Accounts call per 100 sampled rows per read (the default 202 rows: 3 calls, plus
about 3 calls per retry round while something still differs), and one S3 read of each file.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from loyalty_import.masking import mask_email
from loyalty_import.pipeline.clock import Clock
from loyalty_import.pipeline.guards import balances, undo
from loyalty_import.pipeline.guards.snapshot import lookup_balances, read_pairs
from loyalty_import.pipeline.models import BalanceExample, ImportRecord, Verification
from loyalty_import.pipeline.observability import Metric, MetricUnit, logger, metrics
from loyalty_import.pipeline.ports import Storage, WixImports
from loyalty_import.wix.errors import WixError

ADDED_NOT_SET = "Wix added the file's points to the existing balances instead of setting them"
FIRST_PAUSE_S = 2.0
MAX_PAUSE_S = 15.0


@dataclass(frozen=True)
class VerifyDeps:
    storage: Storage
    wix: Callable[[], WixImports]
    clock: Clock
    sample_size: int
    retry_s: float


def sample_rows(pairs: Sequence[balances.Pair], size: int, seed: str) -> list[balances.Pair]:
    """All rows when there are at most `size`; else `size` seeded at random plus the first and last."""
    if len(pairs) <= size + 2:
        return list(pairs)
    chosen = set(random.Random(seed).sample(range(1, len(pairs) - 1), size))  # noqa: S311 - a sample, not a secret
    chosen.update({0, len(pairs) - 1})
    return [pairs[index] for index in sorted(chosen)]


def verify_import(record: ImportRecord, error_file: str | None, deps: VerifyDeps) -> Verification | None:
    """The read-back of an IMPORTED import (None without the uploaded pairs to compare with)."""
    if record.upload_file is None:
        return None
    failed = _failed_emails(deps.storage, error_file)
    imported = dict(pair for pair in read_pairs(deps.storage, record.upload_file) if pair[0] not in failed)
    expected = dict(sample_rows(list(imported.items()), deps.sample_size, record.wix_import_id or record.pk))
    actual: dict[str, int] = {}
    pending = set(expected)
    calls, incomplete = _read_until_settled(expected, actual, pending, deps)
    before = dict(read_pairs(deps.storage, record.undo_file)) if record.undo_file else {}
    verification = _summary(expected, actual, sorted(pending), before, calls=calls, incomplete=incomplete)
    if record.undo_of is not None:
        # An undo's file is its original's snapshot: matching it means the balances are back.
        verification = verification.model_copy(update={'restores': undo.restores(record.undo_of)})
    metrics.add_metric(name=Metric.BALANCE_MISMATCHES, unit=MetricUnit.Count, value=verification.mismatched)
    logger.info(
        'balances verified',
        checked=verification.checked,
        mismatched=verification.mismatched,
        wix_calls=calls,
        diagnosis=verification.diagnosis,
        incomplete=incomplete is not None,
    )
    return verification


def _failed_emails(storage: Storage, error_file: str | None) -> set[str]:
    if not error_file:
        return set()
    bucket, key = balances.parse_s3_uri(error_file)
    content = storage.read(bucket, key, None, max_bytes=balances.MAX_RESULT_FILE_BYTES).content
    return balances.failed_emails(content)


def _read_until_settled(
    expected: dict[str, int], actual: dict[str, int], pending: set[str], deps: VerifyDeps
) -> tuple[int, str | None]:
    """Read the pending rows until none differs or the retry window closes (`pending` shrinks)."""
    clock = deps.clock
    give_up_at = clock.monotonic() + deps.retry_s
    pause = FIRST_PAUSE_S
    calls = 0
    while pending:
        try:
            found, used = lookup_balances(deps.wix(), sorted(pending))
        except WixError as exc:
            logger.warning('the balance verification could not read Wix', error=str(exc))
            return calls, f'Wix did not answer the account search: {exc.message}'
        calls += used
        actual.update(found)
        pending.difference_update({email for email in pending if actual.get(email) == expected[email]})
        left = give_up_at - clock.monotonic()
        if not pending or left <= 0:
            break
        clock.sleep(min(pause, left))
        pause = min(pause * 2, MAX_PAUSE_S)
    return calls, None


def _summary(
    expected: dict[str, int],
    actual: dict[str, int],
    mismatched: list[str],
    before: dict[str, int],
    *,
    calls: int,
    incomplete: str | None,
) -> Verification:
    read = len(expected) if calls else 0
    added = bool(mismatched) and all(
        email in before and actual.get(email) == before[email] + expected[email] for email in mismatched
    )
    examples = [
        BalanceExample(
            email=mask_email(email),
            before=before.get(email),
            after=expected[email],
            actual=actual.get(email),
        )
        for email in mismatched[: balances.MAX_EXAMPLES]
    ]
    return Verification(
        checked=read,
        matched=read - len(mismatched) if read else 0,
        mismatched=len(mismatched) if read else 0,
        examples=examples if read else [],
        wix_calls=calls,
        diagnosis=ADDED_NOT_SET if added and read else None,
        incomplete=incomplete,
    )
