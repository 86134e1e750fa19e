"""The drop bucket (S3): read a source object version with a size bound, write results."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING

from botocore.exceptions import BotoCoreError, ClientError

from loyalty_import.pipeline.adapters._aws import error_code
from loyalty_import.pipeline.errors import ObjectTooLarge, SourceNotFound, StorageError
from loyalty_import.pipeline.ports import StoredObject, StoredStream

if TYPE_CHECKING:
    from botocore.response import StreamingBody
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_s3.type_defs import GetObjectOutputTypeDef

_GONE = {'NoSuchKey', 'NoSuchVersion', '404', 'NotFound'}
STREAM_CHUNK_BYTES = 1024 * 1024


class S3Storage:
    def __init__(self, client: S3Client | None = None) -> None:
        if client is None:
            import boto3  # noqa: PLC0415 - created at cold start, not at import

            client = boto3.client('s3')
        self._client = client

    def _get(self, bucket: str, key: str, version_id: str | None) -> GetObjectOutputTypeDef:
        try:
            if version_id:
                return self._client.get_object(Bucket=bucket, Key=key, VersionId=version_id)
            return self._client.get_object(Bucket=bucket, Key=key)
        except ClientError as exc:
            if error_code(exc) in _GONE:
                raise SourceNotFound(f's3://{bucket}/{key} (version {version_id}) no longer exists') from exc
            raise StorageError(f'could not read s3://{bucket}/{key}: {error_code(exc)}') from exc
        except BotoCoreError as exc:
            raise StorageError(f'could not read s3://{bucket}/{key}') from exc

    def read(self, bucket: str, key: str, version_id: str | None, *, max_bytes: int) -> StoredObject:
        response = self._get(bucket, key, version_id)
        body = response['Body']
        size = int(response.get('ContentLength', 0))
        try:
            if size > max_bytes:
                raise ObjectTooLarge(size, max_bytes)
            # Never trust the announced length alone: read at most one byte past the bound.
            content = body.read(max_bytes + 1)
        except (ClientError, BotoCoreError) as exc:
            raise StorageError(f'could not read s3://{bucket}/{key}') from exc
        finally:
            body.close()
        if len(content) > max_bytes:
            raise ObjectTooLarge(len(content), max_bytes)
        return StoredObject(
            content=content,
            size=len(content),
            metadata=dict(response.get('Metadata', {})),
            etag=str(response.get('ETag', '')).strip('"') or None,
            version_id=response.get('VersionId'),
            content_type=response.get('ContentType'),
        )

    def stream(self, bucket: str, key: str, version_id: str | None, *, max_bytes: int) -> StoredStream:
        """The object in chunks of STREAM_CHUNK_BYTES as they arrive (a large source: never whole)."""
        response = self._get(bucket, key, version_id)
        size = int(response.get('ContentLength', 0))
        body = response['Body']
        if size > max_bytes:
            body.close()
            raise ObjectTooLarge(size, max_bytes)
        return StoredStream(
            chunks=_chunks(body, bucket, key, max_bytes),
            size=size,
            metadata=dict(response.get('Metadata', {})),
            etag=str(response.get('ETag', '')).strip('"') or None,
            version_id=response.get('VersionId'),
        )

    def write(
        self,
        bucket: str,
        key: str,
        content: bytes,
        *,
        content_type: str,
        metadata: Mapping[str, str] | None = None,
    ) -> str:
        try:
            self._client.put_object(
                Bucket=bucket, Key=key, Body=content, ContentType=content_type, Metadata=dict(metadata or {})
            )
        except ClientError as exc:
            raise StorageError(f'could not write s3://{bucket}/{key}: {error_code(exc)}') from exc
        except BotoCoreError as exc:
            raise StorageError(f'could not write s3://{bucket}/{key}') from exc
        return f's3://{bucket}/{key}'


def _chunks(body: StreamingBody, bucket: str, key: str, max_bytes: int) -> Iterator[bytes]:
    """The body's chunks; never more than `max_bytes` in all (the announced length is not trusted)."""
    total = 0
    try:
        for chunk in body.iter_chunks(STREAM_CHUNK_BYTES):
            total += len(chunk)
            if total > max_bytes:
                raise ObjectTooLarge(total, max_bytes)
            yield chunk
    except (ClientError, BotoCoreError) as exc:
        raise StorageError(f'could not read s3://{bucket}/{key}') from exc
    finally:
        body.close()
