"""The evaluation's pieces (local/evaluation): reading a file as a table, each variant, the classifier."""

from __future__ import annotations

import csv
import io
import json
import random
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

import evaluation
from evaluation import corpora, scoring, variants
from evaluation.corpora import Case, Corpus
from evaluation.expectations import NOT_A_BALANCE_FILE, Expectation, from_answer, from_hostile
from evaluation.scoring import CATEGORIES, Decision, classify
from evaluation.table import NotRoundTrippable, Table, read_table

ROWS = [
    ['Ana Núñez', 'ana@example.com', '120', '900'],
    ['Bo Berg', 'bo@example.com', '0', '40'],
    ['Chloé Roy', 'chloe@example.com', '3500', '5000'],
    ['Dan Levi', 'dan@example.com', '75', '75'],
]
HEADER = ['Name', 'Email', 'Points balance', 'Lifetime points']
PAIR = (1, 2)


def csv_text(rows: list[list[str]], delimiter: str = ',', newline: str = '\n') -> str:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator=newline).writerows(rows)
    return buffer.getvalue()


def small_table(*, header: bool = True) -> Table:
    return read_table(csv_text([HEADER, *ROWS] if header else ROWS).encode(), has_header=header)


def rng() -> random.Random:
    return random.Random('test')


def parsed(table: Table) -> list[list[str]]:
    data = table.to_bytes()
    return list(csv.reader(io.StringIO(data.decode(table.encoding), newline=''), delimiter=table.delimiter))


# ------------------------------------------------------------------------------------------------
# Reading a file as a table, and writing it back byte for byte
# ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ('encoding', 'delimiter', 'newline', 'bom'),
    [
        ('utf-8', ',', '\n', b''),
        ('cp1252', ';', '\r\n', b''),
        ('utf-8-sig', '\t', '\r\n', b''),
        ('utf-16', ',', '\n', b''),
        ('utf-16-be', '|', '\r', b'\xfe\xff'),
    ],
)
def test_a_file_is_written_back_byte_for_byte_in_its_encoding_and_delimiter(
    encoding: str, delimiter: str, newline: str, bom: bytes
) -> None:
    # GIVEN a small export in an encoding, delimiter and line end
    data = bom + csv_text([HEADER, *ROWS], delimiter, newline).encode(encoding)
    # WHEN it is read as a table with no hints at all, and written back
    table = read_table(data)
    # THEN the table is what the file holds, and its bytes are the file's
    assert (table.header, table.body, table.delimiter, table.newline) == (HEADER, ROWS, delimiter, newline)
    assert table.to_bytes() == data


def test_a_file_quoting_every_cell_is_written_back_quoting_every_cell() -> None:
    buffer = io.StringIO()
    csv.writer(buffer, quoting=csv.QUOTE_ALL, lineterminator='\r\n').writerows([HEADER, *ROWS])
    data = buffer.getvalue().encode('cp1252')
    assert read_table(data, encoding='cp1252').to_bytes() == data


def test_title_lines_above_the_table_are_kept_and_a_headerless_file_is_seen_as_such() -> None:
    data = ('Loyalty export 2024\n' + csv_text(ROWS)).encode()
    table = read_table(data)
    assert (table.preamble, table.header, table.body) == ('Loyalty export 2024\n', None, ROWS)
    assert table.to_bytes() == data


@pytest.mark.parametrize(
    'data',
    [
        b'\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03\x81\x8d',  # gzip
        b'Name,Email\x00,Points\na,b@example.com,1\n',  # NUL
        b'Email,Points\na@example.com,"10\nb@example.com,20\n',  # a quote never closed
        b'Email\na@example.com\n',  # one column
        b'',
    ],
)
def test_what_cannot_be_read_back_faithfully_is_not_varied(data: bytes) -> None:
    with pytest.raises(NotRoundTrippable):
        read_table(data)


# ------------------------------------------------------------------------------------------------
# The variants
# ------------------------------------------------------------------------------------------------


def test_no_header_removes_the_header_and_forbids_auto() -> None:
    made = variants.no_header(small_table(), Expectation(PAIR), rng())
    assert made is not None
    table, expect = made
    assert parsed(table) == ROWS
    assert (expect.pair, expect.auto_ok) == (PAIR, False)
    assert variants.no_header(small_table(header=False), Expectation(PAIR), rng()) is None


