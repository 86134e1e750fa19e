from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from aws_lambda_powertools.utilities.parser.models import S3Model
from pydantic import ValidationError

from loyalty_import.pipeline.models import (
    FinalizerInput,
    ImportRecord,
    ImportResult,
    PollerInput,
    RecordError,
    RecordStatus,
    S3Event,
    SourceEvent,
    SourceRef,
)
from loyalty_import.pipeline.notifications import ascii_safe, build_notification, subject_for
from loyalty_import.pipeline.review.http import Request
from tests.conftest import REPO_ROOT

EVENTS = REPO_ROOT / 'events'


def load_sources(name: str) -> list[SourceEvent]:
    event = S3Event.model_validate(json.loads((EVENTS / name).read_text()))
    return [SourceEvent.from_s3_record(record) for record in event.records]


@pytest.mark.parametrize('name', ['s3_put.json', 's3_put_encoded_key.json', 's3_put_multi.json'])
def test_the_s3_event_model_reads_what_powertools_full_s3_model_reads(name: str) -> None:
    # GIVEN a sample S3 event, parsed by Powertools' full S3Model and by the importer's own model
    raw = json.loads((EVENTS / name).read_text())
    full = S3Model.model_validate(raw).Records
    ours = S3Event.model_validate(raw).records
    # THEN both read the same bucket, key, size, ETag, version, time and event name
    assert [
        (r.s3.bucket.name, r.s3.object.key, r.s3.object.size, r.s3.object.eTag, r.s3.object.versionId)
        for r in full
        if r.s3.object is not None
    ] == [
        (r.s3.bucket.name, r.s3.object.key, r.s3.object.size, r.s3.object.e_tag, r.s3.object.version_id)
        for r in ours
    ]
    assert [(r.eventTime, r.eventName) for r in full] == [(r.event_time, r.event_name) for r in ours]


@pytest.mark.parametrize(
    ('change', 'field'),
    [
        (lambda record: record['s3']['object'].pop('key'), 'key'),
        (lambda record: record['s3'].pop('bucket'), 'bucket'),
        (lambda record: record.update(eventSource='aws:sqs'), 'eventSource'),
        (lambda record: record['s3']['object'].update(size=-1), 'size'),
    ],
)
def test_a_malformed_s3_event_is_refused_naming_the_field(
    change: Callable[[dict[str, Any]], object], field: str
) -> None:
    event = json.loads((EVENTS / 's3_put.json').read_text())
    change(event['Records'][0])
    with pytest.raises(ValidationError, match=field):
        S3Event.model_validate(event)


def test_a_plain_s3_event_gives_bucket_key_version_and_etag() -> None:
    # GIVEN / WHEN the plain sample event is parsed
    (source,) = load_sources('s3_put.json')
    # THEN the object version is identified
    assert source.ref.key == 'incoming/customers.csv'
    assert source.ref.version_id == '3HL4kqtJvjVBH40Nrjfkd'
    assert source.ref.etag == '0123456789abcdef0123456789abcdef'
    assert source.ref.source_id == f's3://{source.ref.bucket}/incoming/customers.csv#3HL4kqtJvjVBH40Nrjfkd'
    assert source.size == 4211


def test_url_encoded_keys_are_decoded_with_plus_as_space() -> None:
    # GIVEN / WHEN the event whose key S3 URL-encoded ('+' and %20 for spaces, %28 for '(')
    (source,) = load_sources('s3_put_encoded_key.json')
    # THEN the key is the object's real name
    assert source.ref.key == 'incoming/Smile export (2026) final.csv'
    assert source.ref.file_name == 'Smile export (2026) final.csv'


def test_multi_record_and_duplicate_events_keep_every_record() -> None:
    multi = load_sources('s3_put_multi.json')
    duplicate = load_sources('s3_put_duplicate.json')
    assert [source.ref.key for source in multi] == [
        'incoming/customers.csv',
        'incoming/acme/yotpo_export.csv',
    ]
    # A duplicate delivery is the same object version: the same idempotency identity.
    assert duplicate[0].ref == duplicate[1].ref


def test_null_version_and_quoted_etags_are_normalised() -> None:
    event = json.loads((EVENTS / 's3_put.json').read_text())
    event['Records'][0]['s3']['object'].update({'versionId': 'null', 'eTag': '"abc"'})
    (record,) = S3Event.model_validate(event).records
    ref = SourceRef.from_s3_record(record)
    assert (ref.version_id, ref.etag) == (None, 'abc')
    assert ref.source_id.endswith('#abc')


def imported_record(name: str = 'customers.csv', **fields: object) -> ImportRecord:
    record = ImportRecord.new(SourceEvent(ref=SourceRef(bucket='b', key=f'incoming/{name}', version_id='v')))
    return record.model_copy(update=fields)


def test_the_subject_of_a_finished_import_reads_like_a_sentence() -> None:
    record = imported_record(
        status=RecordStatus.IMPORTED,
        import_result=ImportResult(success_count=498, failure_count=2, error_file_exists=True),
    )
    assert subject_for(record) == 'Loyalty import finished: 498 imported, 2 failed - customers.csv'


