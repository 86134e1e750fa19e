"""Notifications (SNS): one message per finished import."""

from __future__ import annotations

from typing import TYPE_CHECKING

from botocore.exceptions import BotoCoreError, ClientError

from loyalty_import.pipeline.adapters._aws import error_code
from loyalty_import.pipeline.errors import NotificationError
from loyalty_import.pipeline.models import Notification

if TYPE_CHECKING:
    from mypy_boto3_sns import SNSClient
    from mypy_boto3_sns.type_defs import MessageAttributeValueTypeDef


class SnsNotifier:
    def __init__(self, topic_arn: str, client: SNSClient | None = None) -> None:
        if client is None:
            import boto3  # noqa: PLC0415 - created at cold start, not at import

            client = boto3.client('sns')
        self._client = client
        self._topic_arn = topic_arn

    def publish(self, notification: Notification) -> str:
        attributes: dict[str, MessageAttributeValueTypeDef] = {
            name: {'DataType': 'String', 'StringValue': value}
            for name, value in notification.attributes.items()
        }
        try:
            response = self._client.publish(
                TopicArn=self._topic_arn,
                Subject=notification.subject,
                Message=notification.message,
                MessageAttributes=attributes,
            )
        except ClientError as exc:
            raise NotificationError(f'SNS refused the notification: {error_code(exc)}') from exc
        except BotoCoreError as exc:
            raise NotificationError('could not reach SNS') from exc
        return str(response.get('MessageId', ''))
