"""Checks on the corpus itself, independent of the engine: the expectations must be honest.

The files are read as bytes and parsed with the encoding and delimiter recorded when they were
made, so a mistake in an expectation (an index off by one, a column that is not what it claims)
shows up here rather than as a false verdict against the engine.
"""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path
from typing import Any

import pytest

from tests.corpus import make_layouts

CORPUS_DIR = Path(__file__).resolve().parent
LAYOUTS_DIR = CORPUS_DIR / 'layouts'
HOSTILE_DIR = CORPUS_DIR / 'hostile'
EXPECTED: dict[str, dict[str, Any]] = json.loads((LAYOUTS_DIR / 'expected.json').read_text(encoding='utf-8'))
MANIFEST: dict[str, dict[str, Any]] = json.loads((LAYOUTS_DIR / 'manifest.json').read_text(encoding='utf-8'))
HOSTILE: dict[str, dict[str, Any]] = json.loads((HOSTILE_DIR / 'expected.json').read_text(encoding='utf-8'))
# Unicode-aware on purpose: internationalized addresses (jürgen@bäckerei.example) are emails too.
EMAIL = re.compile(r"^[\w.%+'-]+@[\w-]+(\.[\w-]+)*\.[^\W\d_]{2,}$")
NO_VALUE = {'', 'N/A', 'n/a', '-'}
REFUSAL_CODES = {'NO_EMAIL_COLUMN', 'NO_POINTS_COLUMN', 'AMBIGUOUS_EMAIL', 'AMBIGUOUS_POINTS'}


def read_rows(name: str) -> list[list[str]]:
    meta = MANIFEST[name]
    encoding = 'utf-16' if meta['encoding'].startswith('utf-16') else meta['encoding']
    text = (LAYOUTS_DIR / name).read_bytes().decode(encoding)
    rows = list(csv.reader(io.StringIO(text, newline=''), delimiter=meta['delimiter']))
    return rows[meta['preamble_lines'] :]


def test_every_layout_file_has_an_expectation_and_vice_versa() -> None:
    # GIVEN the committed layout folder
    on_disk = {path.name for path in LAYOUTS_DIR.glob('*.csv')}
    # THEN files, expectations and manifest list the same names
    assert on_disk == set(EXPECTED) == set(MANIFEST)
    # AND the corpus is as broad as promised: >= 50 layouts of which >= 10 must be refused
    refusals = [name for name, answer in EXPECTED.items() if answer.get('refuse')]
    assert len(on_disk) >= 50
    assert len(refusals) >= 10
    assert {EXPECTED[name].get('code') for name in refusals} - {None} == REFUSAL_CODES


@pytest.mark.parametrize('name', sorted(EXPECTED))
def test_expected_columns_hold_what_they_claim(name: str) -> None:
    # GIVEN a layout parsed with the encoding and delimiter it was written in
    rows = read_rows(name)
    meta, answer = MANIFEST[name], EXPECTED[name]
    data_rows = [
        row for row in (rows[1:] if meta['has_header'] else rows) if any(cell.strip() for cell in row)
    ]
    # THEN it is a realistic size and rectangular
    assert 20 <= len(data_rows) <= 60
    assert {len(row) for row in rows} == {meta['columns']}
    if answer.get('refuse'):
        return
    # AND the expected EMAIL column is emails, the expected POINTS column non-negative integers
    emails = [row[answer['EMAIL']].strip() for row in data_rows]
    cells = [row[answer['POINTS']].strip() for row in data_rows]
    points = [make_layouts.parse_points(cell) for cell in cells]
    valid = [i for i, email in enumerate(emails) if EMAIL.match(email)]
    assert len(valid) >= 0.6 * len(emails)  # CRM and POS exports leave some customers without one
    # at most one stray non-blank non-email: a header repeated mid-file
    assert len(valid) >= len([email for email in emails if email]) - 1
    # a row with an email has a non-negative integer balance, or says it has none
    assert all(points[i] is not None or cells[i] in NO_VALUE for i in valid)
    assert all(value >= 0 for value in points if value is not None)
    assert sum(points[i] is not None for i in valid) >= 0.5 * len(valid)
    # AND the pairs the normalized file is checked against come from that very row
    pairs = {(email.lower(), value) for email, value in zip(emails, points, strict=True) if email}
    assert meta['checks']
    assert all((email, value) in pairs for email, value in meta['checks'])


@pytest.mark.parametrize('name', sorted(name for name, answer in EXPECTED.items() if answer.get('refuse')))
def test_refused_layouts_really_lack_a_single_answer(name: str) -> None:
    # GIVEN a layout a careful reader refuses
    rows = read_rows(name)
    header, data_rows = (rows[0], rows[1:]) if MANIFEST[name]['has_header'] else ([], rows)
    email_columns = [
        index
        for index in range(len(rows[0]))
        if sum(bool(EMAIL.match(row[index].strip())) for row in data_rows) > len(data_rows) // 2
    ]
    code = EXPECTED[name].get('code', '')
    # THEN the file's content agrees with the reason given
    if code == 'NO_EMAIL_COLUMN':
        assert all('owner' in header[i].lower() for i in email_columns)  # staff emails only, if any
    elif code == 'AMBIGUOUS_EMAIL':
        assert len(email_columns) == 2
    else:
        assert len(email_columns) == 1
    if code.startswith('AMBIGUOUS'):
        assert MANIFEST[name]['override'] is not None


def test_hostile_expectations_are_well_formed() -> None:
    # GIVEN the committed hostile folder
    on_disk = {path.name for path in HOSTILE_DIR.glob('*.csv')}
    # THEN every file has an expectation that allows at least one outcome
    assert on_disk == set(HOSTILE)
    for name, spec in HOSTILE.items():
        assert spec['refusals'] == '*' or isinstance(spec['refusals'], list), name
        assert spec['refusals'] or spec['mapping'], name
        if spec['mapping']:
            assert spec['checks'], name


def test_committed_corpus_stays_small() -> None:
    # GIVEN everything committed under tests/corpus (big inputs are generated at test time)
    total = sum(path.stat().st_size for path in CORPUS_DIR.rglob('*') if path.is_file())
    # THEN it stays under 3 MB
    assert total < 3 * 1024 * 1024


def test_generator_reproduces_the_committed_files() -> None:
    # GIVEN the generator with its fixed seed
    gen = make_layouts.Gen(make_layouts.SEED)
    layouts = make_layouts.build_layouts(gen)
    hostile_files, hostile_expected = make_layouts.build_hostile(gen)
    # THEN it renders exactly the committed bytes (the files are the source of truth for the tests)
    for layout in layouts:
        assert make_layouts.render(layout) == (LAYOUTS_DIR / layout.name).read_bytes(), layout.name
        assert layout.expected == EXPECTED[layout.name]
    for name, data in hostile_files.items():
        assert data == (HOSTILE_DIR / name).read_bytes(), name
    assert json.loads(json.dumps(hostile_expected)) == HOSTILE
