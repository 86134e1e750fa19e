"""Which text encoding a file uses: BOM, then strict UTF-8, then the legacy code page the bytes prove.

Charset detectors mislabel real cp1252 exports (as cp1250, for instance), so the legacy choice is
made by decoding the lines that hold non-ASCII bytes with each candidate and scoring how much of
the result reads as words of one script. charset-normalizer is only asked to break a tie.
"""

from __future__ import annotations

import codecs
import re
import unicodedata
from dataclasses import dataclass
from itertools import chain

from loyalty_import.inspection.models import Refusal, RefusalCode

# Default first: it wins every tie.
LEGACY_CANDIDATES = ('cp1252', 'cp1250', 'cp1251', 'cp1255', 'cp932')
_BOMS = (
    (codecs.BOM_UTF32_LE, 'utf-32-le'),
    (codecs.BOM_UTF32_BE, 'utf-32-be'),
    (codecs.BOM_UTF8, 'utf-8'),
    (codecs.BOM_UTF16_LE, 'utf-16-le'),
    (codecs.BOM_UTF16_BE, 'utf-16-be'),
)
_BINARY_MAGIC = (
    (b'PK\x03\x04', 'a ZIP archive (an .xlsx/.ods workbook is one): export the sheet as CSV'),
    (b'PK\x05\x06', 'a ZIP archive: export the sheet as CSV'),
    (b'\xd0\xcf\x11\xe0', 'an old Excel (.xls) or Office file: export the sheet as CSV'),
    (b'%PDF', 'a PDF document'),
    (b'\x1f\x8b', 'a gzip archive'),
    (b'\x89PNG', 'a PNG image'),
    (b'\xff\xd8\xff', 'a JPEG image'),
    (b'GIF8', 'a GIF image'),
    (b'SQLite format 3', 'a SQLite database'),
    (b'BZh', 'a bzip2 archive'),
    (b'7z\xbc\xaf', 'a 7-Zip archive'),
    (b'Rar!', 'a RAR archive'),
    (b'\x7fELF', 'a program'),
)
_NON_ASCII_BYTE = re.compile(rb'[\x80-\xff]')
# Words holding at least one non-ASCII letter, and non-ASCII symbols (what the code page decides).
_NON_ASCII_WORD = re.compile(r'\w*[^\x00-\x7f\W]\w*')
# Runs of ASCII word characters and non-ASCII characters: every word lies inside one, and the
# (backtracking) word pattern above only runs on the few runs holding a non-ASCII character.
# [0-9A-Za-z_\x80-\U0010ffff], as a complement: the range compiles with a Python loop over its
# code points (2 ms of a cold start), the complement does not (see values._BEYOND_BMP).
_WORD_SPAN = re.compile(r'[^\x00-/:-@\[-^`{-\x7f]+')
_BYTE_RUN = re.compile(rb'[0-9A-Za-z_\x80-\xff]+')
_SINGLE_BYTE = frozenset({'cp1252', 'cp1250', 'cp1251', 'cp1255'})
_NON_ASCII_SYMBOL = re.compile(r'[^\x00-\x7f\w\s]')
_CONTROL = frozenset(range(0x20)) - {0x09, 0x0A, 0x0C, 0x0D}
_CONTROL_BYTES = bytes(sorted(_CONTROL))
# Punctuation that sits next to letters in real text (apostrophes, quotes, dashes).
_JOINING_PUNCTUATION = frozenset('\u2019\u2018\u201c\u201d\u00ab\u00bb\u2013\u2014\u2026\u00b7')
_SAMPLE_BYTES = 32 * 1024
_UTF8_PROBE_BYTES = 1024 * 1024
_GRAVE_IOU = frozenset('ìòùÌÒÙ')


@dataclass(frozen=True)
class Encoding:
    name: str  # a Python codec name, e.g. 'utf-8', 'cp1252'
    bom_bytes: int  # bytes to skip at the start
    ascii_compatible: bool  # ASCII bytes mean ASCII characters (byte-level scans are valid)


