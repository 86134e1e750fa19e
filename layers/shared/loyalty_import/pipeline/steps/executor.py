"""The state machine's Execute step: the poll saw PARSED, so cross-check and execute (at most once).

Reached when parsing outlasted the importer's wait; the executing itself is `execution.execute_checked`,
which the importer uses too.
"""

from __future__ import annotations

from loyalty_import.pipeline.codes import ErrorCode
from loyalty_import.pipeline.errors import ImportAborted, RecordNotFound
from loyalty_import.pipeline.execution import ExecutorDeps, execute_checked
from loyalty_import.pipeline.models import ExecutorOutput, PollerInput, RecordStatus
from loyalty_import.pipeline.observability import bind_import
from loyalty_import.pipeline.steps.poller import polled
from loyalty_import.wix.models import ImportStatus

__all__ = ['ExecutorDeps', 'run_execute_step']


def run_execute_step(task: PollerInput, deps: ExecutorDeps) -> ExecutorOutput:
    """The state machine's Execute step: the poll saw PARSED."""
    bind_import(task.import_id, source_id=task.source_id)
    record = deps.records.get(task.source_id)
    if record is None:
        raise RecordNotFound(task.source_id)
    if record.is_final:
        # Already ended (e.g. the importer found a header mismatch): leave the loop via Catch -> Finalize.
        code = record.error.code if record.error else record.status.value
        raise ImportAborted(code, f'the import already ended as {record.status.value}')
    if record.executed_at is not None:
        return ExecutorOutput(executed=False, status=record.wix_status or RecordStatus.IMPORTING.value)
    current = polled(task, ImportStatus.PARSED) or deps.wix(record.site).get_import(task.import_id)
    if current.status is not ImportStatus.PARSED:
        return ExecutorOutput(executed=False, status=current.status.value)
    record = execute_checked(record, current, deps)
    if record.is_final:
        # Ended without executing (FAILED, or REJECTED by the balance-shift check). The record's
        # message may quote cells (customer data); an exception's message reaches the Lambda log,
        # X-Ray and the execution history, so it carries only the code.
        error = record.error
        raise ImportAborted(
            error.code if error else ErrorCode.HEADER_MISMATCH, 'details in the import record'
        )
    if record.executed_at is None:
        # The balance snapshot ran out of time or budget (its progress saved): still PARSED, so the
        # state machine's Wait -> Poll -> Route comes back here and it resumes.
        return ExecutorOutput(executed=False, status=ImportStatus.PARSED.value)
    return ExecutorOutput(executed=True, status=record.wix_status or RecordStatus.IMPORTING.value)
