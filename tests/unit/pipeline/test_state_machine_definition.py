"""Checks of the deployed ASL file itself (the one template.yaml loads with DefinitionUri)."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

import loyalty_import.pipeline.errors as pipeline_errors
import loyalty_import.wix.errors as wix_errors
from tests.conftest import REPO_ROOT

ASL_PATH = REPO_ROOT / 'statemachine' / 'import.asl.json'
LAMBDA_TRANSIENT = {
    'Lambda.ServiceException',
    'Lambda.AWSLambdaException',
    'Lambda.SdkClientException',
    'Lambda.TooManyRequestsException',
}


@pytest.fixture(scope='module')
def asl() -> dict[str, Any]:
    definition: dict[str, Any] = json.loads(ASL_PATH.read_text())
    return definition


def states(asl: dict[str, Any]) -> dict[str, dict[str, Any]]:
    result: dict[str, dict[str, Any]] = asl['States']
    return result


def part_states(asl: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The states of the Map's loop (one part of a file of several Wix imports)."""
    result: dict[str, dict[str, Any]] = states(asl)['Parts']['ItemProcessor']['States']
    return result


def successors(state: dict[str, Any]) -> set[str]:
    nexts = {state['Next']} if 'Next' in state else set()
    nexts |= {choice['Next'] for choice in state.get('Choices', [])}
    if 'Default' in state:
        nexts.add(state['Default'])
    nexts |= {catch['Next'] for catch in state.get('Catch', [])}
    return nexts


def test_it_uses_exactly_the_template_substitutions(asl: dict[str, Any]) -> None:
    names = set(re.findall(r'\$\{(\w+)\}', ASL_PATH.read_text()))
    assert names == {
        'PollerFunctionArn',
        'ExecutorFunctionArn',
        'FinalizerFunctionArn',
        'NotificationTopicArn',
    }


def test_the_loop_is_a_job_poller_with_a_wait_from_the_poll_result(asl: dict[str, Any]) -> None:
    all_states = states(asl)
    assert all_states[asl['StartAt']]['Next'] == 'Shape'
    assert all_states['Shape']['Default'] == 'FirstWait'
    assert all_states['FirstWait'] == {
        'Type': 'Wait',
        'Comment': all_states['FirstWait']['Comment'],
        'SecondsPath': '$.firstWait',
        'Next': 'Poll',
    }
    assert all_states['Poll']['Resource'] == '${PollerFunctionArn}'
    assert all_states['Wait']['SecondsPath'] == '$.poll.nextWait'
    assert all_states['Wait']['Next'] == 'Poll'
    route = all_states['Route']
    targets = {json.dumps(choice, sort_keys=True): choice['Next'] for choice in route['Choices']}
    assert any('IMPORTED' in text and 'FAILED' in text and nxt == 'Finalize' for text, nxt in targets.items())
    assert any('deadlineExceeded' in text and nxt == 'Finalize' for text, nxt in targets.items())
    assert any('PARSED' in text and nxt == 'Execute' for text, nxt in targets.items())
    assert route['Default'] == 'Wait'
    assert all_states['Execute']['Next'] == 'Wait'


def test_a_failed_execute_polls_again_and_finalizes_only_if_wix_still_has_the_import_parsed(
    asl: dict[str, Any],
) -> None:
    # GIVEN the state machine (an Execute task can fail after Wix accepted the execute)
    all_states = states(asl)
    # THEN its Catch goes back to polling rather than to Finalize
    assert [catch['Next'] for catch in all_states['Execute']['Catch']] == ['Wait']
    assert all_states['Execute']['Catch'][0]['ResultPath'] == '$.error'
    # AND Route finalizes with that error while the import is still PARSED, before trying Execute again
    choices = all_states['Route']['Choices']
    finalize_parsed = next(i for i, c in enumerate(choices) if 'And' in c)
    execute = next(i for i, c in enumerate(choices) if c['Next'] == 'Execute')
    assert finalize_parsed < execute
    assert choices[finalize_parsed]['Next'] == 'Finalize'
    assert {'Variable': '$.error', 'IsNull': False} in choices[finalize_parsed]['And']
    # AND $.error exists (null) from the start, so that comparison never meets a missing path
    start = all_states[asl['StartAt']]
    assert (start['Type'], start['ResultPath'], start['Result']) == ('Pass', '$.error', None)


def test_every_task_retries_transient_errors_and_catches_the_rest(asl: dict[str, Any]) -> None:
    parts = part_states(asl)
    for name in ('Poll', 'Execute', 'Finalize', 'PartPoll', 'PartExecute', 'FinalizeParts'):
        state = {**states(asl), **parts}[name]
        retried = {error for retry in state['Retry'] for error in retry['ErrorEquals']}
        assert {'WixUnavailable', *LAMBDA_TRANSIENT} <= retried, name
        assert all(retry['MaxAttempts'] <= 6 for retry in state['Retry'])
        assert state['Catch'][0]['ErrorEquals'] == ['States.ALL'], name


