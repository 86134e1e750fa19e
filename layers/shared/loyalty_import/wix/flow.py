"""The Wix import flow built from the client's calls: upload a file, then create its import."""

from __future__ import annotations

import logging
from typing import Protocol

from loyalty_import.wix.errors import WixUnavailable
from loyalty_import.wix.models import LoyaltyImport, UploadUrl

__all__ = ['upload', 'upload_and_create']

logger = logging.getLogger(__name__)

# Each round asks for a fresh upload URL: an upload URL's token may be single-use, so after an
# upload whose outcome is unknown the only safe retry is a new URL (an orphan upload costs nothing).
DEFAULT_UPLOAD_ROUNDS = 3


class Uploads(Protocol):
    """What `upload` needs of a client."""

    def create_upload_url(self) -> UploadUrl: ...

    def upload_file(self, upload_url: str, file_name: str, content: bytes) -> None: ...


class UploadsAndCreates(Uploads, Protocol):
    """What `upload_and_create` needs of a client (the pipeline passes its own narrower port)."""

    def create_import(self, file_url: str, file_name: str, file_size: int) -> LoyaltyImport: ...


def upload(
    client: Uploads, file_name: str, content: bytes, *, upload_rounds: int = DEFAULT_UPLOAD_ROUNDS
) -> str:
    """Upload the file through a fresh upload URL; its `filePath`, the `fileUrl` to create the import from.

    A caller that must find the import again after a lost create (in a later run) keeps this path:
    Wix keeps it as the import's `fileMetadata.url`, and it names this one upload.
    """
    for round_number in range(1, upload_rounds + 1):
        upload_url = client.create_upload_url()
        try:
            client.upload_file(upload_url.upload_url, file_name, content)
        except WixUnavailable:
            if round_number == upload_rounds:
                raise
            logger.warning('wix upload failed, retrying with a new upload URL', extra={'round': round_number})
            continue
        return upload_url.file_path
    raise ValueError('upload_rounds must be at least 1')


def upload_and_create(
    client: UploadsAndCreates, file_name: str, content: bytes, *, upload_rounds: int = DEFAULT_UPLOAD_ROUNDS
) -> LoyaltyImport:
    """Upload the file through a fresh upload URL and create the import from it (exactly one import)."""
    file_path = upload(client, file_name, content, upload_rounds=upload_rounds)
    return client.create_import(file_path, file_name, len(content))
