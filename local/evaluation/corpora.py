"""The labelled corpora: each file's bytes, what a careful reader expects of it, and how it is written.

The answers come from the labels (expected.json, manifest.json, labels.json), never from the engine.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from evaluation.expectations import Expectation, from_answer, from_hostile

REPO_ROOT = Path(__file__).resolve().parents[2]
SAMPLES_DIR = REPO_ROOT / 'tests' / 'fixtures' / 'shared' / 'samples'
LAYOUTS_DIR = REPO_ROOT / 'tests' / 'corpus' / 'layouts'
HOSTILE_DIR = REPO_ROOT / 'tests' / 'corpus' / 'hostile'
EXTERNAL_DIR = REPO_ROOT / 'tests' / 'corpus' / 'external'
# Hostile files flagged `subprocess` are inspected in-process only when this small (all are today).
GUARDED_MAX_BYTES = 1024 * 1024
# Content alone is never auto: a file without a header, or whose headers a careful reader calls
# unclear (external `clear_headers: false`), is answered right by a review, not by an auto-import.
AUTO_NEEDS_CLEAR_HEADERS = True


@dataclass(frozen=True)
class Case:
    """One labelled file."""

    corpus: str
    name: str
    data: bytes
    expect: Expectation
    clear_headers: bool = True  # counts in auto_rate_clear when answerable
    encoding: str | None = None  # hints for reading it as a table (None: guessed)
    delimiter: str | None = None
    has_header: bool | None = None
    preamble_lines: int | None = None
    vary: bool = True  # False: no variants (not a text table: binary, empty, HTML, JSON...)


@dataclass
class Corpus:
    name: str
    cases: list[Case] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (file, why)
    present: bool = True


def _json(path: Path) -> Any:
    return json.loads(path.read_text(encoding='utf-8'))


def _answer(answer: Any) -> Expectation | None:
    if not isinstance(answer, dict):
        return None
    if answer.get('refuse') or {'EMAIL', 'POINTS'} <= set(answer):
        try:
            return from_answer(answer)
        except (TypeError, ValueError):
            return None
    return None


def _labelled_dir(name: str, directory: Path, labels: dict[str, Any]) -> Corpus:
    corpus = Corpus(name)
    for file in sorted(labels):
        expect = _answer(labels[file])
        path = directory / file
        if expect is None:
            corpus.skipped.append((file, f'label not understood: {json.dumps(labels[file])[:120]}'))
        elif not path.is_file():
            corpus.skipped.append((file, 'labelled but not present'))
        else:
            corpus.cases.append(Case(name, file, path.read_bytes(), expect))
    _unlabelled(corpus, directory, labels)
    return corpus


def _unlabelled(corpus: Corpus, directory: Path, labels: dict[str, Any]) -> None:
    for path in sorted(directory.rglob('*.csv')):
        name = path.relative_to(directory).as_posix()
        if name not in labels:
            corpus.skipped.append((name, 'no label'))


def samples(directory: Path = SAMPLES_DIR) -> Corpus:
    return _labelled_dir('samples', directory, _json(directory / 'expected.json'))


def layouts(directory: Path = LAYOUTS_DIR) -> Corpus:
    corpus = _labelled_dir('layouts', directory, _json(directory / 'expected.json'))
    manifest: dict[str, dict[str, Any]] = _json(directory / 'manifest.json')
    cases = []
    for case in corpus.cases:
        meta = manifest.get(case.name, {})
        has_header = meta.get('has_header')
        cases.append(
            replace(
                case,
                encoding=meta.get('encoding'),
                delimiter=meta.get('delimiter'),
                has_header=has_header,
                preamble_lines=meta.get('preamble_lines'),
                clear_headers=has_header is not False,
                expect=_needs_header(case.expect, has_header is not False),
            )
        )
    corpus.cases = cases
    return corpus


def _needs_header(expect: Expectation, clear: bool) -> Expectation:
    if AUTO_NEEDS_CLEAR_HEADERS and not clear and expect.pair is not None:
        return replace(expect, auto_ok=False)
    return expect


# Refusals of what is not a text table at all: no variant of such a file means anything.
_NOT_A_TABLE = frozenset({'NOT_A_CSV', 'EMPTY_FILE', 'FILE_TOO_LARGE'})


def hostile(directory: Path = HOSTILE_DIR) -> Corpus:
    specs: dict[str, dict[str, Any]] = _json(directory / 'expected.json')
    corpus = Corpus('hostile')
    for file in sorted(specs):
        spec = specs[file]
        path = directory / file
        if not path.is_file():
            corpus.skipped.append((file, 'labelled but not present'))
            continue
        if spec.get('subprocess') and path.stat().st_size > GUARDED_MAX_BYTES:
            corpus.skipped.append((file, f'flagged subprocess and {path.stat().st_size:,} bytes'))
            continue
        expect = from_hostile(spec)
        refusals = spec.get('refusals')
        not_a_table = isinstance(refusals, list) and bool(refusals) and set(refusals) <= _NOT_A_TABLE
        corpus.cases.append(Case('hostile', file, path.read_bytes(), expect, vary=not not_a_table))
    _unlabelled(corpus, directory, specs)
    corpus.skipped.append(
        ('(2 MB cell, > 10 MB file)', 'generated at test time by tests/corpus/test_corpus.py: not evaluated')
    )
    return corpus


def external(directory: Path = EXTERNAL_DIR) -> Corpus:
    """labels.json: file -> {answer, clear_headers, reason, source, encoding, delimiter}; may be partial."""
    labels_path = directory / 'labels.json'
    corpus = Corpus('external')
    if not labels_path.is_file():
        corpus.present = False
        corpus.skipped.append(('labels.json', f'not present in {directory}'))
        return corpus
    try:
        labels = _json(labels_path)
    except (OSError, ValueError) as exc:
        corpus.skipped.append(('labels.json', f'unreadable: {exc}'))
        return corpus
    if isinstance(labels, list):  # a list of labels, each naming its file
        labels = {
            str(label.get('file') or label.get('path')): label
            for label in labels
            if isinstance(label, dict) and (label.get('file') or label.get('path'))
        }
    if not isinstance(labels, dict):
        corpus.skipped.append(('labels.json', 'neither file -> label nor a list of labels'))
        return corpus
    for file in sorted(labels):
        case = _external_case(directory, file, labels[file])
        if isinstance(case, str):
            corpus.skipped.append((file, case))
        else:
            corpus.cases.append(case)
    _unlabelled(corpus, directory, labels)
    return corpus


def _external_case(directory: Path, file: str, label: Any) -> Case | str:
    if not isinstance(label, dict):
        return 'label is not an object'
    expect = _answer(label.get('answer'))
    if expect is None:
        return f'answer not understood: {json.dumps(label.get("answer"))[:120]}'
    path = directory / file
    if not path.is_file():
        return 'labelled but not present'
    clear = label.get('clear_headers') is not False
    has_header = label.get('has_header')
    encoding, delimiter = label.get('encoding'), label.get('delimiter')
    # `header_row`: the 0-based line of the header, below title lines (`preamble_lines` said the same)
    preamble = next(
        (label[key] for key in ('preamble_lines', 'header_row') if isinstance(label.get(key), int)), None
    )
    return Case(
        'external',
        file,
        path.read_bytes(),
        _needs_header(expect, clear and has_header is not False),
        clear_headers=clear,
        encoding=encoding if isinstance(encoding, str) and encoding else None,
        delimiter=delimiter if isinstance(delimiter, str) and len(delimiter) == 1 else None,
        has_header=has_header if isinstance(has_header, bool) else None,
        preamble_lines=preamble,
    )


def load_all() -> list[Corpus]:
    return [samples(), layouts(), hostile(), external()]
