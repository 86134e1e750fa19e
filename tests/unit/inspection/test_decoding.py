# ruff: noqa: RUF001 - names, digits and headers in other scripts are the point of these tests
from __future__ import annotations

import codecs

import pytest

from loyalty_import.inspection.decoding import detect_encoding, pick_legacy, refuse_binary
from loyalty_import.inspection.models import Refusal, RefusalCode

LATIN = (
    'Name;Email;Punkte\n'
    'José Núñez;a@example.com;10\nZoë Müller;b@example.com;20\nChloé Dubois;c@example.com;5\n'
)
CENTRAL = (
    'Jméno;Email\nZdeněk Dvořák;a@example.cz\nŁukasz Wójcik;b@example.pl\nKateřina Kučera;c@example.cz\n'
)
CYRILLIC = 'Имя;Email\nИван Петров;a@example.ru\nОльга Смирнова;b@example.ru\nПётр Сидоров;c@example.ru\n'
HEBREW = (
    'שם;דוא"ל;נקודות\nדנה כהן;a@example.co.il;100\nיוסי לוי;b@example.co.il;25\n'
    'מיכל אברהם;c@example.co.il;5\n'
)
JAPANESE = '氏名,メールアドレス,ポイント残高\n山田太郎,a@example.jp,100\n佐藤花子,b@example.jp,250\n'


@pytest.mark.parametrize(
    ('text', 'codepage'),
    [(LATIN, 'cp1252'), (CENTRAL, 'cp1250'), (CYRILLIC, 'cp1251'), (HEBREW, 'cp1255'), (JAPANESE, 'cp932')],
)
def test_legacy_code_page_is_the_one_under_which_the_names_read_as_words(text: str, codepage: str) -> None:
    # GIVEN names encoded in a legacy code page
    data = text.encode(codepage)
    # WHEN the encoding is detected
    encoding = detect_encoding(data)
    # THEN it is that code page, and the names decode exactly
    assert encoding.name == codepage
    assert data.decode(encoding.name) == text


def test_cp1252_wins_a_tie_with_cp1250_for_western_names() -> None:
    # GIVEN Western names whose bytes are also letters in cp1250 ('Núñez' would read 'Núńez')
    data = 'Núñez;Müller;Chloé;Thérèse\n'.encode('cp1252')
    # WHEN picking the legacy code page / THEN the default cp1252 is kept
    assert pick_legacy(data) == 'cp1252'


@pytest.mark.parametrize(
    ('bom', 'codec', 'name'),
    [
        (codecs.BOM_UTF8, 'utf-8', 'utf-8'),
        (codecs.BOM_UTF16_LE, 'utf-16-le', 'utf-16-le'),
        (codecs.BOM_UTF16_BE, 'utf-16-be', 'utf-16-be'),
    ],
)
def test_a_byte_order_mark_decides_and_is_skipped(bom: bytes, codec: str, name: str) -> None:
    # GIVEN a file starting with a BOM
    data = bom + LATIN.encode(codec)
    # WHEN detected / THEN the BOM's encoding is used and its bytes are skipped
    encoding = detect_encoding(data)
    assert (encoding.name, encoding.bom_bytes) == (name, len(bom))


def test_utf16_without_bom_is_recognized_by_its_nul_bytes() -> None:
    # GIVEN 'Unicode text' saved by a spreadsheet without a BOM
    data = LATIN.encode('utf-16-le')
    # WHEN detected / THEN it is UTF-16 LE, not binary
    assert detect_encoding(data).name == 'utf-16-le'


def test_strict_utf8_is_preferred_when_every_byte_is_valid() -> None:
    # GIVEN UTF-8 text with accents / WHEN detected / THEN utf-8
    assert detect_encoding(LATIN.encode('utf-8')).name == 'utf-8'


@pytest.mark.parametrize(
    'data',
    [
        b'PK\x03\x04\x14\x00\x06\x00[Content_Types].xml',
        b'\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1 old excel',
        b'%PDF-1.7\n',
        b'\x1f\x8b\x08\x00gzip',
        b'email,points\na@example.com,1\x00\x00\x002\n',
        bytes(range(1, 32)) * 20,
    ],
)
def test_binary_files_are_refused_as_not_csv(data: bytes) -> None:
    # GIVEN bytes that are not text / WHEN checked / THEN refused NOT_A_CSV
    with pytest.raises(Refusal) as refused:
        refuse_binary(data)
    assert refused.value.code is RefusalCode.NOT_A_CSV


def test_a_file_utf8_at_the_start_but_cp1252_later_is_decoded_as_cp1252() -> None:
    # GIVEN more than a megabyte of plain ASCII rows, then a cp1252 name
    from loyalty_import.inspection import inspect_csv  # noqa: PLC0415

    rows = ''.join(f'user{i}@example.com,{i % 500}\n' for i in range(60_000))
    data = ('Email,Points\n' + rows + 'jose@example.com,7\n').encode(
        'ascii'
    ) + 'Núñez@example.com,8\n'.encode('cp1252')
    assert len(data) > 1024 * 1024
    # WHEN inspected (the UTF-8 guess fails only in the full pass)
    inspection = inspect_csv(data)
    # THEN the pass restarts with cp1252 and the last name survives in the upload
    assert inspection.encoding == 'cp1252'
    assert 'Núñez@example.com'.encode() in inspection.normalized.content
