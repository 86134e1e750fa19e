from __future__ import annotations

import pytest

from loyalty_import.inspection.dialect import refuse_other_formats, sample_text, sniff
from loyalty_import.inspection.models import Refusal, RefusalCode


@pytest.mark.parametrize('delimiter', [',', ';', '\t', '|'])
def test_the_delimiter_is_the_one_giving_a_consistent_width(delimiter: str) -> None:
    # GIVEN rows where the other candidates also occur inside cells ('1,5', 'a;b')
    rows = [['Name', 'Email', 'Note', 'Points']] + [
        [f'N{i}', f'n{i}@example.com', 'a, b; c', str(i)] for i in range(20)
    ]
    text = '\n'.join(
        delimiter.join(f'"{c}"' if any(d in c for d in ',;\t|') else c for c in row) for row in rows
    )
    # WHEN sniffed / THEN that delimiter wins
    assert sniff(text, truncated=False).delimiter == delimiter


def test_semicolon_beats_comma_when_commas_are_decimal_marks() -> None:
    # GIVEN a German export with decimal commas in one column
    text = 'ID;Name;Umsatz;Punkte\n' + ''.join(f'{i};Name {i};{i},50;{i * 10}\n' for i in range(30))
    # WHEN sniffed / THEN ';'
    assert sniff(text, truncated=False).delimiter == ';'


def test_an_excel_sep_line_decides_and_is_skipped() -> None:
    # GIVEN Excel's 'sep=;' hint line / WHEN sniffed / THEN its delimiter, one line to skip
    dialect = sniff('sep=;\nEmail;Points\na@example.com;1\n', truncated=False)
    assert (dialect.delimiter, dialect.skip_lines) == (';', 1)


@pytest.mark.parametrize(
    ('text', 'line_end'), [('a,b\r\nc,d\r\n', '\r\n'), ('a,b\nc,d\n', '\n'), ('a,b\rc,d\r', '\r')]
)
def test_line_ends_are_recognized(text: str, line_end: str) -> None:
    assert sniff(text, truncated=False).line_end == line_end


def test_the_sample_is_bounded_and_ends_on_a_line_boundary() -> None:
    # GIVEN a long text / WHEN sampled / THEN a prefix ending with a newline, marked truncated
    text = 'a,b\n' * 100_000
    sample, truncated = sample_text(text)
    assert truncated
    assert len(sample) < len(text)
    assert sample.endswith('\n')


@pytest.mark.parametrize(
    'text', ['<!DOCTYPE html><html><table>', '<?xml version="1.0"?>', '[{"email": "a@b.c"}]']
)
def test_html_xml_and_json_are_refused_as_not_csv(text: str) -> None:
    with pytest.raises(Refusal) as refused:
        refuse_other_formats(text)
    assert refused.value.code is RefusalCode.NOT_A_CSV
