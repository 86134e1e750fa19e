from __future__ import annotations

import pytest
from pydantic import ValidationError

from loyalty_import.pipeline.crosscheck import check_parsed_file, preview_rows
from loyalty_import.pipeline.settings import (
    ExecutorSettings,
    FinalizerSettings,
    FromEnvironment,
    ImporterSettings,
    PollerSettings,
)
from loyalty_import.wix.models import LoyaltyImport
from tests.unit.pipeline.fakes import make_settings

HEADER = ['Name', 'Email', 'Points balance']
ROWS = [['Ann', 'ann@example.com', '10'], ['Bob', 'bob@example.com', '20']]


def parsed(header: list[str], rows: list[list[str]]) -> LoyaltyImport:
    return LoyaltyImport.model_validate(
        {
            'id': 'i',
            'status': 'PARSED',
            'fileMetadata': {
                'header': {'values': header},
                'sampleDataRows': [{'values': row} for row in rows],
            },
        }
    )


def check(wix_import: LoyaltyImport) -> str | None:
    error = check_parsed_file(
        wix_import, expected_header=HEADER, expected_sample_rows=ROWS, email_index=1, points_index=2
    )
    return error.message if error else None


def test_an_identical_reading_passes() -> None:
    assert check(parsed(HEADER, ROWS)) is None


def test_padding_and_trailing_empty_cells_do_not_count_as_differences() -> None:
    assert check(parsed([' Name', 'Email ', 'Points balance', ''], [[*ROWS[0], ''], ROWS[1]])) is None


@pytest.mark.parametrize(
    ('header', 'rows', 'says'),
    [
        (['Name;Email;Points balance'], ROWS, 'header'),
        (['Name', 'Points balance', 'Email'], ROWS, 'header'),
        (HEADER, [['Ann', 'ann@example.com', '1'], ROWS[1]], 'row 1'),
        (HEADER, [*ROWS, ['Cy', 'cy@example.com', '3']], 'more sample rows'),
        ([], ROWS, 'no header'),
    ],
)
def test_any_disagreement_is_a_mismatch(header: list[str], rows: list[list[str]], says: str) -> None:
    message = check(parsed(header, rows))
    assert message is not None
    assert says in message


def test_preview_rows_reads_the_first_non_blank_data_rows() -> None:
    content = b'\xef\xbb\xbfemail,points\r\na@x.io,1\r\n\r\nb@x.io,"2"\r\nc@x.io,3\r\n'
    assert preview_rows(content, limit=2) == [['a@x.io', '1'], ['b@x.io', '2']]


def test_settings_come_from_the_template_variables() -> None:
    settings = make_settings(RESULTS_PREFIX='out', IMPORT_DEADLINE_SECONDS='600')
    assert settings.results_prefix == 'out/'
    assert settings.import_deadline_seconds == 600
    assert settings.max_file_bytes == 10 * 1024 * 1024


@pytest.mark.parametrize('model', [ImporterSettings, PollerSettings, ExecutorSettings, FinalizerSettings])
def test_a_missing_variable_fails_at_cold_start(model: type[FromEnvironment]) -> None:
    with pytest.raises(ValidationError):
        model.from_env({'IMPORTS_TABLE': 'imports'})


def test_each_function_loads_only_the_variables_it_uses() -> None:
    # GIVEN the settings models of the four functions
    def names(model: type[FromEnvironment]) -> set[str]:
        return {field.alias for field in model.model_fields.values() if field.alias}

    # THEN only the importer reads the importer's own variables, and only the poller the poll cap
    importer_only = {'IDEMPOTENCY_TABLE', 'STATE_MACHINE_ARN', 'MAX_FILE_BYTES', 'PARSE_WAIT_SECONDS'}
    assert importer_only <= names(ImporterSettings)
    assert 'POLL_FIRST_WAIT_SECONDS' in names(ImporterSettings)
    assert names(PollerSettings) - names(ExecutorSettings) == {'POLL_MAX_WAIT_SECONDS'}
    assert not importer_only & (names(PollerSettings) | names(ExecutorSettings) | names(FinalizerSettings))
    assert 'IMPORTS_TABLE' not in names(PollerSettings)
    # the functions that may execute take the snapshot (it writes under the results prefix);
    # only the finalizer verifies
    snapshot = {'SNAPSHOT_BEFORE_IMPORT', 'BALANCE_SHIFT_DROP_SHARE_PERCENT', 'BALANCE_SHIFT_JUMP_FACTOR'}
    assert snapshot <= names(ImporterSettings) & names(ExecutorSettings)
    assert not snapshot & names(FinalizerSettings)
    assert {'INCOMING_PREFIX', 'RESULTS_PREFIX'} <= names(FinalizerSettings) & names(ExecutorSettings)
    verify = {'VERIFY_SAMPLE_SIZE', 'VERIFY_RETRY_SECONDS'}
    assert verify <= names(FinalizerSettings) - names(ExecutorSettings)


@pytest.mark.parametrize(
    ('incoming', 'results'), [('incoming/', 'incoming/results/'), ('', 'results/'), ('in/', '')]
)
def test_results_can_never_land_where_they_would_trigger_the_importer(incoming: str, results: str) -> None:
    with pytest.raises(ValidationError):
        make_settings(INCOMING_PREFIX=incoming, RESULTS_PREFIX=results)
