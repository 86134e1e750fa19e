"""How the emulator parses an uploaded file, like Wix: UTF-8 comma CSV, or FAILED with a reason."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.fakes.clock import FakeClock
from wix_emulator import EmulatorSettings, WixEmulator
from wix_emulator.parsing import parse_file
from wix_emulator.testing import RawWixApi


@pytest.mark.parametrize(
    ('content', 'reason_part'),
    [
        pytest.param(b'', 'empty', id='empty'),
        pytest.param(b'\r\n \r\n', 'empty', id='only-blank-lines'),
        pytest.param('Name;Email;Punkte\nJürgen;j@example.com;5\n'.encode('cp1252'), 'UTF-8', id='cp1252'),
        pytest.param('Email,Points\n'.encode('utf-16'), 'UTF-8', id='utf16'),
        pytest.param(b' , ,\r\na@example.com,1,2\r\n', 'header', id='blank-header'),
        pytest.param(b'Email,Points\r\n', 'no data rows', id='header-only'),
        pytest.param(
            ','.join(f'c{i}' for i in range(101)).encode() + b'\r\n1\r\n', '101 columns', id='101-columns'
        ),
        pytest.param(
            b'Email,Points\r\na@example.com,' + b'9' * 1001 + b'\r\n', '1000 characters', id='long-cell'
        ),
        pytest.param(b'Email,Points\r\n"a@example.com,1\r\n', 'not a valid CSV', id='unclosed-quote'),
        pytest.param(b'Email,Points\r\na@example.com\x00,1\r\n', 'NUL', id='nul-byte'),
    ],
)
def test_unparseable_files_fail_with_a_reason(content: bytes, reason_part: str) -> None:
    # GIVEN a file Wix cannot read / WHEN parsed / THEN an error naming the problem
    outcome = parse_file(content)
    assert outcome.error is not None
    assert reason_part in outcome.error
    assert len(outcome.error) <= 1000


def test_limits_are_inclusive() -> None:
    # GIVEN exactly 100 columns and a 1000-character cell / WHEN parsed / THEN accepted
    header = ','.join(f'c{i}' for i in range(100))
    outcome = parse_file(f'{header}\r\n{"x" * 1000},1\r\n'.encode())
    assert outcome.error is None
    assert len(outcome.header) == 100
    assert outcome.rows == [['x' * 1000, '1']]


def test_bom_quotes_and_blank_lines_are_handled() -> None:
    # GIVEN a UTF-8 file with a BOM, a quoted comma, a multi-line cell and blank lines
    content = (
        '\ufeffName,Email,Points\r\n"Doe, Jane",jane@example.com,5\r\n\r\n"two\nlines",x@example.com,6\r\n'
    )
    # WHEN parsed
    outcome = parse_file(content.encode('utf-8'))
    # THEN the BOM is not part of the header and the blank line is not a row
    assert outcome.error is None
    assert outcome.header == ['Name', 'Email', 'Points']
    assert outcome.rows == [['Doe, Jane', 'jane@example.com', '5'], ['two\nlines', 'x@example.com', '6']]


def test_semicolon_file_parses_as_one_column() -> None:
    # GIVEN a semicolon file in UTF-8 / WHEN parsed / THEN Wix only knows commas: one wide column
    outcome = parse_file(b'Email;Points\r\na@example.com;5\r\n')
    assert outcome.header == ['Email;Points']
    assert outcome.sample_rows == [['a@example.com;5']]


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def api(clock: FakeClock, wix_contract: dict[str, Any]) -> Iterator[RawWixApi]:
    with (
        WixEmulator(EmulatorSettings(parse_delay_s=4), clock=clock) as emu,
        RawWixApi(emu, wix_contract) as raw,
    ):
        yield raw


def test_unparseable_upload_ends_failed_with_parse_error_reason(
    api: RawWixApi, clock: FakeClock, wix_contract: dict[str, Any]
) -> None:
    # GIVEN a cp1252 file uploaded and created
    created = api.upload_and_create(
        'punkte.csv', 'E-Mail,Punkte\r\nmüller@example.com,5\r\n'.encode('cp1252')
    )
    # WHEN the parse delay passes
    clock.advance(2)
    parsing = api.get_import(created['id'])
    clock.advance(2)
    failed = api.get_import(created['id'])
    # THEN it went through PARSING to FAILED, with only the reason as parse result
    assert parsing['status'] == 'PARSING'
    assert failed['status'] == 'FAILED'
    assert failed['status'] in wix_contract['terminal_statuses']
    assert set(failed['parseResult']) == {'parseErrorReason'}
    assert 'UTF-8' in failed['parseResult']['parseErrorReason']
    assert 'header' not in failed['fileMetadata']
    assert failed['revision'] == '3'
