"""One rehearsal stack with every chaos hook installed, reused across many scenarios."""

from __future__ import annotations

import contextlib
import json
import logging
import re
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import boto3

from chaos.hooks import AwsFaults, GatedFaults, LambdaFaults, WixLedger, client_timeout
from chaos.kills import Kills
from loyalty_import.pipeline.models import ImportRecord
from rehearsal.harness import FINAL_EXECUTION_STATES, Drop, Rehearsal, RehearsalConfig, SnsMessage
from rehearsal.lambda_runtime import Invocation
from wix_emulator import EmulatorSettings, WixEmulator

UNKNOWN_CONTACT = 'ghost@example.com'
# The rehearsal's clock: Step Functions waits and retries at 1/100, millisecond Wix delays.
CLOCK_SCALE = 0.01
CLIENT_READ_TIMEOUT_S = 1.0  # the Wix client's read timeout while chaos runs
# The emulator holds a SLOW answer until the client gives up (its read timeout above), however
# busy the machine; this only bounds the hold should a client never give up.
SLOW_S = 30.0
# Hang guards: far above what any scenario needs even on a loaded machine (seconds), so reaching
# one means something hangs; it is reported as a hang, not as a product verdict.
HANG_GUARD_S = 300.0


def chaos_emulator_settings(
    *, parse_delay_s: float = 0.05, import_delay_s: float = 0.05, parse_starts_on_first_read: bool = False
) -> EmulatorSettings:
    return EmulatorSettings(
        parse_delay_s=parse_delay_s,
        import_delay_s=import_delay_s,
        parse_starts_on_first_read=parse_starts_on_first_read,
        unknown_contacts=frozenset({UNKNOWN_CONTACT}),
        slow_s=SLOW_S,
        retry_after_s=1,
    )


@dataclass
class StackOptions:
    label: str
    auth: str = 'api_key'  # or 'oauth': the Lambdas get OAuth app credentials (token endpoint used)
    parse_wait_s: int = 5  # 0: the state machine's Execute step executes, not the importer
    emulator_settings: EmulatorSettings = field(default_factory=chaos_emulator_settings)
    clock_scale: float = CLOCK_SCALE


