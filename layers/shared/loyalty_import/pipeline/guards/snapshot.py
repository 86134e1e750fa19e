"""Before execute: read the Wix balance of every email in the file, keep them as an undo file, and
refuse a file whose balances move the way a wrong column does.

Called by `execution.execute_checked`, so the importer and the state machine's Execute step both
take it. Neither has to hold the normalized file: the importer keeps its email/points pairs under the
results prefix when it creates the Wix import (`<path>.<importId>.upload.csv`, the record's
`uploadFile`), and the snapshot reads them back from there.

Cost: one Search Accounts call per 100 distinct emails (10,000 rows: 100 calls, ~30 s at Wix's 200
requests a minute), one S3 read and one S3 write. A file of 250,000 emails is 2,500 calls, ~14 min
at the site's budget (WixCallsPerMinute, 180): longer than one invocation. So the snapshot reads
batches while the invocation has time (`SNAPSHOT_MARGIN_S` left) and the budget gives tokens; when
either runs out it saves its progress (`<path>.<importId>.snapshot-progress.json` beside the undo
file: the balances found so far and the next batch) and reports "not finished"; the next Execute
(the state machine comes back while the import is PARSED) resumes from there. Only a complete
snapshot writes the undo file and runs the balance-shift check, over all the balances, exactly as a
one-shot snapshot does.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from loyalty_import.pipeline import transitions
from loyalty_import.pipeline.codes import ErrorCode
from loyalty_import.pipeline.errors import SourceNotFound
from loyalty_import.pipeline.guards import balances, undo
from loyalty_import.pipeline.models import BalanceShift, ImportRecord, SnapshotProgress, SnapshotSummary
from loyalty_import.pipeline.observability import logger
from loyalty_import.pipeline.ports import Storage, WixImports
from loyalty_import.pipeline.results import results_key
from loyalty_import.pipeline.settings import SnapshotVariables
from loyalty_import.pipeline.transitions import Change
from loyalty_import.wix.errors import WixError, WixRateLimited
from loyalty_import.wix.models import MAX_PAGE_LIMIT

# Emails per Search Accounts call: one page answers one batch.
SEARCH_BATCH = MAX_PAGE_LIMIT
# Seconds of the invocation a snapshot leaves unread: the last batch's budget wait (at most 10 s) and
# call, then the progress or the undo file, the execute and the record.
SNAPSHOT_MARGIN_S = 30.0
# A run saves its progress every this many batches too, so an invocation killed mid-way (a timeout)
# costs at most these calls again.
SAVE_EVERY_BATCHES = 50
PROGRESS_SUFFIX = 'snapshot-progress.json'
PROGRESS_CONTENT_TYPE = 'application/json'
# The progress of 250,000 emails is ~10 MB of JSON.
MAX_PROGRESS_BYTES = 64 * 1024 * 1024
RemainingS = Callable[[], float | None]


@dataclass(frozen=True)
class BeforeExecute:
    """What the snapshot adds to the record, and the change that ends the import instead of executing."""

    changes: list[Change] = field(default_factory=list)
    ending: Change | None = None
    # False: the balances are not all read yet (time or budget ran out); progress saved, not executed.
    finished: bool = True


def keep_upload(
    record: ImportRecord,
    import_id: str,
    pairs: Sequence[balances.Pair],
    *,
    storage: Storage,
    settings: SnapshotVariables,
) -> Change:
    """Write the uploaded pairs under the results prefix; the change that records where."""
    key = results_key(settings, record, f'{import_id}.upload.csv')
    uri = storage.write(record.bucket, key, balances.to_csv(pairs), content_type=balances.CSV_CONTENT_TYPE)
    return transitions.upload_kept(uri)


def read_pairs(storage: Storage, uri: str) -> list[balances.Pair]:
    bucket, key = balances.parse_s3_uri(uri)
    stored = storage.read(bucket, key, None, max_bytes=balances.MAX_RESULT_FILE_BYTES)
    return balances.read_csv(stored.content)


def lookup_balances(wix: WixImports, emails: Sequence[str]) -> tuple[dict[str, int], int]:
    """The current balance of each email that has an account, and the Wix calls it took."""
    distinct = list(dict.fromkeys(emails))
    found: dict[str, int] = {}
    calls = 0
    for start in range(0, len(distinct), SEARCH_BATCH):
        calls += 1
        for account in wix.find_accounts(distinct[start : start + SEARCH_BATCH]):
            found[account.email] = account.balance
    return found, calls


def take_snapshot(
    record: ImportRecord,
    *,
    settings: SnapshotVariables,
    storage: Storage,
    wix: Callable[[], WixImports],
    remaining_s: RemainingS = lambda: None,
    on_progress_kept: Callable[[str], None] = lambda _uri: None,
) -> BeforeExecute:
    """The snapshot's changes, and the ending when it fails (SNAPSHOT_FAILED) or the shift is suspicious;
    `finished=False` when this invocation read only part of the balances (the next one resumes)."""
    if not settings.snapshot_before_import or record.snapshot is not None:
        return BeforeExecute()  # off, or taken by an earlier attempt (which found nothing suspicious)
    if record.upload_file is None or record.wix_import_id is None:
        # Only an import created before the snapshot existed lacks the pairs: execute as it was planned.
        logger.warning('no uploaded pairs recorded; executing without a snapshot')
        return BeforeExecute()
    pairs = read_pairs(storage, record.upload_file)
    distinct = list(dict.fromkeys(email for email, _ in pairs))
    progress_key = results_key(settings, record, f'{record.wix_import_id}.{PROGRESS_SUFFIX}')
    progress = _resumed(storage, record, emails=len(distinct))
    marked = [record.snapshot_progress is not None]

    def save(current: SnapshotProgress) -> None:
        uri = storage.write(
            record.bucket,
            progress_key,
            current.model_dump_json().encode(),
            content_type=PROGRESS_CONTENT_TYPE,
        )
        if not marked[0]:  # the record names the progress once it exists, for the next invocation
            on_progress_kept(uri)
            marked[0] = True

    try:
        progress = read_batches(wix(), distinct, progress, remaining_s=remaining_s, save=save)
    except WixError as exc:
        logger.warning('the balance snapshot failed; not executing', error=str(exc))
        message = (
            'The balances before the import could not be read from Wix, so nothing was executed '
            f'(SnapshotBeforeImport): {exc.message}'
        )
        return BeforeExecute(ending=transitions.failed(ErrorCode.SNAPSHOT_FAILED, message))
    if progress.next_batch < batch_count(len(distinct)):
        save(progress)
        logger.info(
            'balance snapshot not finished; progress saved',
            batches_done=progress.next_batch,
            batches=batch_count(len(distinct)),
        )
        return BeforeExecute(finished=False)
    return _complete(record, pairs, progress, settings=settings, storage=storage)


def batch_count(emails: int) -> int:
    return math.ceil(emails / SEARCH_BATCH)


def _resumed(storage: Storage, record: ImportRecord, *, emails: int) -> SnapshotProgress:
    """The progress an earlier invocation saved for this import (the record names it), or a fresh one."""
    fresh = SnapshotProgress(import_id=record.wix_import_id or '', emails=emails, next_batch=0, wix_calls=0)
    if record.snapshot_progress is None:
        return fresh
    bucket, key = balances.parse_s3_uri(record.snapshot_progress)
    try:
        stored = storage.read(bucket, key, None, max_bytes=MAX_PROGRESS_BYTES)
    except SourceNotFound:
        return fresh
    saved = SnapshotProgress.model_validate_json(stored.content)
    if saved.import_id != fresh.import_id or saved.emails != emails:
        logger.warning('a saved snapshot progress of other pairs; starting over')
        return fresh
    logger.info('resuming the balance snapshot', batches_done=saved.next_batch, batches=batch_count(emails))
    return saved


def read_batches(
    wix: WixImports,
    distinct: Sequence[str],
    progress: SnapshotProgress,
    *,
    remaining_s: RemainingS,
    save: Callable[[SnapshotProgress], None],
) -> SnapshotProgress:
    """Look up the batches from `progress.next_batch` while the invocation has time and the site's
    budget gives tokens (an empty budget or a 429 past the client's retries stops the run, it does
    not fail it); the progress reached. Other Wix errors raise (SNAPSHOT_FAILED)."""
    found = dict(progress.found)
    index = progress.next_batch
    calls = progress.wix_calls
    while index < batch_count(len(distinct)):
        left = remaining_s()
        if left is not None and left < SNAPSHOT_MARGIN_S:
            break
        batch = distinct[index * SEARCH_BATCH : (index + 1) * SEARCH_BATCH]
        try:
            accounts = wix.find_accounts(batch)
        except WixRateLimited as exc:  # the budget (WixBudgetExhausted) or Wix's own 429s
            logger.info('the Wix budget ran out mid-snapshot; pausing', error=str(exc))
            break
        found.update((account.email, account.balance) for account in accounts)
        index += 1
        calls += 1
        if (index - progress.next_batch) % SAVE_EVERY_BATCHES == 0:
            save(progress.model_copy(update={'next_batch': index, 'wix_calls': calls, 'found': dict(found)}))
    return progress.model_copy(update={'next_batch': index, 'wix_calls': calls, 'found': found})


def _complete(
    record: ImportRecord,
    pairs: Sequence[balances.Pair],
    progress: SnapshotProgress,
    *,
    settings: SnapshotVariables,
    storage: Storage,
) -> BeforeExecute:
    """Every balance read: the undo file, the summary and the balance-shift check (over all of them)."""
    before, calls = progress.found, progress.wix_calls
    undo_content = balances.to_csv(balances.undo_pairs(pairs, before))
    key = results_key(settings, record, f'{record.wix_import_id}.undo.csv')
    # Named after this import in its metadata: dropped (copied) under the incoming prefix, it undoes it.
    undo_file = storage.write(
        record.bucket,
        key,
        undo_content,
        content_type=balances.CSV_CONTENT_TYPE,
        metadata=undo.metadata_for(record),
    )
    emails = len({email for email, _ in pairs})
    summary = SnapshotSummary(
        emails_looked_up=emails,
        accounts_found=len(before),
        without_account=emails - len(before),
        wix_calls=calls,
    )
    shift = balances.balance_shift(pairs, before, _thresholds(settings))
    if record.undo_of is not None and shift.suspicious is not None:
        # An undo restores the balances of its original's snapshot: moving them a lot is its point.
        logger.info('an undo: its balance shift is not refused', would_refuse=shift.suspicious)
        shift = shift.model_copy(update={'suspicious': None})
    logger.info(
        'balances read before execute',
        accounts_found=summary.accounts_found,
        without_account=summary.without_account,
        wix_calls=calls,
        suspicious=shift.suspicious is not None,
    )
    taken = transitions.snapshot_taken(
        summary, undo_file=undo_file, undo_sha256=hashlib.sha256(undo_content).hexdigest(), shift=shift
    )
    if shift.suspicious is None:
        return BeforeExecute(changes=[taken])
    return BeforeExecute(
        changes=[taken], ending=transitions.failed(ErrorCode.BALANCE_SHIFT_SUSPICIOUS, _refusal(shift))
    )


def _thresholds(settings: SnapshotVariables) -> balances.ShiftThresholds:
    return balances.ShiftThresholds(
        drop_share_percent=settings.balance_shift_drop_share_percent,
        drop_percent=settings.balance_shift_drop_percent,
        jump_factor=settings.balance_shift_jump_factor,
        min_customers=settings.balance_shift_min_customers,
    )


def _refusal(shift: BalanceShift) -> str:
    examples = ', '.join(f'{e.email} {e.before} -> {e.after}' for e in shift.examples[:3])
    return (
        f'Not executed: {shift.suspicious}. {balances.shift_sentence(shift)} '
        f'For example: {examples}. A file of current balances does not move them like this.'
    )