def test_neutral_header_renames_only_the_points_header_and_forbids_auto() -> None:
    made = variants.neutral_header(small_table(), Expectation(PAIR), rng())
    assert made is not None
    table, expect = made
    header, *body = parsed(table)
    assert header[2] in variants.NEUTRAL_HEADERS
    assert [h for i, h in enumerate(header) if i != 2] == [h for i, h in enumerate(HEADER) if i != 2]
    assert body == ROWS
    assert (expect.pair, expect.auto_ok) == (PAIR, False)


def test_flag_values_puts_zeros_and_ones_in_the_points_column_only() -> None:
    made = variants.flag_values(small_table(), Expectation(PAIR), rng())
    assert made is not None
    table, expect = made
    _, *body = parsed(table)
    assert {row[2] for row in body} <= {'0', '1'}
    assert [[c for i, c in enumerate(row) if i != 2] for row in body] == [
        [c for i, c in enumerate(row) if i != 2] for row in ROWS
    ]
    assert (expect.auto_ok, expect.refuse_ok, expect.refuse_codes) == (False, True, None)


def test_repeated_rows_repeats_each_customer_with_different_points_and_must_be_refused() -> None:
    made = variants.repeated_rows(small_table(), Expectation(PAIR), rng())
    assert made is not None
    table, expect = made
    _, *body = parsed(table)
    for original in ROWS:
        copies = [row for row in body if row[1] == original[1]]
        assert 2 <= len(copies) <= 3
        assert original in copies
        assert len({row[2] for row in copies}) == len(copies), 'each copy holds other points'
    assert expect.pair is None
    assert expect.refuse_codes == frozenset([NOT_A_BALANCE_FILE])


def test_reversed_columns_reverses_every_row_and_maps_the_answer() -> None:
    made = variants.reversed_columns(small_table(), Expectation(PAIR), rng())
    assert made is not None
    table, expect = made
    assert parsed(table) == [row[::-1] for row in [HEADER, *ROWS]]
    assert expect.pair == (2, 1)
    refused = variants.reversed_columns(small_table(), from_answer({'refuse': True}), rng())
    assert refused is not None
    assert refused[1].must_refuse


def test_other_unit_inserts_a_balance_in_another_unit_and_shifts_the_answer() -> None:
    for seed in range(20):  # every insertion point, before, between and after the pair
        made = variants.other_unit(small_table(), Expectation(PAIR), random.Random(seed))
        assert made is not None
        table, expect = made
        header, *body = parsed(table)
        assert expect.pair is not None
        inserted = next(i for i, name in enumerate(header) if name not in HEADER)
        assert header[inserted] in [name for name, _ in variants.OTHER_UNITS]
        assert all(row[inserted].isdigit() for row in body)
        assert [h for i, h in enumerate(header) if i != inserted] == HEADER
        assert (header[expect.pair[0]], header[expect.pair[1]]) == ('Email', 'Points balance')
        assert [row[expect.pair[1]] for row in body] == [row[2] for row in ROWS]


def test_row_counter_adds_a_leading_one_to_n_column_and_shifts_the_answer() -> None:
    made = variants.row_counter(small_table(), Expectation(PAIR), rng())
    assert made is not None
    table, expect = made
    header, *body = parsed(table)
    assert header[0] in variants.COUNTER_HEADERS
    assert header[1:] == HEADER
    assert [row[0] for row in body] == ['1', '2', '3', '4']
    assert [row[1:] for row in body] == ROWS
    assert expect.pair == (2, 3)


def test_variants_are_the_same_bytes_on_every_run() -> None:
    table, expect = small_table(), Expectation(PAIR)
    for kind in variants.KINDS:
        first = variants.make(kind, 'c', 'f.csv', table, expect)
        again = variants.make(kind, 'c', 'f.csv', table, expect)
        assert first is not None
        assert again is not None
        assert first[0].to_bytes() == again[0].to_bytes()


# ------------------------------------------------------------------------------------------------
# The classifier: every category is reachable
# ------------------------------------------------------------------------------------------------

