"""A balance snapshot that needs several Execute invocations, end to end: template.yaml in moto, the
real handlers and state machine, the Wix emulator answering the account search with 429s after a few
batches (what a site's spent rate limit does), so each Execute reads part of the balances, saves its
progress and comes back through Wait -> Poll -> Route while the import is PARSED."""

from __future__ import annotations

from tests.e2e.conftest import Rehearse
from tests.e2e.test_balance_checks import emulator, export, s3_text
from tests.e2e.test_imports import follow
from wix_emulator.faults import Fault

# 450 customers: 5 Search Accounts batches of 100; Wix holds a balance for 2 of every 3.
CUSTOMERS = [(f'customer{n:03}@example.com', n * 10) for n in range(450)]
HELD = {email: points + 7 for index, (email, points) in enumerate(CUSTOMERS) if index % 3}
# The executor's Wix client tries a call 4 times: four 429s in a row end an Execute's reading.
SPENT = [Fault.HTTP_429] * 4


def test_a_snapshot_over_three_executes_ends_imported_with_the_full_undo_file(rehearse: Rehearse) -> None:
    for wix in emulator(HELD):
        # GIVEN Wix's rate limit is spent after 2 batches, and again after 2 more
        wix.faults.script('search_accounts', [None, None, *SPENT, None, None, *SPENT])
        rehearsal = rehearse(wix)
        # WHEN the file is imported
        outcome = follow(rehearsal, 'many.csv', export(CUSTOMERS))
        record = outcome.record
        assert record is not None
        # THEN it took three Execute invocations (2 + 2 + 1 batches), none of them failed
        executes = [i for i in rehearsal.invocations if i.logical_id == 'ExecutorFunction']
        assert len(executes) == 3
        assert all(i.ok for i in executes)
        assert record.status.value == 'IMPORTED'
        # AND the snapshot counts every email once, in as many calls as one invocation makes
        assert record.snapshot is not None
        assert record.snapshot.to_wire() == {
            'emailsLookedUp': 450,
            'accountsFound': 300,
            'withoutAccount': 150,
            'wixCalls': 5,
        }
        # AND the undo file holds every balance before, in file order
        assert record.undo_file is not None
        undo = s3_text(record.undo_file).splitlines()
        assert undo[0] == 'Email,Points balance'
        assert undo[1:] == [f'{email},{points}' for email, points in HELD.items()]
        assert record.balance_shift is not None
        assert record.balance_shift.matched == 300
        assert wix.balances == dict(CUSTOMERS)
        assert len(outcome.notifications) == 1