class ChaosStack:
    """`with ChaosStack(options) as stack:` a started rehearsal, its emulator and the fault hooks."""

    def __init__(self, options: StackOptions) -> None:
        self.options = options
        self.emulator = WixEmulator(options.emulator_settings)
        self.faults = GatedFaults()
        self.emulator.faults = self.faults
        self.aws = AwsFaults()
        self.kills = Kills()
        self.rehearsal = Rehearsal(
            RehearsalConfig(
                emulator_settings=options.emulator_settings,
                clock_scale=options.clock_scale,
                async_retry_delay_s=0.05,
                parameters={'ParseWaitSeconds': str(options.parse_wait_s)},
            ),
            emulator=self.emulator,
        )
        self._exit = contextlib.ExitStack()
        self.ledger: WixLedger | None = None
        self._clients: dict[str, Any] = {}
        self.lambdas: LambdaFaults | None = None

    def __enter__(self) -> ChaosStack:
        exit_stack = self._exit
        try:
            exit_stack.enter_context(client_timeout(CLIENT_READ_TIMEOUT_S))
            self.emulator.start()
            exit_stack.callback(self.emulator.stop)
            self.aws.install()  # before the rehearsal creates boto3's default session
            exit_stack.callback(self.aws.uninstall)
            self.kills.install_botocore()
            exit_stack.callback(self.kills.uninstall)
            self.rehearsal.start()
            exit_stack.callback(self.rehearsal.stop)
        except BaseException:
            exit_stack.close()
            raise
        runtime = self.rehearsal.runtime
        assert runtime is not None  # noqa: S101 - set by start()
        for handler, stream in _route_handler_logs_to_the_rehearsal():
            self._exit.callback(_put_back, handler, stream)
        self.ledger = WixLedger(self.emulator)
        self.lambdas = LambdaFaults(runtime)
        self.kills.install_runtime(runtime)  # outermost: a kill ends the invocation, whatever else
        self.kills.on_kill.append(self._expire_in_progress_locks)
        if self.options.auth == 'oauth':
            self._use_oauth()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.reset()
        self._exit.close()

    def _use_oauth(self) -> None:
        credentials = self.emulator.credentials
        secret = {
            'mode': 'oauth',
            'app_id': credentials.app_id,
            'app_secret': credentials.app_secret,
            'instance_id': credentials.instance_id,
        }
        self.client('secretsmanager').put_secret_value(
            SecretId=self.rehearsal.resource('WixCredentialsSecret'), SecretString=json.dumps(secret)
        )

    # -- faults ---------------------------------------------------------------------------------

    def reset(self) -> None:
        self.faults.clear()
        self.aws.clear()
        self.kills.clear()
        if self.lambdas is not None:
            self.lambdas.clear()

    def armed(self) -> int:
        """Injected faults that did not fire yet."""
        return (
            self.faults.armed()
            + self.aws.armed()
            + self.kills.armed()
            + (self.lambdas.armed() if self.lambdas else 0)
        )

    def _expire_in_progress_locks(self, killed: Invocation) -> None:
        """A killed importer ran to its deadline: its Powertools in-progress lock expires then.

        Powertools sets an in-progress record to expire at the invocation's deadline (the context's
        remaining time), which is when Lambda reports Sandbox.Timedout. The rehearsal reports the
        kill at once, so it moves that one clock instead of waiting out the function's Timeout.
        Invocations run one at a time, so the killed one is the only one in progress.
        """
        if killed.logical_id != 'ImporterFunction':
            return
        dynamodb = self.client('dynamodb')
        table = self.rehearsal.resource('IdempotencyTable')
        now_ms = int(time.time() * 1000) - 1
        with self.guard():
            items = dynamodb.scan(TableName=table)['Items']
            for item in items:
                if item.get('status', {}).get('S') == 'INPROGRESS':
                    dynamodb.update_item(
                        TableName=table,
                        Key={'id': item['id']},
                        UpdateExpression='SET in_progress_expiration = :now',
                        ExpressionAttributeValues={':now': {'N': str(now_ms)}},
                    )

    # -- state ----------------------------------------------------------------------------------

    @contextlib.contextmanager
    def guard(self) -> Iterator[None]:
        """Hold the Lambda runtime still while this thread talks to the AWS emulation.

        The runtime swaps os.environ for each invocation (under its lock), and creating a boto3
        client iterates os.environ (botocore's proxy lookup): from another thread that races and
        raises KeyError. Reads done under this guard wait for the running handler instead.
        """
        runtime = self.rehearsal.runtime
        if runtime is None:
            yield
            return
        with runtime.holding_still():
            yield

    def client(self, service: str) -> Any:
        cached = self._clients.get(service)
        if cached is None:
            with self.guard():
                cached = boto3.client(service, region_name=self.rehearsal.config.region)  # type: ignore[call-overload]
            self._clients[service] = cached
        return cached

    def follow_all(self, drops: list[Drop], *, timeout_s: float, poll_s: float = 0.1) -> list[Drop]:
        """Wait until every drop has a final record, a notification and no running execution.

        Returns the drops still not there when `timeout_s` (a hang guard) ran out.
        """
        rehearsal = self.rehearsal
        pending = list(drops)
        deadline = time.monotonic() + timeout_s
        while pending and time.monotonic() < deadline:
            with self.guard():
                notified = rehearsal.notifications()
                still = []
                for drop in pending:
                    record = rehearsal.record(drop)
                    done = (
                        record is not None
                        and record.is_final
                        and any(m.mentions(drop.source.source_id) for m in notified)
                        and rehearsal.execution_status(record) in {None, *FINAL_EXECUTION_STATES}
                    )
                    if not done:
                        still.append(drop)
            pending = still
            if pending:
                time.sleep(poll_s)
        return pending

    @property
    def imports_table(self) -> str:
        return self.rehearsal.resource('ImportsTable')

    def notifications_for(self, drop: Drop) -> list[SnsMessage]:
        with self.guard():
            return [m for m in self.rehearsal.notifications() if m.mentions(drop.source.source_id)]

    def record(self, drop: Drop) -> ImportRecord | None:
        with self.guard():
            return self.rehearsal.record(drop)

    def wix_imports_for(self, drop: Drop) -> list[str]:
        """Ids of the Wix imports of this drop's file, whatever the product recorded.

        The importer names the file at Wix `<stem>.<version tag>.csv`; every drop here has its own
        file name, so any import whose name starts with that stem belongs to this drop.
        """
        name = drop.key.rsplit('/', 1)[-1]
        stem = name[:-4] if name.lower().endswith('.csv') else name
        at_wix = re.compile(re.escape(stem) + r'\.[0-9a-f]{10}\.csv')
        return [
            import_id
            for import_id, rest in self.emulator.imports.items()
            if at_wix.fullmatch(str((rest.get('fileMetadata') or {}).get('name', '')))
        ]

    def dlq_messages(self) -> int:
        """Messages waiting in the importer's dead-letter queue (received and put back)."""
        sqs = self.client('sqs')
        physical = self.rehearsal.resource('ImporterDeadLetterQueue')
        url = physical if physical.startswith('http') else sqs.get_queue_url(QueueName=physical)['QueueUrl']
        attributes = sqs.get_queue_attributes(
            QueueUrl=url,
            AttributeNames=['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
        )['Attributes']
        return int(attributes.get('ApproximateNumberOfMessages', 0)) + int(
            attributes.get('ApproximateNumberOfMessagesNotVisible', 0)
        )

    def object_exists(self, uri: str) -> bool:
        bucket, _, key = uri.removeprefix('s3://').partition('/')
        try:
            self.client('s3').head_object(Bucket=bucket, Key=key)
        except self.client('s3').exceptions.ClientError:
            return False
        return True

    def invocations(self) -> list[Invocation]:
        return self.rehearsal.invocations

    def settle(self, timeout_s: float = HANG_GUARD_S) -> bool:
        """Wait until no delivery and no execution is in flight: nothing can happen after that.

        Only a handler, an S3 delivery or a running execution can act (notify, execute, write), so
        once all are done a late duplicate would already show. False if `timeout_s` (a hang
        guard) ran out first.
        """
        runtime = self.rehearsal.runtime
        deadline = time.monotonic() + timeout_s
        while True:
            remaining = deadline - time.monotonic()
            if runtime is not None and not runtime.wait_idle(max(0.0, remaining)):
                return False
            with self.guard():
                executions = self.rehearsal.executions()
            running = any(e['status'] == 'RUNNING' for e in executions)
            if not running and (runtime is None or not runtime.busy):
                return True
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.05)


