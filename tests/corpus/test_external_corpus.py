"""Checks on the external corpus (tests/corpus/external): real CSV files published by other projects.

These tests check the corpus itself, not the engine: every file has a label and every label a
file, the committed bytes are the ones the label was written for, each file says where it came
from, and each answer is well-formed and points at columns that exist when the file is read with
Python's csv module, the recorded encoding and delimiter, from the recorded first row of the table.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from pathlib import Path
from typing import Any

import pytest

EXTERNAL_DIR = Path(__file__).resolve().parent / 'external'
LABELS_PATH = EXTERNAL_DIR / 'labels.json'
NOT_CORPUS = {'README.md', 'labels.json'}
LABELS: dict[str, dict[str, Any]] = json.loads(LABELS_PATH.read_text(encoding='utf-8'))
REFUSAL_CODES = {
    'NO_POINTS_COLUMN',
    'NO_EMAIL_COLUMN',
    'NOT_A_BALANCE_FILE',
    'NOT_A_CSV',
    'EMPTY_FILE',
    'AMBIGUOUS_POINTS',
    'AMBIGUOUS_EMAIL',
}
KINDS = {'shop', 'crm', 'mail', 'pos', 'loyalty', 'library', 'other'}
COMMIT = re.compile(r'^[0-9a-f]{40}$')
REPO = re.compile(r'^[A-Za-z0-9][A-Za-z0-9_.-]*/[A-Za-z0-9][A-Za-z0-9_.-]*$')
MIN_FILES = 60
MIN_SOURCES = 25


def corpus_files() -> set[str]:
    return {
        path.relative_to(EXTERNAL_DIR).as_posix()
        for path in EXTERNAL_DIR.rglob('*')
        if path.is_file() and path.name not in NOT_CORPUS
    }


def table_rows(name: str) -> list[list[str]]:
    label = LABELS[name]
    text = (EXTERNAL_DIR / name).read_bytes().decode(label['encoding'])
    rows = list(csv.reader(io.StringIO(text, newline=''), delimiter=label['delimiter']))
    return rows[label.get('header_row', 0) :]


def test_every_file_has_a_label_and_every_label_a_file() -> None:
    # GIVEN the files under external/ and the labels
    on_disk = corpus_files()
    # THEN they name the same files
    assert sorted(on_disk - LABELS.keys()) == []
    assert sorted(LABELS.keys() - on_disk) == []


def test_corpus_is_big_and_varied_enough() -> None:
    # GIVEN the labels
    sources = {label['source']['repo'] for label in LABELS.values()}
    # THEN there are enough files from enough distinct projects
    assert len(LABELS) >= MIN_FILES
    assert len(sources) >= MIN_SOURCES


@pytest.mark.parametrize('name', sorted(LABELS))
def test_committed_bytes_are_the_labelled_bytes(name: str) -> None:
    # GIVEN a labelled file
    data = (EXTERNAL_DIR / name).read_bytes()
    # THEN its bytes hash to the recorded sha256
    assert hashlib.sha256(data).hexdigest() == LABELS[name]['sha256']


@pytest.mark.parametrize('name', sorted(LABELS))
def test_source_says_where_the_file_came_from(name: str) -> None:
    # GIVEN a label's source
    source = LABELS[name]['source']
    # THEN it names a repository, a path, a full commit and a URL made of those
    assert REPO.match(source['repo']), source
    assert source['path'], source
    assert not source['path'].startswith('/'), source
    assert Path(source['path']).name == Path(name).name, source
    assert COMMIT.match(source['commit']), source
    assert source['url'] == f'https://github.com/{source["repo"]}/blob/{source["commit"]}/{source["path"]}'
    assert source['license'], source
    assert source['kind'] in KINDS, source


@pytest.mark.parametrize('name', sorted(LABELS))
def test_answer_is_well_formed(name: str) -> None:
    # GIVEN a label
    label = LABELS[name]
    answer = label['answer']
    # THEN it is either a refusal with a known code or a mapping of both roles, with a reason
    assert isinstance(label['reason'], str)
    assert label['reason'].strip()
    if answer.get('refuse'):
        assert set(answer) == {'refuse', 'code'}
        assert answer['code'] in REFUSAL_CODES
        assert 'clear_headers' not in label
    else:
        assert set(answer) == {'EMAIL', 'POINTS'}
        assert all(isinstance(answer[role], int) and answer[role] >= 0 for role in answer)
        assert answer['EMAIL'] != answer['POINTS']
        assert isinstance(label['clear_headers'], bool)


@pytest.mark.parametrize('name', sorted(LABELS))
def test_file_reads_with_its_recorded_encoding_and_delimiter(name: str) -> None:
    # GIVEN a label's encoding and delimiter
    label = LABELS[name]
    if not (EXTERNAL_DIR / name).stat().st_size:
        # a zero-byte file has no rows to read; only an empty-file refusal may label it
        assert label['answer'].get('code') == 'EMPTY_FILE', name
        return
    # WHEN the file is read with them
    rows = table_rows(name)
    # THEN it decodes and has a first row of the table (after any preamble)
    assert rows, name


MAPPED = sorted(name for name, label in LABELS.items() if not label['answer'].get('refuse'))


@pytest.mark.parametrize('name', MAPPED)
def test_mapped_columns_exist_in_the_first_row(name: str) -> None:
    # GIVEN an answerable file read with its encoding and delimiter
    answer = LABELS[name]['answer']
    rows = table_rows(name)
    width = len(rows[0])
    # THEN both answer columns are within the first row of the table
    assert answer['EMAIL'] < width, (name, width)
    assert answer['POINTS'] < width, (name, width)
    # AND the email column holds at least one address in the rows below
    emails = [row[answer['EMAIL']] for row in rows[1:] if len(row) > answer['EMAIL']]
    assert any('@' in value for value in emails), name
