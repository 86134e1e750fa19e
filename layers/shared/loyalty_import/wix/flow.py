"""The Wix import flow built from the client's calls: upload then create, and wait for a status."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Set
from typing import TYPE_CHECKING, Protocol

from loyalty_import.wix.errors import WaitTimedOut, WixUnavailable
from loyalty_import.wix.models import ImportStatus, LoyaltyImport, UploadUrl

if TYPE_CHECKING:  # the client (and httpx) is only needed to call these, not to import them
    from loyalty_import.wix.client import WixClient

__all__ = ['WaitTimedOut', 'upload_and_create', 'wait_for_status']

logger = logging.getLogger(__name__)

# Each round asks for a fresh upload URL: an upload URL's token may be single-use, so after an
# upload whose outcome is unknown the only safe retry is a new URL (an orphan upload costs nothing).
DEFAULT_UPLOAD_ROUNDS = 3


class UploadsAndCreates(Protocol):
    """What `upload_and_create` needs of a client (the pipeline passes its own narrower port)."""

    def create_upload_url(self) -> UploadUrl: ...

    def upload_file(self, upload_url: str, file_name: str, content: bytes) -> None: ...

    def create_import(self, file_url: str, file_name: str, file_size: int) -> LoyaltyImport: ...


def upload_and_create(
    client: UploadsAndCreates, file_name: str, content: bytes, *, upload_rounds: int = DEFAULT_UPLOAD_ROUNDS
) -> LoyaltyImport:
    """Upload the file through a fresh upload URL and create the import from it (exactly one import)."""
    for round_number in range(1, upload_rounds + 1):
        upload = client.create_upload_url()
        try:
            client.upload_file(upload.upload_url, file_name, content)
        except WixUnavailable:
            if round_number == upload_rounds:
                raise
            logger.warning('wix upload failed, retrying with a new upload URL', extra={'round': round_number})
            continue
        return client.create_import(upload.file_path, file_name, len(content))
    raise ValueError('upload_rounds must be at least 1')


def wait_for_status(
    client: WixClient,
    import_id: str,
    targets: Set[ImportStatus],
    *,
    timeout_s: float,
    poll_s: float,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> LoyaltyImport:
    """Poll until the import's status is one of `targets` or terminal (IMPORTED/FAILED).

    A terminal status ends the wait even when it is not a target (e.g. FAILED while waiting for
    PARSED): waiting longer could not change it. Raises `WaitTimedOut` carrying the last import.
    """
    deadline = clock() + timeout_s
    while True:
        current = client.get_import(import_id)
        if current.status in targets or current.status.is_terminal:
            return current
        remaining = deadline - clock()
        if remaining <= 0:
            raise WaitTimedOut(
                f'import {import_id} still {current.status} after {timeout_s}s (awaited {sorted(targets)})',
                current,
            )
        sleep(min(poll_s, remaining))