def quiet_logs() -> None:
    """Only errors on the terminal: the handlers' own logs go to the rehearsal's CloudWatch."""
    logging.basicConfig(level=logging.ERROR)
    for handler in logging.getLogger().handlers:
        handler.setLevel(logging.ERROR)


def _put_back(handler: logging.StreamHandler[Any], stream: Any) -> None:
    # Not setStream(): it flushes the router, whose own stream (a test's capture) may be closed.
    handler.acquire()
    try:
        handler.stream = stream
    finally:
        handler.release()


def _route_handler_logs_to_the_rehearsal() -> list[tuple[logging.StreamHandler[Any], Any]]:
    """Point the handlers' logger at the rehearsal's stdout router; returns what to put back.

    The product's Powertools logger is created once per process, bound to whatever sys.stdout was
    then (a terminal, pytest's capture, an earlier rehearsal's router). The rehearsal routes each
    invocation's output by swapping sys.stdout, so without this the handlers' log lines would
    bypass the invocation records and CloudWatch, which the secret-leak test searches.
    """
    from loyalty_import.pipeline.observability import SERVICE  # noqa: PLC0415 - the service logger

    names = [SERVICE, *logging.Logger.manager.loggerDict]
    changed: list[tuple[logging.StreamHandler[Any], Any]] = []
    for name in dict.fromkeys(names):
        for handler in logging.getLogger(name).handlers:
            if not isinstance(handler, logging.StreamHandler) or handler.stream is sys.stdout:
                continue
            if name == SERVICE or hasattr(handler.stream, 'capture'):  # ours, or a stale router
                changed.append((handler, handler.setStream(sys.stdout)))
    return changed
