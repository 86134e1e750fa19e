"""Hostile and broken files through the whole pipeline: each ends with a reason, a report and a message.

Every case is dropped into S3 on one rehearsal stack (the real template, handlers and state
machine). A file the product cannot honestly import ends REJECTED with a specific refusal code, a
report under the results prefix and one notification, without reaching Wix; one it can handle is
imported once. Never an unhandled exception, a Lambda retry or a dead-letter message for bad data.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from chaos.hostile import CASES, HostileCase, hostile_stack_options, no_decompression, run_case
from chaos.stack import ChaosStack


@pytest.fixture(scope='module')
def stack() -> Iterator[ChaosStack]:
    with ChaosStack(hostile_stack_options()) as stack:
        yield stack


@pytest.mark.parametrize('case', CASES, ids=[case.id for case in CASES])
def test_a_hostile_file_ends_with_a_reason_a_report_and_one_notification(
    stack: ChaosStack, case: HostileCase
) -> None:
    # GIVEN a hostile or broken file (see chaos.hostile.CASES for what each one is)
    # WHEN it is dropped under the incoming prefix and followed to its end
    with no_decompression() as decompressions:
        outcome = run_case(stack, case)

    # THEN it ends as the case allows, refused with a specific code and a report, notified once,
    # with no failed invocation, retry or DLQ message
    assert outcome.problems == []
    assert outcome.status in case.ends
    assert outcome.notifications == 1
    if outcome.status == 'REJECTED':
        assert outcome.code in case.codes
        assert outcome.report
        assert outcome.wix_imports == 0
    else:
        assert outcome.wix_imports == 1
    # AND no archive was ever opened or inflated (a zip bomb is refused, not expanded)
    assert decompressions == []
