from __future__ import annotations

import json

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


def test_a_review_decision_carries_what_a_person_is_asked_and_is_never_imported_on_its_own() -> None:
    # GIVEN a file whose balance is counted in stamps (another unit than points)
    rows = [['Email', 'Stamps balance']] + [[f'c{n}@example.com', str(3 + (n * 7) % 11)] for n in range(12)]
    data = '\n'.join(','.join(row) for row in rows).encode()
    # WHEN the importer's adapter inspects it
    outcome = inspect_file(data, Overrides())
    # THEN it carries a review: the proposal, the choices, the reason, the columns with masked samples
    review = outcome.review
    assert review is not None
    assert (review.email_column, review.points_column) == (0, 1)
    assert [reason.code for reason in review.reasons] == ['OTHER_UNIT']
    assert "'Stamps balance' (column 1" in review.reasons[0].message
    assert review.choices['POINTS'][0] == 1
    assert review.columns[0].samples == ['c***@example.com']
    assert review.columns[1].samples[:2] == ['3', '10']
    assert review.preview_rows[0] == ['c***@example.com', '3']
    assert (review.file.rows, review.file.delimiter, review.file.has_header) == (12, ',', True)
    assert review.header == ['Email', 'Stamps balance'] == outcome.header
    # AND a deployment whose program counts stamps (PointsNames) imports it on its own
    auto = inspect_file(data, Overrides(), points_names='Stamps')
    assert auto.review is None
    assert auto.mapping.points.column == 1


def test_a_remembered_layout_is_rechecked_on_content() -> None:
    # GIVEN a headerless-looking layout whose remembered columns are given as overrides to recheck
    good = '\n'.join(f'c{n}@example.com,{10 + n * 3}' for n in range(12)).encode()
    flags = '\n'.join(f'c{n}@example.com,{n % 2}' for n in range(12)).encode()
    remembered = Overrides(email_column=0, points_column=1)
    # WHEN the same columns are inspected with their content rechecked
    # THEN balances pass, but a column of 0/1 flags asks a person again
    assert inspect_file(good, remembered, recheck_content=True).review is None
    again = inspect_file(flags, remembered, recheck_content=True).review
    assert again is not None
    assert [reason.code for reason in again.reasons] == ['CONTENT_DOUBT']
    # AND a person's own override is trusted as before
    assert inspect_file(flags, remembered).review is None


def test_a_wide_file_offers_the_first_columns_and_every_candidate() -> None:
    # GIVEN a headerless file of 80 columns whose emails and balances sit in columns 70 and 75
    rows = []
    for n in range(10):
        cells = [f'x{n}'] * 80
        cells[70], cells[75] = f'c{n}@example.com', str(10 + n * 7)
        rows.append(','.join(cells))
    outcome = inspect_file('\n'.join(rows).encode(), Overrides())
    # THEN the review offers the first 50 columns and the candidates, not all 80
    review = outcome.review
    assert review is not None
    offered = [column.index for column in review.columns]
    assert offered[:50] == list(range(50))
    assert {70, 75} <= set(offered)
    assert len(offered) < 80
