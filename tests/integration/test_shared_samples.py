"""Every sample of the shared samples (tests/fixtures/shared/samples) gets its expected.json answer:
a mapping, or a refusal."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest

from loyalty_import.inspection import Refusal, inspect_csv
from tests.conftest import SHARED_DIR

EXPECTED: dict[str, dict[str, Any]] = json.loads((SHARED_DIR / 'samples' / 'expected.json').read_text())


def test_every_sample_file_has_an_expectation(shared_dir: Path) -> None:
    # GIVEN the samples folder / THEN no CSV escapes the test below
    assert {p.name for p in (shared_dir / 'samples').glob('*.csv')} == set(EXPECTED)


@pytest.mark.parametrize('name', sorted(EXPECTED))
def test_sample_gets_its_expected_answer(shared_dir: Path, name: str) -> None:
    # GIVEN a sample and its expected answer
    expected = EXPECTED[name]
    data = (shared_dir / 'samples' / name).read_bytes()
    if expected.get('refuse'):
        # WHEN inspected / THEN refused
        with pytest.raises(Refusal):
            inspect_csv(data)
        return
    # WHEN inspected
    inspection = inspect_csv(data)
    # THEN the source columns are the expected ones
    assert {'EMAIL': inspection.mapping.email, 'POINTS': inspection.mapping.points} == expected
    # AND the normalized file's EMAIL/POINTS columns hold the same emails and balances as the source
    uploaded = list(csv.reader(io.StringIO(inspection.normalized.content.decode('utf-8'), newline='')))
    normalized = inspection.normalized
    assert len(uploaded) == inspection.rows + 1
    first = uploaded[1]
    assert '@' in first[normalized.email_index]
    assert first[normalized.points_index].isdigit()
    assert inspection.validation.invalid_rows == 0
