from __future__ import annotations

import json

import pytest

from loyalty_import.pipeline.errors import FileRefused
from loyalty_import.pipeline.models import Overrides
from loyalty_import.pipeline.steps.inspection import MAX_RECORDED_COLUMNS, bounded_preflight, inspect_file


def wide_file(columns: int) -> bytes:
    header = [f'attribute {index}' for index in range(columns)]
    header[7], header[3000] = 'Email', 'Points balance'
    row = [str(index) for index in range(columns)]
    rows = [header]
    for number in range(5):
        values = list(row)
        values[7], values[3000] = f'customer{number}@example.com', str(100 + 37 * number * number)
        rows.append(values)
    return '\n'.join(','.join(values) for values in rows).encode()


def test_a_wide_file_keeps_its_chosen_columns_in_a_bounded_preflight() -> None:
    # GIVEN a 5,000-column export whose email and balance columns are far apart
    data = wide_file(5000)
    # WHEN the importer's adapter inspects it
    outcome = inspect_file(data, Overrides())
    # THEN the summary stored in the record lists at most MAX_RECORDED_COLUMNS columns, the chosen ones
    # included, and says how many it left out
    preflight = outcome.preflight
    assert preflight is not None
    names = [column['name'] for column in preflight['columns']]
    assert len(names) == MAX_RECORDED_COLUMNS
    assert {'Email', 'Points balance'} <= set(names)
    assert preflight['columns_omitted'] == 5000 - MAX_RECORDED_COLUMNS
    assert len(json.dumps(preflight)) < 50_000


def test_a_narrow_summary_is_kept_whole() -> None:
    summary = {'columns': [{'name': 'Email', 'role': 'EMAIL'}], 'rows': 3}
    assert bounded_preflight(summary) == summary


def test_the_normalized_header_and_rows_are_not_stored_twice() -> None:
    # GIVEN a file whose 40 notes columns hold 1,000-character cells (the record keeps the normalized
    # header and sample rows once already, as expectedHeader / expectedSampleRows)
    header = ['Email', 'Points balance'] + [f'Notes {index}' for index in range(40)]
    rows = [header] + [[f'c{n}@example.com', str(n)] + ['x' * 1000] * 40 for n in range(6)]
    data = '\n'.join(','.join(row) for row in rows).encode()
    # WHEN the importer's adapter inspects it
    outcome = inspect_file(data, Overrides())
    # THEN the pre-flight summary carries no second copy of them
    assert outcome.preflight is not None
    assert 'sample_rows' not in outcome.preflight['normalized']
    assert 'header' not in outcome.preflight['normalized']
    assert len(json.dumps(outcome.preflight)) < 50_000


def test_a_review_decision_is_refused_as_needs_review_with_the_metadata_that_imports_it() -> None:
    # GIVEN a file whose balance is counted in stamps (another unit than points)
    rows = [['Email', 'Stamps balance']] + [[f'c{n}@example.com', str(3 + (n * 7) % 11)] for n in range(12)]
    data = '\n'.join(','.join(row) for row in rows).encode()
    # WHEN the importer's adapter inspects it
    with pytest.raises(FileRefused) as refused:
        inspect_file(data, Overrides())
    # THEN it is never imported on its own: NEEDS_REVIEW, with the reason, the proposal and the metadata
    assert refused.value.code == 'NEEDS_REVIEW'
    message = refused.value.message
    assert "'Stamps balance' (column 1)" in message
    assert 'x-amz-meta-email-column=0 and x-amz-meta-points-column=1' in message
    # AND a deployment whose program counts stamps (PointsNames) imports it
    assert inspect_file(data, Overrides(), points_names='Stamps').mapping.points.column == 1
