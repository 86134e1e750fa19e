"""End-to-end tests through the same harness as `make demo`: template.yaml in moto, real handlers.

Each test deploys its own stack (about two seconds) against its own Wix emulator, IAM enforced:
a test during which a call was denied fails, naming the action and the resource. Step Functions
Wait/Retry intervals run at 1/100 of their seconds and Lambda's async retries after 10 ms, so a
test lasts seconds; every wait is bounded by `FOLLOW_S`, a hang guard far above what a test needs
even on a loaded machine (a slow machine makes a test slower, never failed).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping

import pytest

from rehearsal import Rehearsal, RehearsalConfig
from wix_emulator import WixEmulator

FOLLOW_S = 300.0
CLOCK_SCALE = 0.01

Rehearse = Callable[..., Rehearsal]


@pytest.fixture
def rehearse() -> Iterator[Rehearse]:
    """Start a rehearsal against a given emulator (stopped at the end of the test)."""
    started: list[Rehearsal] = []

    def start(
        emulator: WixEmulator, *, sites: Mapping[str, Mapping[str, str]] | None = None, **parameters: str
    ) -> Rehearsal:
        # sites: a multi-site secret (RehearsalConfig.sites); None: the single-site secret.
        config = RehearsalConfig(
            parameters=parameters,
            clock_scale=CLOCK_SCALE,
            async_retry_delay_s=0.01,
            sites=sites or {},
        )
        rehearsal = Rehearsal(config, emulator=emulator)
        rehearsal.start()
        started.append(rehearsal)
        return rehearsal

    yield start
    # IAM is enforced (rehearsal.iam): with template.yaml as it is, no call may have been denied.
    denied = sorted({str(denial) for rehearsal in started for denial in rehearsal.denials})
    for rehearsal in started:
        rehearsal.stop()
    if denied:
        pytest.fail(f'IAM denied {len(denied)} call(s) template.yaml must allow: ' + '; '.join(denied))


@pytest.fixture
def rehearsal(rehearse: Rehearse, wix_emulator: WixEmulator) -> Rehearsal:
    return rehearse(wix_emulator)
