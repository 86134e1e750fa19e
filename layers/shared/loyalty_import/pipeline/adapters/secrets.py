"""The Wix credentials: a JSON secret in Secrets Manager, read through Powertools parameters and
cached for `max_age` seconds in a warm container (never from plain environment variables).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from loyalty_import.pipeline.errors import CredentialsError, InvalidCredentials

if TYPE_CHECKING:
    from mypy_boto3_secretsmanager import SecretsManagerClient


class WixCredentialsSource:
    def __init__(
        self, secret_id: str, *, max_age: int = 300, client: SecretsManagerClient | None = None
    ) -> None:
        from aws_lambda_powertools.utilities.parameters import SecretsProvider  # noqa: PLC0415 - lazy

        if client is None:
            import boto3  # noqa: PLC0415 - lazy

            # boto3's default session, which the other adapters' clients share: a SecretsProvider
            # left to build its own client makes a second boto3 Session, loading endpoint data and
            # service models again (about 35 ms CPU of every cold start; make bench).
            client = boto3.client('secretsmanager')
        self._secret_id = secret_id
        self._max_age = max_age
        self._provider = SecretsProvider(boto3_client=client)

    def get(self) -> dict[str, Any]:
        from aws_lambda_powertools.utilities.parameters.exceptions import (  # noqa: PLC0415 - lazy
            GetParameterError,
            TransformParameterError,
        )

        try:
            value = self._provider.get(self._secret_id, transform='json', max_age=self._max_age)
        except TransformParameterError:
            # The message would quote the secret's text: say only what is wrong.
            raise InvalidCredentials('the Wix credentials secret is not valid JSON') from None
        except GetParameterError as exc:
            raise CredentialsError('could not read the Wix credentials secret') from exc
        if not isinstance(value, dict):
            raise InvalidCredentials('the Wix credentials secret is not a JSON object')
        return value
