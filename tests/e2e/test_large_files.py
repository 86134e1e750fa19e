"""A source file past Wix's 10 MB through the rehearsed stack: streamed, reduced, imported once."""

from __future__ import annotations

import csv
import hashlib
import io

from benchmarks.generate import export

from tests.e2e.conftest import FOLLOW_S, Rehearse
from wix_emulator import WixEmulator
from wix_emulator.faults import Fault

# Just over Wix's limit: the large path, with one upload of EMAIL, POINTS and the names.
SOURCE_BYTES = 10 * 1024 * 1024 + 300 * 1024


def test_a_file_over_ten_megabytes_is_reduced_to_one_upload_and_imported(
    rehearse: Rehearse, wix_emulator: WixEmulator
) -> None:
    # GIVEN a stack whose site budget is the emulator's, not Wix's (its balance snapshot alone is one
    # Search Accounts call per 100 rows: about 5 minutes at the default 180 a minute, as `make demo`
    # raises it for a file past 10 MB)
    rehearsal = rehearse(wix_emulator, WixCallsPerMinute='6000')
    # AND a twelve-column export just over 10 MB (balance, earned and redeemed points among them)
    content = export(SOURCE_BYTES).encode('utf-8')
    assert len(content) > 10 * 1024 * 1024
    source = list(csv.reader(io.StringIO(content.decode('utf-8'), newline='')))
    header, rows = source[0], source[1:]
    email, points = header.index('Email'), header.index('Points Balance')

    # WHEN it is dropped
    drop = rehearsal.drop('all-customers.csv', content)
    outcome = rehearsal.follow(drop, timeout_s=FOLLOW_S)

    # THEN it ends IMPORTED, every row counted, from one Wix import of the reduced upload
    assert outcome.finished, outcome.status
    record = outcome.record
    assert record is not None
    assert record.status.value == 'IMPORTED', record.error
    assert record.import_result is not None
    assert record.import_result.success_count == len(rows)
    assert record.import_result.failure_count == 0
    assert record.size == len(content)
    assert record.sha256 == hashlib.sha256(content).hexdigest()
    assert record.expected_header == ['Email', 'Points Balance', 'First Name', 'Last Name']
    assert record.normalized_size is not None
    assert record.normalized_size < 10 * 1024 * 1024 < len(content)
    assert len(rehearsal.emulator.imports) == 1
    assert record.mapping is not None
    assert (record.mapping.email.column, record.mapping.points.column) == (email, points)
    # AND Wix holds every customer's balance from the balance column (not earned or redeemed)
    balances = rehearsal.emulator.balances
    assert len(balances) == len(rows)
    assert all(balances[row[email].lower()] == int(row[points]) for row in rows[:: len(rows) // 50])
    # AND one notification says so
    assert [m.attributes.get('outcome') for m in outcome.notifications] == ['IMPORTED']


# A part holds MaxFileBytes less 64 KiB: 200,000 bytes a Wix import make this export's reduced
# upload (EMAIL, POINTS: about 192 KB of 5,231 rows) two parts.
TWO_PARTS_MAX_FILE_BYTES = '200000'
TWO_PARTS_SOURCE_BYTES = 600_000


def test_a_file_needing_two_wix_imports_is_imported_as_two_and_finalized_once(
    rehearse: Rehearse, wix_emulator: WixEmulator
) -> None:
    rehearsal = rehearse(wix_emulator, MaxFileBytes=TWO_PARTS_MAX_FILE_BYTES)
    content = export(TWO_PARTS_SOURCE_BYTES).encode('utf-8')
    source = list(csv.reader(io.StringIO(content.decode('utf-8'), newline='')))
    header, rows = source[0], source[1:]
    email, points = header.index('Email'), header.index('Points Balance')
    # WHEN it is dropped
    outcome = rehearsal.follow(rehearsal.drop('all-customers.csv', content), timeout_s=FOLLOW_S)
    # THEN it ends IMPORTED once, every row counted over its two Wix imports
    assert outcome.finished, outcome.status
    record = outcome.record
    assert record is not None
    assert record.status.value == 'IMPORTED', record.error
    assert record.parts is not None
    assert [part.status.value for part in record.parts] == ['IMPORTED', 'IMPORTED']
    assert sum(part.rows for part in record.parts) == len(rows)
    assert record.import_result is not None
    assert (record.import_result.success_count, record.import_result.failure_count) == (len(rows), 0)
    assert len(rehearsal.emulator.imports) == 2
    assert record.wix_import_id == record.parts[0].wix_import_id
    # AND Wix holds every customer's balance from the balance column
    balances = rehearsal.emulator.balances
    assert len(balances) == len(rows)
    assert all(balances[row[email].lower()] == int(row[points]) for row in rows[:: len(rows) // 50])
    # AND one notification says so
    assert [m.attributes.get('outcome') for m in outcome.notifications] == ['IMPORTED']


def test_a_part_that_fails_leaves_the_other_parts_imported_and_says_which(
    rehearse: Rehearse, wix_emulator: WixEmulator
) -> None:
    # GIVEN Wix executes the first part it is asked to, and never answers the other's execute
    wix_emulator.faults.script('execute_import', [None, *[Fault.HTTP_500] * 200])
    rehearsal = rehearse(wix_emulator, MaxFileBytes=TWO_PARTS_MAX_FILE_BYTES)
    content = export(TWO_PARTS_SOURCE_BYTES).encode('utf-8')
    outcome = rehearsal.follow(rehearsal.drop('all-customers.csv', content), timeout_s=FOLLOW_S)
    # THEN the file ends FAILED with PART_FAILED, once
    assert outcome.finished, outcome.status
    record = outcome.record
    assert record is not None
    assert record.status.value == 'FAILED'
    assert record.error is not None
    assert record.error.code == 'PART_FAILED', record.error
    # AND the part Wix imported is kept and counted, the other said
    assert record.parts is not None
    statuses = sorted(part.status.value for part in record.parts)
    assert statuses == ['FAILED', 'IMPORTED']
    imported = next(part for part in record.parts if part.status.value == 'IMPORTED')
    failed = next(part for part in record.parts if part.status.value == 'FAILED')
    assert record.import_result is not None
    assert record.import_result.success_count == imported.rows
    assert record.error.message.startswith(
        f'1 of 2 Wix imports imported (parts {imported.index}: {imported.rows:,} rows).'
    )
    assert f'Part {failed.index} ({failed.rows:,} rows) failed' in record.error.message
    assert failed.error is not None
    assert len(rehearsal.emulator.balances) == imported.rows
    # AND ONE notification says it
    assert [m.attributes.get('outcome') for m in outcome.notifications] == ['FAILED']
    assert '1 of 2 Wix imports imported' in outcome.notifications[0].message