def test_a_killed_or_timed_out_task_runs_again_before_its_catch(asl: dict[str, Any]) -> None:
    # A Lambda ended mid-work (Sandbox.Timedout) left the record as it was: each task resumes from
    # it (make chaos kills each one between two of its writes), so it is retried, not caught.
    every = {**states(asl), **part_states(asl)}
    names = ('Poll', 'Execute', 'Finalize', 'FinalizeWithoutWix', 'PartPoll', 'PartExecute', 'FinalizeParts')
    for name in (*names, 'FinalizePartsWithoutWix'):
        retried = {error for retry in every[name]['Retry'] for error in retry['ErrorEquals']}
        assert 'Sandbox.Timedout' in retried, name


def test_retried_error_names_are_real_exception_classes(asl: dict[str, Any]) -> None:
    # Step Functions matches the raised class's name: a typo here would silently never retry.
    known = {name for module in (pipeline_errors, wix_errors) for name in dir(module)} | LAMBDA_TRANSIENT
    known.add('Sandbox.Timedout')  # Lambda's name for an invocation that timed out (was ended)
    for name, state in states(asl).items():
        for retry in state.get('Retry', []):
            for error in retry['ErrorEquals']:
                assert error in known or error.startswith('States.'), (name, error)


def test_no_path_ends_without_finalize_or_a_direct_notification(asl: dict[str, Any]) -> None:
    all_states = states(asl)
    # Walk back from the loop: every state reachable from the start must reach Finalize...
    reachable = {asl['StartAt']}
    frontier = [asl['StartAt']]
    while frontier:
        for nxt in successors(all_states[frontier.pop()]):
            if nxt not in reachable:
                reachable.add(nxt)
                frontier.append(nxt)
    assert reachable == set(all_states)
    # ...and the only ways out are Finalize -> Done, or (if Finalize cannot run at all) SNS -> Fail.
    terminal = {name for name, state in all_states.items() if state['Type'] in {'Succeed', 'Fail'}}
    into_terminal = {name for name, state in all_states.items() if successors(state) & terminal}
    assert into_terminal == {
        'Finalize',
        'FinalizeWithoutWix',
        'FinalizeParts',
        'FinalizePartsWithoutWix',
        'NotifyUnrecorded',
    }
    notify = all_states['NotifyUnrecorded']
    assert notify['Resource'] == 'arn:aws:states:::sns:publish'
    assert notify['Parameters']['TopicArn'] == '${NotificationTopicArn}'
    assert notify['Parameters']['MessageAttributes']['outcome']['StringValue'] == 'UNRECORDED'
    assert all_states['Finalize']['Catch'][0]['Next'] == 'FinalizeWithoutWix'
    assert all_states['Finalize']['Catch'][0]['ResultPath'] == '$.finalizeError'
    assert all_states['FinalizeParts']['Catch'][0]['Next'] == 'FinalizePartsWithoutWix'
    assert all_states['FinalizePartsWithoutWix']['Catch'][0]['Next'] == 'NotifyUnrecorded'


def test_task_results_land_where_the_models_read_them(asl: dict[str, Any]) -> None:
    all_states = states(asl)
    assert all_states['Poll']['ResultPath'] == '$.poll'
    assert all_states['Poll']['Catch'][0]['ResultPath'] == '$.error'
    assert all_states['Execute']['Catch'][0]['ResultPath'] == '$.error'


def test_a_file_of_several_imports_runs_the_same_loop_per_part_then_finalizes_once(
    asl: dict[str, Any],
) -> None:
    all_states = states(asl)
    # GIVEN an input with parts: the Choice after Start sends it into the Map
    assert all_states['Shape']['Choices'] == [{'Variable': '$.parts', 'IsPresent': True, 'Next': 'Parts'}]
    parts = all_states['Parts']
    assert (parts['Type'], parts['ItemsPath'], parts['ItemProcessor']['ProcessorConfig']) == (
        'Map',
        '$.parts',
        {'Mode': 'INLINE'},
    )
    # THEN each item runs today's loop, state for state, ending in a Pass where the file's loop
    # would finalize
    inner = part_states(asl)
    renamed = {name: f'Part{name}' for name in ('Start', 'FirstWait', 'Poll', 'Route', 'Execute', 'Wait')}
    renamed['Finalize'] = 'PartDone'
    renamed['Shape'] = 'PartFirstWait'  # the file's Start goes through the Choice first
    for name, part_name in renamed.items():
        if name in {'Finalize', 'Shape'}:
            continue
        assert _renamed(all_states[name], renamed) == inner[part_name], name
    assert inner['PartDone'] == {'Type': 'Pass', 'Comment': inner['PartDone']['Comment'], 'End': True}
    # AND the Map's results go to ONE FinalizeParts of the file's record
    assert (parts['ResultPath'], parts['Next']) == ('$.partResults', 'FinalizeParts')
    finalize = all_states['FinalizeParts']
    assert finalize['Resource'] == '${FinalizerFunctionArn}'
    assert finalize['Parameters'] == {'sourceId.$': '$.sourceId', 'parts.$': '$.partResults'}
    assert all_states['FinalizePartsWithoutWix']['Parameters']['offline'] is True


def _renamed(value: Any, names: dict[str, str]) -> Any:
    """The state with every Next and Default renamed (the part loop's names)."""
    if isinstance(value, dict):
        return {
            key: names.get(item, item) if key in {'Next', 'Default'} else _renamed(item, names)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_renamed(item, names) for item in value]
    return value