@pytest.mark.parametrize(
    'name',
    [
        'Müller Kunden — Punkte 2026.csv',
        'клиенты.csv',
        'a' * 300 + '.csv',
        'line\nbreak\tand\x07bell.csv',
    ],
)
def test_subjects_are_ascii_without_control_characters_and_under_100_chars(name: str) -> None:
    # GIVEN a file name SNS would refuse in a subject
    record = imported_record(
        name, status=RecordStatus.REJECTED, error=RecordError(code='NO_EMAIL_COLUMN', message='x')
    )
    # WHEN the subject is built
    subject = subject_for(record)
    # THEN SNS accepts it
    assert subject.isascii()
    assert len(subject) < 100
    assert not any(ord(char) < 32 for char in subject)
    assert subject.startswith('Loyalty import refused (NO_EMAIL_COLUMN) - ')


def test_accents_survive_as_plain_letters() -> None:
    assert ascii_safe('Müller — Kunden') == 'Muller - Kunden'


def test_a_rejection_notification_says_what_to_do_and_carries_the_record() -> None:
    # GIVEN a rejected record with its report
    record = imported_record(
        status=RecordStatus.REJECTED,
        error=RecordError(code='AMBIGUOUS_POINTS', message='Two columns could be the balance.'),
        report='s3://b/results/customers.csv.rejected.txt',
    )
    # WHEN its notification is built
    notification = build_notification(record)
    body = json.loads(notification.message)
    # THEN the body has the outcome, the record (with its error) and next steps naming the override metadata
    assert body['outcome'] == 'REJECTED'
    assert body['record']['error'] == {
        'code': 'AMBIGUOUS_POINTS',
        'message': 'Two columns could be the balance.',
    }
    assert any('x-amz-meta-points-column' in step for step in body['nextSteps'])
    assert notification.attributes == {'outcome': 'REJECTED', 'site': 'default'}
    # AND the bulky cross-check data stays out of the message
    assert 'expectedHeader' not in body['record']


def test_a_clean_import_has_no_next_steps() -> None:
    record = imported_record(
        status=RecordStatus.IMPORTED,
        import_result=ImportResult(success_count=3, failure_count=0, error_file_exists=False),
    )
    assert json.loads(build_notification(record).message)['nextSteps'] == []


def test_history_records_each_status_once() -> None:
    record = imported_record()
    record.move_to(RecordStatus.CREATED)
    record.move_to(RecordStatus.CREATED)
    record.move_to(RecordStatus.IMPORTING)
    assert [change.status for change in record.status_history] == [
        RecordStatus.RECEIVED,
        RecordStatus.CREATED,
        RecordStatus.IMPORTING,
    ]


def test_sample_events_exist_for_every_handler() -> None:
    names = {path.name for path in Path(EVENTS).glob('*.json')}
    assert {'s3_put.json', 's3_put_encoded_key.json', 's3_put_multi.json', 's3_put_duplicate.json'} <= names
    assert {
        'poller_first.json',
        'executor_parsed.json',
        'finalizer_imported.json',
        'finalizer_timed_out.json',
    } <= names


def test_a_huge_preflight_is_left_out_of_the_notification_but_not_the_record() -> None:
    # GIVEN a record whose pre-flight summary alone is larger than SNS accepts
    record = imported_record(status=RecordStatus.DRY_RUN, preflight={'columns': ['x' * 1000] * 300})
    # WHEN its notification is built
    message = build_notification(record).message
    # THEN the message fits SNS and says where the full summary is
    assert len(message.encode('utf-8')) < 256 * 1024
    assert 'too large for a notification' in json.loads(message)['record']['preflight']['omitted']
    assert record.preflight is not None
    assert len(record.preflight['columns']) == 300


@pytest.mark.parametrize('path', sorted(EVENTS.glob('*.json')), ids=lambda path: path.name)
def test_every_sample_event_parses_into_its_handler_model(path: Path) -> None:
    # GIVEN a sample event (also used with `sam local invoke`)
    event = json.loads(path.read_text())
    # WHEN / THEN it parses into what its handler expects
    if path.name.startswith('s3_'):
        assert load_sources(path.name)
    elif path.name.startswith('finalizer_'):
        task = FinalizerInput.model_validate(event)
        assert task.poll is not None
        # Each finalizer sample shows one way in: Wix done, the deadline, a Catch, or Finalize's own Catch
        ways_in = [
            task.poll.status in {'IMPORTED', 'FAILED'},
            task.poll.deadline_exceeded,
            task.error,
            task.finalize_error,
        ]
        assert sum(bool(way) for way in ways_in) == 1
    elif path.name.startswith('review_'):
        # a Function URL request (payload 2.0), as the review page's handler reads it
        request = Request.from_event(event)
        assert (request.method, request.path, set(request.query)) == ('GET', '/', {'t'})
    else:
        assert PollerInput.model_validate(event).import_id


def test_customer_sample_rows_stay_out_of_the_notification() -> None:
    # GIVEN a record whose pre-flight summary holds whole customer rows
    preflight = {
        'rows': 2,
        'normalized': {'header': ['email', 'points'], 'sample_rows': [['ann@example.com', '1']]},
    }
    record = imported_record(status=RecordStatus.DRY_RUN, preflight=preflight)
    # WHEN its notification is built
    message = build_notification(record).message
    # THEN the rows are summarised, not sent; the record itself is unchanged
    assert 'ann@example.com' not in message
    assert json.loads(message)['record']['preflight']['normalized']['header'] == ['email', 'points']
    assert record.preflight is not None
    assert record.preflight['normalized']['sample_rows'] == [['ann@example.com', '1']]
