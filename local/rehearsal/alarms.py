"""CloudWatch, rehearsed: metric data from what the stack did, and its alarms evaluated on it.

moto stores alarms but emits no metrics and evaluates nothing, so on its own no alarm of
template.yaml would ever be seen in ALARM. Here the rehearsal turns into metric data points:

- what the functions print: Powertools' EMF lines (`_aws.CloudWatchMetrics`), from each
  invocation's captured output, as CloudWatch Logs extracts them;
- what Lambda measures: `AWS/Lambda` `Invocations`, `Errors` and `Duration` per function, from the
  rehearsal's invocation records;
- what Step Functions measures: `AWS/States` `ExecutionsStarted`/`Succeeded`/`Failed`/`TimedOut`/
  `Aborted` per state machine, from moto's executions of the stack's state machine;
- what SQS measures: `AWS/SQS` `ApproximateNumberOfMessagesVisible` per queue of the stack, sampled
  when the alarms are evaluated.

`evaluate` then reads every alarm of the deployed stack from moto's CloudWatch (`describe_alarms`:
the definitions the stack created from template.yaml) and evaluates each on its own terms:
Namespace, MetricName, Dimensions, Statistic, Period, EvaluationPeriods, DatapointsToAlarm,
Threshold, ComparisonOperator and TreatMissingData, over the periods ending at `now` (the clock is
injected, so a test decides which data a period holds). A state change is set in moto
(`set_alarm_state`) and, as CloudWatch does, published to the actions of the new state (the topic
for ALARM). What it cannot evaluate (metric math, extended statistics, anomaly detection, composite
alarms) raises `AlarmEvaluationError` rather than being skipped.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from rehearsal.lambda_runtime import Invocation

# The AWS metrics the services themselves publish for this stack's resources (the rehearsal
# produces all but Throttles, which only a throttled invocation would raise).
AWS_METRICS = frozenset(
    {
        ('AWS/Lambda', 'Invocations'),
        ('AWS/Lambda', 'Errors'),
        ('AWS/Lambda', 'Duration'),
        ('AWS/Lambda', 'Throttles'),
        ('AWS/States', 'ExecutionsStarted'),
        ('AWS/States', 'ExecutionsSucceeded'),
        ('AWS/States', 'ExecutionsFailed'),
        ('AWS/States', 'ExecutionsTimedOut'),
        ('AWS/States', 'ExecutionsAborted'),
        ('AWS/SQS', 'ApproximateNumberOfMessagesVisible'),
    }
)
_EXECUTION_METRICS = {
    'SUCCEEDED': 'ExecutionsSucceeded',
    'FAILED': 'ExecutionsFailed',
    'TIMED_OUT': 'ExecutionsTimedOut',
    'ABORTED': 'ExecutionsAborted',
}
_COMPARISONS: dict[str, Callable[[float, float], bool]] = {
    'GreaterThanOrEqualToThreshold': lambda value, threshold: value >= threshold,
    'GreaterThanThreshold': lambda value, threshold: value > threshold,
    'LessThanThreshold': lambda value, threshold: value < threshold,
    'LessThanOrEqualToThreshold': lambda value, threshold: value <= threshold,
}
_STATISTICS: dict[str, Callable[[list[float]], float]] = {
    'Sum': sum,
    'Maximum': max,
    'Minimum': min,
    'Average': lambda values: sum(values) / len(values),
    'SampleCount': len,
}
Dimensions = frozenset[tuple[str, str]]


class AlarmEvaluationError(Exception):
    """An alarm of the stack uses something this rehearsal cannot evaluate."""


@dataclass(frozen=True)
class Datapoint:
    namespace: str
    name: str
    dimensions: Dimensions
    timestamp: float  # epoch seconds
    value: float


def dimensions(**values: str) -> Dimensions:
    return frozenset(values.items())


def emf_datapoints(lines: Iterable[str]) -> list[Datapoint]:
    """The metric data CloudWatch Logs extracts from Embedded Metric Format lines."""
    points: list[Datapoint] = []
    for line in lines:
        if '"_aws"' not in line:
            continue
        try:
            document = json.loads(line)
            metadata = document['_aws']
        except (ValueError, KeyError, TypeError):
            continue
        timestamp = float(metadata.get('Timestamp', 0)) / 1000
        for directive in metadata.get('CloudWatchMetrics', []):
            for dimension_set in directive.get('Dimensions', [[]]):
                dims = frozenset((name, str(document[name])) for name in dimension_set)
                for metric in directive.get('Metrics', []):
                    value = document.get(metric['Name'])
                    for one in value if isinstance(value, list) else [value]:
                        if isinstance(one, int | float):
                            points.append(
                                Datapoint(directive['Namespace'], metric['Name'], dims, timestamp, float(one))
                            )
    return points


def lambda_datapoints(invocations: Iterable[Invocation]) -> list[Datapoint]:
    points: list[Datapoint] = []
    for invocation in invocations:
        dims = dimensions(FunctionName=invocation.function_name)
        at = invocation.started
        points += [
            Datapoint('AWS/Lambda', 'Invocations', dims, at, 1.0),
            Datapoint('AWS/Lambda', 'Errors', dims, at, 0.0 if invocation.ok else 1.0),
            Datapoint('AWS/Lambda', 'Duration', dims, at, invocation.duration_s * 1000),
        ]
    return points


def execution_datapoints(executions: Iterable[dict[str, Any]]) -> list[Datapoint]:
    points: list[Datapoint] = []
    for execution in executions:
        dims = dimensions(StateMachineArn=execution['stateMachineArn'])
        points.append(Datapoint('AWS/States', 'ExecutionsStarted', dims, _epoch(execution['startDate']), 1.0))
        metric = _EXECUTION_METRICS.get(execution['status'])
        if metric is not None and execution.get('stopDate') is not None:
            points.append(Datapoint('AWS/States', metric, dims, _epoch(execution['stopDate']), 1.0))
    return points


def _epoch(value: datetime | float) -> float:
    return value.timestamp() if isinstance(value, datetime) else float(value)


@dataclass(frozen=True)
class Evaluation:
    name: str
    old_state: str
    state: str
    reason: str
    reason_data: dict[str, Any]


def evaluate_alarm(alarm: dict[str, Any], points: Sequence[Datapoint], now: float) -> Evaluation:
    """One metric alarm over the `EvaluationPeriods` periods ending at `now`, as CloudWatch does."""
    _check_supported(alarm)
    wanted = frozenset((d['Name'], d['Value']) for d in alarm.get('Dimensions', []))
    matching = [
        p
        for p in points
        if p.namespace == alarm['Namespace'] and p.name == alarm['MetricName'] and p.dimensions == wanted
    ]
    period = float(alarm['Period'])
    periods = int(alarm['EvaluationPeriods'])
    to_alarm = int(alarm.get('DatapointsToAlarm') or periods)
    statistic = _STATISTICS[alarm['Statistic']]
    compare = _COMPARISONS[alarm['ComparisonOperator']]
    threshold = float(alarm['Threshold'])
    values: list[float | None] = []  # newest period first; None: no data in that period
    for index in range(periods):
        end = now - index * period
        in_period = [p.value for p in matching if end - period <= p.timestamp < end]
        values.append(float(statistic(in_period)) if in_period else None)
    missing = alarm.get('TreatMissingData') or 'missing'
    breaching = sum(1 for v in values if v is not None and compare(v, threshold))
    if missing == 'breaching':
        breaching += values.count(None)
    if breaching >= to_alarm:
        state = 'ALARM'
    elif all(v is None for v in values):
        state = {'notBreaching': 'OK', 'ignore': alarm.get('StateValue', 'INSUFFICIENT_DATA')}.get(
            missing, 'INSUFFICIENT_DATA'
        )
    else:
        state = 'OK'
    present = [v for v in values if v is not None]
    shown = ', '.join(f'{v:g}' for v in present) or 'no datapoints'
    verb = 'was' if state == 'ALARM' else 'was not'
    reason = (
        f'Threshold Crossed: {breaching} out of the last {periods} datapoints [{shown}] {verb} '
        f'{alarm["ComparisonOperator"]} the threshold ({threshold:g}) (minimum {to_alarm} '
        f'datapoint{"s" if to_alarm != 1 else ""} for OK -> ALARM transition).'
    )
    data = {
        'version': '1.0',
        'queryDate': _iso(now),
        'statistic': alarm['Statistic'],
        'period': int(period),
        'recentDatapoints': present,
        'threshold': threshold,
        'evaluatedDatapoints': [
            {'timestamp': _iso(now - (i + 1) * period), 'value': v}
            for i, v in enumerate(values)
            if v is not None
        ],
    }
    return Evaluation(alarm['AlarmName'], alarm.get('StateValue', 'INSUFFICIENT_DATA'), state, reason, data)


def _check_supported(alarm: dict[str, Any]) -> None:
    name = alarm.get('AlarmName')
    if alarm.get('Metrics'):
        raise AlarmEvaluationError(f'{name}: metric math alarms are not evaluated by the rehearsal')
    if alarm.get('ExtendedStatistic') or alarm.get('Statistic') not in _STATISTICS:
        raise AlarmEvaluationError(f'{name}: statistic {alarm.get("Statistic")!r} is not evaluated')
    if alarm.get('ComparisonOperator') not in _COMPARISONS:
        raise AlarmEvaluationError(f'{name}: comparison {alarm.get("ComparisonOperator")!r} is not evaluated')
    if alarm.get('EvaluateLowSampleCountPercentile') or alarm.get('ThresholdMetricId'):
        raise AlarmEvaluationError(f'{name}: percentile/anomaly options are not evaluated')


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime('%Y-%m-%dT%H:%M:%S.%f')[:-3] + '+0000'


def notification(alarm: dict[str, Any], evaluation: Evaluation, region: str, now: float) -> tuple[str, str]:
    """The subject and JSON message CloudWatch publishes to an alarm's action topic."""
    subject = f'{evaluation.state}: "{evaluation.name}" in {region}'
    message = {
        'AlarmName': evaluation.name,
        'AlarmDescription': alarm.get('AlarmDescription'),
        'AWSAccountId': alarm['AlarmArn'].split(':')[4],
        'AlarmConfigurationUpdatedTimestamp': _iso(now),
        'NewStateValue': evaluation.state,
        'NewStateReason': evaluation.reason,
        'StateChangeTime': _iso(now),
        'Region': region,
        'AlarmArn': alarm['AlarmArn'],
        'OldStateValue': evaluation.old_state,
        'OKActions': alarm.get('OKActions', []),
        'AlarmActions': alarm.get('AlarmActions', []),
        'InsufficientDataActions': alarm.get('InsufficientDataActions', []),
        'Trigger': {
            'MetricName': alarm['MetricName'],
            'Namespace': alarm['Namespace'],
            'StatisticType': 'Statistic',
            'Statistic': alarm['Statistic'].upper(),
            'Unit': alarm.get('Unit'),
            'Dimensions': [{'value': d['Value'], 'name': d['Name']} for d in alarm.get('Dimensions', [])],
            'Period': alarm['Period'],
            'EvaluationPeriods': alarm['EvaluationPeriods'],
            'DatapointsToAlarm': alarm.get('DatapointsToAlarm') or alarm['EvaluationPeriods'],
            'ComparisonOperator': alarm['ComparisonOperator'],
            'Threshold': alarm['Threshold'],
            'TreatMissingData': alarm.get('TreatMissingData', 'missing'),
            'EvaluateLowSampleCountPercentile': '',
        },
    }
    return subject, json.dumps(message)


