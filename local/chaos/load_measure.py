"""What `make load` measures per file: its Wix calls, its detection lag, its state transitions.

A Wix call belongs to a file when it names one of the file's Wix imports or the upload they were
created from (the emulator logs each call's `subject`), or, for Search Accounts (which names
emails, not an import), when the emails it asks for carry the file's tag. Calls that name neither
(Query Imports, OAuth tokens, a 429'd Search) stay unattributed: counted in `wix_requests`, not in
any file's calls.
"""

from __future__ import annotations

import json
import math
import threading
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any, cast

from chaos.hooks import WixLedger
from chaos.load_files import LoadFile, tag_of_email
from loyalty_import.pipeline.models import ImportRecord
from rehearsal.harness import Drop
from wix_emulator import ImportTiming, LoggedRequest, WixEmulator
from wix_emulator.store import Store


class SearchLedger:
    """Counts the Search Accounts calls each load file caused, by the tags of the emails asked for."""

    def __init__(self, stores: Iterable[Store]) -> None:
        self.by_tag: Counter[str] = Counter()
        self._lock = threading.Lock()
        for store in stores:
            self._wrap(store)

    def _wrap(self, store: Store) -> None:
        original = store.search_accounts

        def search_accounts(body: object) -> dict[str, Any]:
            tag = tag_of_email(json.dumps(body))
            if tag is not None:
                with self._lock:
                    self.by_tag[tag] += 1
            return original(body)

        store.search_accounts = search_accounts  # type: ignore[method-assign]


def site_ledger(store: Store) -> WixLedger:
    """The chaos WixLedger (executes per import) on one site's store."""
    return WixLedger(cast('WixEmulator', SimpleNamespace(store=store)))


@dataclass
class FileOutcome:
    file: LoadFile
    drop: Drop
    record: ImportRecord | None
    notifications: int
    wix_imports: list[ImportTiming]
    executes: int  # the most executes that took effect on one of its Wix imports
    calls: int  # Wix requests attributable to it (see the module docstring)
    transitions: int | None  # Step Functions states entered by its execution
    sites_called: set[str] = field(default_factory=set)

    @property
    def outcome(self) -> str:
        if self.record is None:
            return 'NO RECORD'
        error = f' {self.record.error.code}' if self.record.error else ''
        return self.record.status.value + error

    @property
    def final_at(self) -> float | None:
        """When the record took its final status (its last status change), epoch seconds."""
        record = self.record
        if record is None or not record.is_final or not record.status_history:
            return None
        return record.status_history[-1].at.timestamp()

    @property
    def wix_finished_at(self) -> float | None:
        """When Wix finished the file's last import (None: some import never finished)."""
        times = [t.finished_at for t in self.wix_imports]
        if not times or any(at is None for at in times):
            return None
        return max(at for at in times if at is not None)

    @property
    def wix_duration_s(self) -> float | None:
        finished = self.wix_finished_at
        if finished is None:
            return None
        return finished - min(t.created_at for t in self.wix_imports)

    @property
    def lag_s(self) -> float | None:
        """Record final minus Wix finished: how long the product took to notice."""
        final, finished = self.final_at, self.wix_finished_at
        if final is None or finished is None:
            return None
        return max(0.0, final - finished)

    @property
    def lag_target_s(self) -> float | None:
        """Issue 14's target for this file: max(5 s, 10 % of Wix's own time)."""
        duration = self.wix_duration_s
        return None if duration is None else max(5.0, 0.1 * duration)


def wix_imports_of(timings: Iterable[ImportTiming], file: LoadFile) -> list[ImportTiming]:
    """The Wix imports of a load file: the importer names each `<stem>.<version tag>...csv`."""
    stem = f'load-{file.index:03d}.'
    return [t for t in timings if t.file_name.startswith(stem)]


def attributable_calls(
    requests: Iterable[LoggedRequest], subjects: dict[str, str]
) -> tuple[Counter[str], dict[str, set[str]]]:
    """Requests per file tag (by the subject each names), and the sites each file's calls went to."""
    calls: Counter[str] = Counter()
    sites: dict[str, set[str]] = {}
    for request in requests:
        tag = subjects.get(request.subject or '')
        if tag is None:
            continue
        calls[tag] += 1
        if request.site:
            sites.setdefault(tag, set()).add(request.site)
    return calls, sites


def subjects_by_file(emulator: WixEmulator, imports: dict[str, list[ImportTiming]]) -> dict[str, str]:
    """Import ids and their upload ids -> the tag of the file they belong to."""
    subjects: dict[str, str] = {}
    for tag, timings in imports.items():
        for timing in timings:
            subjects[timing.import_id] = tag
            upload = emulator.site_store(timing.site).upload_of(timing.import_id)
            if upload:
                subjects[upload] = tag
    return subjects


def states_entered(sfn: Any, execution_arn: str) -> int:
    """Step Functions state transitions of one execution: the states it entered (what AWS bills)."""
    entered, token = 0, None
    while True:
        page = sfn.get_execution_history(
            executionArn=execution_arn, maxResults=1000, **({'nextToken': token} if token else {})
        )
        entered += sum(1 for event in page['events'] if str(event['type']).endswith('StateEntered'))
        token = page.get('nextToken')
        if not token:
            return entered


def percentile(values: Iterable[float], share: float) -> float | None:
    """The nearest-rank percentile (share 0.95: the 95th); None for no values."""
    ordered = sorted(values)
    if not ordered:
        return None
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def median(values: Iterable[float]) -> float | None:
    ordered = sorted(values)
    if not ordered:
        return None
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def rounded(value: float | None, digits: int = 2) -> float | None:
    return None if value is None else round(value, digits)
