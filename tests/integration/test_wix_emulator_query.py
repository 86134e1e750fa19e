"""Query imports like Wix: filter, sort and cursor paging (the client finds lost creates this way)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.fakes.clock import FakeClock
from wix_emulator import EmulatorSettings, ErrorCode, WixEmulator
from wix_emulator.testing import RawWixApi

CONTENT = b'Email,Points\r\na@example.com,1\r\n'
STEP_S = 60.0


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def api(clock: FakeClock, wix_contract: dict[str, Any]) -> Iterator[RawWixApi]:
    settings = EmulatorSettings(parse_delay_s=STEP_S * 10, import_delay_s=1)
    with WixEmulator(settings, clock=clock) as emu, RawWixApi(emu, wix_contract) as raw:
        yield raw


@pytest.fixture
def five(api: RawWixApi, clock: FakeClock) -> list[dict[str, Any]]:
    """Five imports a minute apart: names f0..f4, sizes 100..104; the first two PARSED."""
    created = []
    for index in range(5):
        path = api.upload_file(f'f{index}.csv', CONTENT)
        created.append(api.create_import(path, f'f{index}.csv', 100 + index))
        clock.advance(STEP_S)
    clock.advance(STEP_S * 10 - STEP_S * 3.5)  # the first two are past the parse delay
    return [api.get_import(c['id']) for c in created]


def ids(response: httpx.Response) -> list[str]:
    assert response.status_code == 200, response.text
    return [item['id'] for item in response.json()['loyaltyImports']]


def test_fixture_statuses(five: list[dict[str, Any]]) -> None:
    assert [i['status'] for i in five] == ['PARSED', 'PARSED', 'PARSING', 'PARSING', 'PARSING']


def test_empty_query_returns_all_newest_first(api: RawWixApi, five: list[dict[str, Any]]) -> None:
    # The documented default order when no sort is given: createdDate descending.
    response = api.query({})
    assert ids(response) == [i['id'] for i in reversed(five)]
    assert response.json()['pagingMetadata'] == {
        'count': 5,
        'cursors': {'next': None, 'prev': None},
        'hasNext': False,
    }


@pytest.mark.parametrize(
    ('query_filter', 'expected'),
    [
        pytest.param({'status': 'PARSED'}, [0, 1], id='status-shorthand'),
        pytest.param({'status': {'$eq': 'PARSING'}}, [2, 3, 4], id='status-eq'),
        pytest.param({'status': {'$in': ['PARSED', 'FAILED']}}, [0, 1], id='status-in'),
        pytest.param({'status': {'$ne': 'PARSED'}}, [2, 3, 4], id='status-ne'),
        pytest.param({'status': {'$hasSome': ['PARSED', 'FAILED']}}, [0, 1], id='status-has-some'),
        pytest.param({'status': {'$exists': True}}, [0, 1, 2, 3, 4], id='status-exists'),
        pytest.param({'fileMetadata.name': 'f3.csv'}, [3], id='name'),
        pytest.param({'fileMetadata.size': 102}, [2], id='size'),
        pytest.param({'fileMetadata.name': 'f3.csv', 'fileMetadata.size': 102}, [], id='name-and-size'),
        pytest.param({'$or': [{'fileMetadata.size': 100}, {'fileMetadata.size': 104}]}, [0, 4], id='or'),
        pytest.param(
            {'$and': [{'status': 'PARSING'}, {'fileMetadata.size': {'$gte': 103}}]}, [3, 4], id='and'
        ),
    ],
)
def test_filter_by_status_name_and_size(
    api: RawWixApi, five: list[dict[str, Any]], query_filter: dict[str, Any], expected: list[int]
) -> None:
    # GIVEN five imports / WHEN filtered / THEN exactly the expected ones, newest first (the default)
    assert ids(api.query({'filter': query_filter})) == [five[i]['id'] for i in reversed(expected)]


@pytest.mark.parametrize(
    ('operator', 'pivot', 'expected'),
    [
        pytest.param('$gt', 2, [3, 4], id='gt'),
        pytest.param('$gte', 2, [2, 3, 4], id='gte'),
        pytest.param('$lt', 2, [0, 1], id='lt'),
        pytest.param('$lte', 2, [0, 1, 2], id='lte'),
    ],
)
def test_filter_by_created_date(
    api: RawWixApi, five: list[dict[str, Any]], operator: str, pivot: int, expected: list[int]
) -> None:
    # GIVEN the createdDate of the third import as the pivot, as a string and as {"$date"}
    pivot_date = five[pivot]['createdDate']
    # WHEN filtered with each comparison / THEN the imports on the right side of it
    for value in (pivot_date, {'$date': pivot_date}):
        assert ids(api.query({'filter': {'createdDate': {operator: value}}})) == [
            five[i]['id'] for i in reversed(expected)
        ]


def test_filter_by_updated_date_in_another_offset(api: RawWixApi, five: list[dict[str, Any]]) -> None:
    # GIVEN a pivot written with a +02:00 offset rather than Z
    pivot = five[1]['updatedDate']  # the second import's PARSED time
    hours, rest = int(pivot[11:13]), pivot[13:-1]
    shifted = f'{pivot[:11]}{(hours + 2) % 24:02d}{rest}+02:00'
    if hours + 2 >= 24:  # pragma: no cover - the fake clock starts mid-day
        pytest.fail('pick a fake clock start that keeps the shift on the same day')
    # WHEN / THEN the same instant is compared, not the text
    assert ids(api.query({'filter': {'updatedDate': {'$gte': shifted}}})) == [five[1]['id']]


def test_lost_create_can_be_found_by_name_size_and_time(
    api: RawWixApi, clock: FakeClock, five: list[dict[str, Any]]
) -> None:
    # GIVEN a create that happened, noted only by when it was sent and what it sent
    before = api.query({'sort': [{'fieldName': 'createdDate', 'order': 'DESC'}]}).json()['loyaltyImports'][0]
    path = api.upload_file('lost.csv', CONTENT)
    lost = api.create_import(path, 'lost.csv', len(CONTENT))
    # WHEN queried the way a client recovering the create would
    query = {
        'filter': {
            'fileMetadata.name': 'lost.csv',
            'fileMetadata.size': len(CONTENT),
            'createdDate': {'$gt': before['createdDate']},
        },
        'sort': [{'fieldName': 'createdDate', 'order': 'DESC'}],
    }
    # THEN exactly that import comes back
    assert ids(api.query(query)) == [lost['id']]


@pytest.mark.parametrize(
    ('sort', 'expected'),
    [
        pytest.param([{'fieldName': 'createdDate', 'order': 'DESC'}], [4, 3, 2, 1, 0], id='created-desc'),
        pytest.param([{'fieldName': 'createdDate', 'order': 'ASC'}], [0, 1, 2, 3, 4], id='created-asc'),
        pytest.param([{'fieldName': 'createdDate'}], [0, 1, 2, 3, 4], id='default-asc'),
        pytest.param([{'fieldName': 'updatedDate', 'order': 'DESC'}], [1, 0, 4, 3, 2], id='updated-desc'),
        pytest.param(
            [{'fieldName': 'status', 'order': 'ASC'}, {'fieldName': 'createdDate', 'order': 'DESC'}],
            [1, 0, 4, 3, 2],
            id='status-then-created',
        ),
    ],
)
def test_sort(
    api: RawWixApi, five: list[dict[str, Any]], sort: list[dict[str, str]], expected: list[int]
) -> None:
    assert ids(api.query({'sort': sort})) == [five[i]['id'] for i in expected]


def test_cursor_paging_walks_forward_and_back(api: RawWixApi, five: list[dict[str, Any]]) -> None:
    # GIVEN a sorted query in pages of two
    query: dict[str, Any] = {
        'filter': {'fileMetadata.size': {'$gte': 100}},
        'sort': [{'fieldName': 'createdDate', 'order': 'DESC'}],
        'cursorPaging': {'limit': 2},
    }
    # WHEN the next cursors are followed to the end
    pages = [api.query(query).json()]
    while pages[-1]['pagingMetadata']['hasNext']:
        pages.append(
            api.query({'cursorPaging': {'cursor': pages[-1]['pagingMetadata']['cursors']['next']}}).json()
        )
    # THEN three pages of 2, 2, 1 cover every import once, in order
    walked = [item['id'] for page in pages for item in page['loyaltyImports']]
    assert walked == [i['id'] for i in reversed(five)]
    assert [p['pagingMetadata']['count'] for p in pages] == [2, 2, 1]
    assert pages[0]['pagingMetadata']['cursors']['prev'] is None
    assert pages[-1]['pagingMetadata']['cursors']['next'] is None
    # AND the last page's prev cursor leads back to the middle page
    back = api.query({'cursorPaging': {'cursor': pages[-1]['pagingMetadata']['cursors']['prev']}})
    assert back.json()['loyaltyImports'] == pages[1]['loyaltyImports']


def test_cursors_are_opaque(api: RawWixApi, five: list[dict[str, Any]]) -> None:
    first = api.query({'cursorPaging': {'limit': 1}}).json()
    cursor = first['pagingMetadata']['cursors']['next']
    assert five[1]['id'] not in cursor
    assert 'offset' not in cursor


@pytest.mark.parametrize(
    ('query', 'code'),
    [
        pytest.param({'cursorPaging': {'limit': 101}}, ErrorCode.INVALID_PAGING, id='limit-over-100'),
        pytest.param({'cursorPaging': {'limit': 0}}, ErrorCode.INVALID_PAGING, id='limit-zero'),
        pytest.param({'cursorPaging': {'cursor': 'not-a-cursor'}}, ErrorCode.INVALID_CURSOR, id='bad-cursor'),
        pytest.param(
            {'filter': {'fileMetadata.url': 'x'}}, ErrorCode.INVALID_FILTER, id='unfilterable-field'
        ),
        pytest.param(
            {'filter': {'status': {'$regex': 'P'}}}, ErrorCode.INVALID_FILTER, id='unknown-operator'
        ),
        pytest.param({'filter': {'status': {'$in': 'PARSED'}}}, ErrorCode.INVALID_FILTER, id='in-not-list'),
        pytest.param(
            {'filter': {'createdDate': {'$gt': 'yesterday'}}}, ErrorCode.INVALID_FILTER, id='bad-date'
        ),
        pytest.param(
            {'filter': {'createdDate': {'$gt': '2024-01-01T00:00:00'}}},
            ErrorCode.INVALID_FILTER,
            id='naive-date',
        ),
        pytest.param({'sort': [{'fieldName': 'fileMetadata.name'}]}, ErrorCode.INVALID_SORT, id='unsortable'),
        pytest.param(
            {'sort': [{'fieldName': 'status', 'order': 'UP'}]}, ErrorCode.INVALID_SORT, id='bad-order'
        ),
        pytest.param({'paging': {'limit': 1}}, ErrorCode.INVALID_ARGUMENT, id='unknown-field'),
        pytest.param({'filter': {'status': {'$hasSome': []}}}, ErrorCode.INVALID_FILTER, id='has-some-empty'),
    ],
)
def test_bad_queries_are_refused(api: RawWixApi, query: dict[str, Any], code: ErrorCode) -> None:
    # GIVEN / WHEN a query Wix would refuse / THEN a 400 with the code naming the problem
    response = api.query(query)
    assert response.status_code == 400, response.text
    assert response.json()['details']['applicationError']['code'] == code


def test_more_than_five_sort_entries_are_refused_like_wix(api: RawWixApi, five: list[dict[str, Any]]) -> None:
    # GIVEN five sort entries (the most Wix takes) and six
    entry = {'fieldName': 'createdDate', 'order': 'DESC'}
    # WHEN each is queried
    allowed = api.query({'sort': [entry] * 5})
    refused = api.query({'sort': [entry] * 6})
    # THEN five sort as asked; six is Wix's validation error, naming the field and the limit
    assert ids(allowed) == [i['id'] for i in reversed(five)]
    assert refused.status_code == 400
    violation = refused.json()['details']['validationError']['fieldViolations'][0]
    assert violation == {
        'field': 'query.sort',
        'description': 'size must be between 0 and 5',
        'violatedRule': 'MAX_SIZE',
        'data': {'threshold': 5},
    }


def test_every_answer_names_its_request(api: RawWixApi, five: list[dict[str, Any]]) -> None:
    # WHEN two queries are made, one refused
    answers = [api.query({}), api.query({'cursorPaging': {'limit': 0}})]
    # THEN each answer carries its own X-Wix-Request-Id, the one the request log keeps
    request_ids = [answer.headers['X-Wix-Request-Id'] for answer in answers]
    assert len(set(request_ids)) == 2
    logged = [entry.request_id for entry in api.emulator.requests[-2:]]
    assert logged == request_ids


def test_file_name_mode_guid_never_echoes_the_name(clock: FakeClock, wix_contract: dict[str, Any]) -> None:
    # GIVEN an emulator whose fileMetadata.name is a GUID, as the SDK's typings declare it
    settings = EmulatorSettings(parse_delay_s=1, import_delay_s=1, file_name_mode='guid')
    with WixEmulator(settings, clock=clock) as emu, RawWixApi(emu, wix_contract) as raw:
        # WHEN two imports are created with the same name
        path = raw.upload_file('same.csv', CONTENT)
        first = raw.create_import(path, 'same.csv', len(CONTENT))
        second = raw.create_import(raw.upload_file('same.csv', CONTENT), 'same.csv', len(CONTENT))
    # THEN each has its own GUID for a name, while url and size are what was sent
    names = [first['fileMetadata']['name'], second['fileMetadata']['name']]
    assert all(str(uuid.UUID(name)) == name for name in names)
    assert names[0] != names[1]
    assert first['fileMetadata']['url'] == path
    assert first['fileMetadata']['size'] == len(CONTENT)


def test_file_name_mode_is_checked() -> None:
    with pytest.raises(ValueError, match='file_name_mode'):
        EmulatorSettings(file_name_mode='upper')  # type: ignore[arg-type]