def refuse_binary(data: bytes) -> None:
    """Refuse what is plainly not text: archives, workbooks, images, NUL bytes, control codes."""
    for magic, what in _BINARY_MAGIC:
        if data.startswith(magic):
            raise Refusal(RefusalCode.NOT_A_CSV, f'This is {what}, not a CSV file.')
    head = data[:65536]
    controls = len(head) - len(head.translate(None, _CONTROL_BYTES))  # one pass, not one per byte
    if controls > max(8, len(head) // 100) or b'\x00' in data:
        raise Refusal(
            RefusalCode.NOT_A_CSV,
            'The file holds binary data (NUL or control bytes), not text: export it again as CSV.',
        )


def detect_encoding(data: bytes) -> Encoding:
    """Pick the encoding; `utf-8` is tentative until the full pass has decoded every byte."""
    for bom, name in _BOMS:
        if data.startswith(bom):
            return Encoding(name, len(bom), ascii_compatible=name == 'utf-8')
    utf16 = _utf16_without_bom(data[:4096])
    if utf16:
        return Encoding(utf16, 0, ascii_compatible=False)
    refuse_binary(data)
    # UTF-8 is tentative beyond the first megabyte: the full pass decodes strictly and restarts
    # with a legacy code page on the first invalid byte, so the file is decoded once, not twice.
    if data.isascii() or _is_utf8(data[:_UTF8_PROBE_BYTES], final=len(data) <= _UTF8_PROBE_BYTES):
        return Encoding('utf-8', 0, ascii_compatible=True)
    return Encoding(pick_legacy(data), 0, ascii_compatible=True)


def _utf16_without_bom(head: bytes) -> str | None:
    """Spreadsheet 'Unicode text' without a BOM: every other byte of ASCII text is NUL."""
    if len(head) < 8:
        return None
    even, odd = head[0::2], head[1::2]
    if odd.count(0) > len(odd) * 0.4 and even.count(0) < len(even) * 0.05:
        return 'utf-16-le'
    if even.count(0) > len(even) * 0.4 and odd.count(0) < len(odd) * 0.05:
        return 'utf-16-be'
    return None


def _is_utf8(data: bytes, *, final: bool) -> bool:
    try:
        codecs.getincrementaldecoder('utf-8')('strict').decode(data, final=final)
    except UnicodeDecodeError:
        return False
    return True


def pick_legacy(data: bytes) -> str:
    """The legacy code page under which the non-ASCII lines read as real words (cp1252 on a tie)."""
    lines: list[bytes] = []
    size = 0
    pos = 0
    while size < _SAMPLE_BYTES:
        found = _NON_ASCII_BYTE.search(data, pos)
        if found is None:
            break
        start = data.rfind(b'\n', 0, found.start()) + 1
        end = data.find(b'\n', found.start())
        end = len(data) if end == -1 else end
        lines.append(data[start:end])
        size += end - start
        pos = end + 1
    sample = b'\n'.join(lines)
    # In a single-byte code page each byte is one character and bytes below 0x80 are ASCII, so
    # every word and symbol plausibility() weighs lies in these byte runs: only they are decoded
    # and scored (the same score, in a fraction of the time).
    runs = b' '.join(run for run in _BYTE_RUN.findall(sample) if not run.isascii())
    scores: dict[str, float] = {}
    for name in LEGACY_CANDIDATES:
        try:
            text = (runs if name in _SINGLE_BYTE else sample).decode(name)
        except UnicodeDecodeError:
            continue
        scores[name] = plausibility(text)
    if not scores:
        return 'latin-1'  # maps every byte: nothing is lost, nothing fails
    ranked = sorted(scores, key=lambda n: (-scores[n], LEGACY_CANDIDATES.index(n)))
    best = ranked[0]
    tied = [n for n in ranked if scores[n] >= scores[best] - 0.5]
    if len(tied) > 1 and 'cp1252' not in tied:
        # Only a tie the default does not take is worth asking the (slow, fallible) detector about.
        hint = _detector_hint(sample)
        if hint in tied:
            best = hint
    return best


def _detector_hint(sample: bytes) -> str | None:
    try:
        from charset_normalizer import from_bytes  # noqa: PLC0415 - heavy, and only needed on a tie

        guess = from_bytes(sample[:32768]).best()
    except Exception:  # noqa: BLE001 - a hint; its failure must never fail an import
        return None
    if guess is None:
        return None
    return codecs.lookup(guess.encoding).name.replace('_', '')


def _script(ch: str) -> str:
    name = unicodedata.name(ch, '')
    for script in ('LATIN', 'CYRILLIC', 'HEBREW', 'GREEK', 'ARABIC'):
        if name.startswith(script):
            return script
    if 'CJK' in name or 'HIRAGANA' in name or 'KATAKANA' in name or 'FULLWIDTH' in name:
        return 'CJK'
    return 'OTHER'


def plausibility(text: str) -> float:
    """How much of the non-ASCII text reads as words of one script; garbage scores below zero."""
    score = 0.0
    cased_words = capitalized = 0
    spans = (span for span in _WORD_SPAN.findall(text) if not span.isascii())
    for word in chain.from_iterable(map(_NON_ASCII_WORD.findall, spans)):
        non_ascii = [ch for ch in word if not ch.isascii()]
        scripts = {_script(ch) for ch in non_ascii}
        if len(scripts) > 1 or 'OTHER' in scripts:
            score -= 2
            continue
        script = scripts.pop()
        has_ascii_letters = any(ch.isascii() and ch.isalpha() for ch in word)
        if script == 'LATIN':
            # Accented letters sit among plain ones; words made only of them are mojibake.
            share = len(non_ascii) / len(word)
            score += 1 if share <= 0.5 or len(word) <= 3 else -1
            # Grave i/o/u end Italian words ('città', 'più'); inside a word they are Czech read as
            # cp1252 ('Vìrnostní' for 'Věrnostní').
            score -= 3 * sum(1 for ch in word[:-1] if ch in _GRAVE_IOU)
        elif has_ascii_letters:
            score -= 2  # Hebrew, Cyrillic or kanji glued to Latin letters
        else:
            score += 1.5 if len(word) > 1 else 0.5
            if script in ('CYRILLIC', 'GREEK'):
                cased_words += 1
                capitalized += any(ch.isupper() for ch in word)
    if cased_words > 3 and not capitalized:
        # Names are capitalized: Cyrillic without a single capital is Hebrew read as cp1251.
        score -= 2 * cased_words
    # Symbols glued to letters ('£ód', 'Ã©') are the mark of a wrong code page.
    for match in _NON_ASCII_SYMBOL.finditer(text):
        if match.group(0) in _JOINING_PUNCTUATION:
            continue
        index = match.start()
        before = text[index - 1] if index else ' '
        after = text[index + 1] if index + 1 < len(text) else ' '
        if before.isalpha() or after.isalpha():
            score -= 1
    return score