MAPPED = Expectation(PAIR)
REFUSE = Expectation(None, refuse_ok=True, refuse_codes=frozenset(['NO_EMAIL_COLUMN']))
NO_AUTO = Expectation(PAIR, auto_ok=False)
FLAGS = Expectation(PAIR, refuse_ok=True, auto_ok=False)


def review(pair: tuple[int, int], emails: list[int], points: list[int]) -> Decision:
    return Decision('review', pair=pair, choices={'EMAIL': emails, 'POINTS': points})


@pytest.mark.parametrize(
    ('expect', 'got', 'category'),
    [
        (MAPPED, Decision('auto', pair=PAIR), 'auto_right'),
        (MAPPED, Decision('auto', pair=(1, 3)), 'auto_wrong'),
        (REFUSE, Decision('auto', pair=PAIR), 'auto_wrong'),
        (NO_AUTO, Decision('auto', pair=PAIR), 'auto_wrong'),
        (FLAGS, Decision('auto', pair=PAIR), 'auto_wrong'),
        (NO_AUTO, review(PAIR, [1], [2, 3]), 'review_right'),
        (NO_AUTO, review((1, 3), [1], [3, 2]), 'review_in_choices'),
        (NO_AUTO, review((1, 3), [1], [3, 0]), 'review_missing'),
        (MAPPED, Decision('refuse', code='AMBIGUOUS_POINTS'), 'refused_answerable'),
        (REFUSE, Decision('refuse', code='NO_EMAIL_COLUMN'), 'refused_rightly'),
        (FLAGS, Decision('refuse', code='NO_POINTS_COLUMN'), 'refused_rightly'),
        (REFUSE, review(PAIR, [1], [2]), 'review_should_refuse'),
        (MAPPED, Decision('error', code='KeyError'), 'error'),
    ],
)
def test_each_category_is_reachable(expect: Expectation, got: Decision, category: str) -> None:
    assert classify(expect, got)[0] == category


def test_the_classifier_covers_every_category() -> None:
    cases = test_each_category_is_reachable.pytestmark[0].args[1]  # type: ignore[attr-defined]
    assert {category for _, _, category in cases} == set(CATEGORIES)


def test_a_refusal_with_another_code_is_still_right_but_counted_as_a_mismatch() -> None:
    assert classify(REFUSE, Decision('refuse', code='TOO_MANY_INVALID_ROWS')) == ('refused_rightly', True)
    assert classify(REFUSE, Decision('refuse', code='NO_EMAIL_COLUMN')) == ('refused_rightly', False)
    assert classify(from_answer({'refuse': True}), Decision('refuse', code='X')) == ('refused_rightly', False)


def test_hostile_specs_read_as_expectations() -> None:
    assert from_hostile({'refusals': '*', 'mapping': {'EMAIL': 0, 'POINTS': 2}}) == Expectation(
        (0, 2), refuse_ok=True
    )
    assert from_hostile({'refusals': [], 'mapping': {'EMAIL': 0, 'POINTS': 2}}) == Expectation((0, 2))
    assert from_hostile({'refusals': ['EMPTY_FILE'], 'mapping': None}) == Expectation(
        None, refuse_ok=True, refuse_codes=frozenset(['EMPTY_FILE'])
    )


# ------------------------------------------------------------------------------------------------
# Reading the engine's decision, under today's contract and the three-tier one
# ------------------------------------------------------------------------------------------------


def fake_engine(monkeypatch: pytest.MonkeyPatch, result: Any) -> None:
    def inspect_csv(data: bytes) -> Any:
        if isinstance(result, BaseException):
            raise result
        return result

    monkeypatch.setattr('loyalty_import.inspection.inspect_csv', inspect_csv)


def test_an_inspection_without_a_decision_is_auto_on_its_mapping(monkeypatch: pytest.MonkeyPatch) -> None:
    fake_engine(monkeypatch, SimpleNamespace(mapping=SimpleNamespace(email=1, points=2)))
    assert scoring.decide(b'') == Decision('auto', pair=PAIR, choices={'EMAIL': [1], 'POINTS': [2]})