_ACTIONS = {'ALARM': 'AlarmActions', 'OK': 'OKActions', 'INSUFFICIENT_DATA': 'InsufficientDataActions'}


def evaluate(
    cloudwatch: Any, sns: Any, points: Sequence[Datapoint], now: float, region: str
) -> dict[str, Evaluation]:
    """Evaluate every alarm in moto's CloudWatch; set and notify the ones whose state changes."""
    described = cloudwatch.describe_alarms()
    if described.get('CompositeAlarms'):
        raise AlarmEvaluationError('composite alarms are not evaluated by the rehearsal')
    results: dict[str, Evaluation] = {}
    for alarm in described['MetricAlarms']:
        evaluation = evaluate_alarm(alarm, points, now)
        results[evaluation.name] = evaluation
        if evaluation.state == evaluation.old_state:
            continue
        cloudwatch.set_alarm_state(
            AlarmName=evaluation.name,
            StateValue=evaluation.state,
            StateReason=evaluation.reason,
            StateReasonData=json.dumps(evaluation.reason_data),
        )
        if alarm.get('ActionsEnabled', True):
            subject, message = notification(alarm, evaluation, region, now)
            for action in alarm.get(_ACTIONS[evaluation.state], []):
                if action.split(':')[2] == 'sns':
                    sns.publish(TopicArn=action, Subject=subject[:100], Message=message)
    return results


def in_alarm(results: dict[str, Evaluation]) -> list[str]:
    return sorted(name for name, evaluation in results.items() if evaluation.state == 'ALARM')


__all__ = [
    'AWS_METRICS',
    'AlarmEvaluationError',
    'Datapoint',
    'Evaluation',
    'emf_datapoints',
    'evaluate',
    'evaluate_alarm',
    'execution_datapoints',
    'in_alarm',
    'lambda_datapoints',
]
