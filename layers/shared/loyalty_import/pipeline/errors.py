"""Domain exceptions of the pipeline. Adapters turn SDK errors into these (`raise ... from exc`).

Step Functions' Retry/Catch match on the class name a task raises, so names are deliberate:
`PipelineUnavailable` marks a transient infrastructure failure worth retrying; `ImportAborted`
ends an import on purpose (the state machine's Catch hands it to Finalize).
"""

from __future__ import annotations


class PipelineError(Exception):
    """Base of the pipeline's own errors."""


class PipelineUnavailable(PipelineError):  # noqa: N818 - matched by name in the state machine
    """An AWS dependency failed in a way a later retry may fix (throttling, 5xx, network)."""


class RecordStoreError(PipelineUnavailable):
    """DynamoDB could not read or write the import record."""


class ConcurrentUpdate(PipelineError):  # noqa: N818 - a condition, not a failure
    """The record changed since it was read (optimistic locking); re-read and decide again."""


class RecordNotFound(PipelineError):  # noqa: N818 - reads better than RecordNotFoundError
    """No import record for this source id."""


class StorageError(PipelineUnavailable):
    """S3 could not read or write an object."""


class SourceNotFound(PipelineError):  # noqa: N818 - the object is gone, not a failed call
    """The source object (version) no longer exists: nothing to import."""


class NotificationError(PipelineUnavailable):
    """SNS did not accept the notification."""


class WorkflowError(PipelineUnavailable):
    """Step Functions did not start the execution."""


class CredentialsError(PipelineUnavailable):
    """The Wix credentials secret could not be read."""


class InvalidCredentials(PipelineError):  # noqa: N818 - a verdict on the secret, not a failed call
    """The Wix credentials secret was read but holds no usable credentials: retrying cannot help."""


class FileRefused(PipelineError):  # noqa: N818 - a verdict on the file, not a crash
    """The CSV inspection refused the file; code and message are for the merchant."""

    def __init__(self, code: str, message: str, candidates: list[object] | None = None) -> None:
        super().__init__(f'{code}: {message}')
        self.code = code
        self.message = message
        self.candidates = list(candidates or [])


class ImportAborted(PipelineError):  # noqa: N818 - matched by name in the state machine
    """The import was stopped on purpose (e.g. Wix parsed a different header); the record says why."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f'{code}: {message}')
        self.code = code
        self.message = message


class ObjectTooLarge(PipelineError):  # noqa: N818 - a verdict on the object, not a failure
    """The source object is larger than the configured bound; it is not read."""

    def __init__(self, size: int, limit: int) -> None:
        super().__init__(f'object is {size} bytes, the limit is {limit}')
        self.size = size
        self.limit = limit


class ReviewAlreadyDecided(PipelineError):  # noqa: N818 - a condition: the first decision stands
    """The review was decided (or ended) since it was read: a second decision changes nothing."""


class ImportStillInProgress(PipelineUnavailable):
    """Another invocation holds this object version and has not handed its import over yet."""