def test_a_review_decision_carries_its_choices(monkeypatch: pytest.MonkeyPatch) -> None:
    from loyalty_import.inspection.models import Role  # noqa: PLC0415

    inspection = SimpleNamespace(
        mapping=SimpleNamespace(email=1, points=2),
        decision='review',
        choices={Role.EMAIL: [1], Role.POINTS: [2, 3]},
    )
    fake_engine(monkeypatch, inspection)
    assert scoring.decide(b'') == Decision('review', pair=PAIR, choices={'EMAIL': [1], 'POINTS': [2, 3]})


def test_a_refusal_is_refuse_and_any_other_exception_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    from loyalty_import.inspection import Refusal, RefusalCode  # noqa: PLC0415

    fake_engine(monkeypatch, Refusal(RefusalCode.NO_EMAIL_COLUMN, 'no email'))
    assert scoring.decide(b'') == Decision('refuse', code='NO_EMAIL_COLUMN', message='no email')
    fake_engine(monkeypatch, KeyError('boom'))
    assert scoring.decide(b'').decision == 'error'
    fake_engine(monkeypatch, SimpleNamespace(mapping=SimpleNamespace(email=1, points=2), decision='maybe'))
    assert scoring.decide(b'').decision == 'error'


# ------------------------------------------------------------------------------------------------
# The run and its report
# ------------------------------------------------------------------------------------------------


def test_a_run_scores_each_file_and_its_variants_into_the_json_line(monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN a corpus of one answerable file and one refused file, and an engine that auto-maps (1, 2)
    fake_engine(monkeypatch, SimpleNamespace(mapping=SimpleNamespace(email=1, points=2)))
    data = csv_text([HEADER, *ROWS]).encode()
    corpus = Corpus(
        'tiny',
        [
            Case('tiny', 'good.csv', data, MAPPED),
            Case('tiny', 'bad.csv', data, from_answer({'refuse': True})),
        ],
    )
    # WHEN it is evaluated
    report = evaluation.run([corpus])
    summary = json.loads(json.dumps(report.to_json()))
    # THEN every kind was made from the answerable file, and reversed/row_counter from the refused one
    kinds = summary['corpora']['tiny']
    assert {kind: sum(counts.values()) for kind, counts in kinds.items()} == {
        'original': 2,
        'no_header': 1,
        'neutral_header': 1,
        'flag_values': 1,
        'repeated_rows': 1,
        'reversed_columns': 2,
        'other_unit': 1,
        'row_counter': 2,
    }
    # AND auto-importing everything is right only where the pair stays (1, 2) and auto is allowed
    assert kinds['original']['auto_right'] == 1
    assert summary['auto_rate_clear'] == 1.0
    assert kinds['other_unit']['auto_right'] + kinds['other_unit']['auto_wrong'] == 1  # where it went in
    assert summary['auto_wrong'] == len(report.failures) == 10 - kinds['other_unit']['auto_right']
    assert {w['kind'] for w in summary['wrong']} >= {'no_header', 'repeated_rows', 'other_unit'}


def test_the_external_corpus_may_be_absent_or_partial(tmp_path: Path) -> None:
    assert not corpora.external(tmp_path / 'missing').present
    (tmp_path / 'vendor').mkdir()
    (tmp_path / 'vendor' / 'a.csv').write_bytes(csv_text([HEADER, *ROWS]).encode())
    (tmp_path / 'vendor' / 'unlabelled.csv').write_bytes(b'x,y\n1,2\n')
    labels = {
        'vendor/a.csv': {
            'answer': {'EMAIL': 1, 'POINTS': 2},
            'clear_headers': False,
            'delimiter': ',',
            'header_row': 0,
        },
        'vendor/not_yet.csv': {'answer': {'refuse': True, 'code': 'NO_EMAIL_COLUMN'}},
        'vendor/odd.csv': {'answer': 'maybe'},
    }
    (tmp_path / 'labels.json').write_text(json.dumps(labels), encoding='utf-8')
    corpus = corpora.external(tmp_path)
    assert [(c.name, c.clear_headers, c.expect.auto_ok, c.preamble_lines) for c in corpus.cases] == [
        ('vendor/a.csv', False, False, 0)
    ]
    assert {file for file, _ in corpus.skipped} == {
        'vendor/not_yet.csv',
        'vendor/odd.csv',
        'vendor/unlabelled.csv',
    }
