"""Cold start: importing a handler module loads Powertools and the models, nothing heavier.

Timing is measured (not asserted) by `make bench`-style runs reported by the pipeline's author;
this checks the structural reason it stays lean, which a careless top-level import would break.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.conftest import REPO_ROOT

# Loaded only when the first event arrives (clients, the Wix client, X-Ray, event schemas, the CSV
# inspection) — each would add tens to hundreds of milliseconds to every cold start's import.
DEFERRED = [
    'boto3',
    'httpx',
    'aws_xray_sdk',
    'aws_lambda_powertools.utilities.parser',
    'loyalty_import.inspection',
]
PROBE = (
    'import json, sys; import app; '
    'loaded = [m for m in {deferred} if m in sys.modules]; '
    'print(json.dumps({{"loaded": loaded, "handler": callable(app.handler)}}))'
)


@pytest.mark.parametrize('function', ['importer', 'poller', 'executor', 'finalizer'])
def test_importing_a_handler_defers_the_heavy_modules(function: str) -> None:
    # GIVEN a fresh interpreter in the function's folder, as Lambda imports `app`
    code = PROBE.format(deferred=DEFERRED)
    # WHEN the handler module is imported
    result = subprocess.run(  # noqa: S603 - our own interpreter and a fixed probe
        [sys.executable, '-c', code],
        cwd=REPO_ROOT / 'functions' / function,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    # THEN none of the heavy modules was loaded, and a handler exists
    assert json.loads(result.stdout.strip().splitlines()[-1]) == {'loaded': [], 'handler': True}
