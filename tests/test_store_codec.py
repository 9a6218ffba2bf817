"""The store codec: Article/Record <-> JSON must lose nothing."""

from __future__ import annotations

import json
import math
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta, timezone

import pytest

from everyday.errors import StoreError
from everyday.models import Article, Image, Provider, Record
from everyday.store import codec
from store_samples import full_article, full_record


def test_full_record_round_trips_equal():
    record = full_record()
    assert codec.loads_record(codec.dumps_record(record)) == record


def test_full_article_round_trips_equal():
    article = full_article()
    assert codec.loads_article(codec.dumps_article(article)) == article


def test_round_trip_keeps_value_types_not_just_equality():
    # 1 == 1.0 == True and a list == tuple would hide a lossy codec behind ==.
    extra = dict(codec.loads_record(codec.dumps_record(full_record())).extra)
    assert type(extra["score"]) is float
    assert extra["flag"] is False
    assert type(extra["pair"]) is tuple
    assert type(extra["tags"]) is list
    assert type(extra["day"]) is date
    assert type(extra["when"]) is datetime
    assert list(extra["intkeys"]) == [1, 2]
    assert extra["nested"]["$odd"] == "dollar key"
    assert extra["raw"] == b"\x00\xffbytes"


def test_extra_keeps_duplicate_keys_in_order():
    record = codec.loads_record(codec.dumps_record(full_record()))
    keys = [key for key, _ in record.extra]
    assert keys[0] == keys[-1] == "legacy_id"
    assert record.extra[-1][1] == "duplicate keys keep their order"


def test_nan_is_tagged_and_comes_back():
    record = replace(full_record(), extra=(("nan", float("nan")),))
    text = codec.dumps_record(record)
    assert "NaN" not in text  # strict JSON, so PostgreSQL jsonb accepts it too
    ((key, value),) = codec.loads_record(text).extra
    assert key == "nan" and math.isnan(value)


def test_datetimes_keep_offset_and_naivety():
    plus2 = timezone(timedelta(hours=2))
    for moment in (datetime(2020, 1, 2, 3, 4, 5, 6), datetime(2020, 1, 2, 3, 4, tzinfo=plus2)):
        record = replace(full_record(), published=moment)
        back = codec.loads_record(codec.dumps_record(record)).published
        assert back == moment
        assert back.utcoffset() == moment.utcoffset()


def test_related_none_and_empty_stay_distinct():
    for related in (None, ()):
        record = replace(full_record(), related=related)
        assert codec.loads_record(codec.dumps_record(record)).related == related


def test_minimal_record_round_trips():
    record = Record("T", "", datetime(2021, 3, 3), "https://e.x/a", Provider("E", "e.x"))
    assert codec.loads_record(codec.dumps_record(record)) == record


def test_nested_images_keep_legacy_title_and_unknown_cache_state():
    back = codec.loads_record(codec.dumps_record(full_record()))
    assert back.images[1] == Image("https://old.example.com/a.jpg", 640, 480, None, "Old")
    assert back.related is not None
    assert back.related[0].provider is not None
    assert back.related[0].provider.images[0].is_cached is True


def test_unencodable_extra_value_is_a_store_error():
    record = replace(full_record(), extra=(("obj", object()),))
    with pytest.raises(StoreError, match="cannot encode value of type object"):
        codec.dumps_record(record)


def test_time_and_set_values():
    assert codec.decode_value(codec.encode_value(time(10, 30))) == time(10, 30)
    with pytest.raises(StoreError):
        codec.encode_value({1, 2})


def test_missing_optional_keys_take_defaults_and_unknown_keys_are_ignored():
    data = codec.encode_article(full_article())
    del data["record"]["secured"], data["tags"]
    data["record"]["added_in_a_later_version"] = 1
    article = codec.decode_article(data)
    assert article.record.secured is None
    assert article.tags == ()


@pytest.mark.parametrize(
    "text",
    ['{"record": {}, "path": "x"}', "not json", "[1, 2]", '{"v": 99, "record": {}}'],
)
def test_malformed_documents_raise_store_error(text):
    with pytest.raises(StoreError):
        codec.loads_article(text)


def test_newer_format_is_refused_with_a_clear_message():
    data = codec.encode_article(full_article()) | {"v": codec.FORMAT_VERSION + 1}
    with pytest.raises(StoreError, match="has format 2; this everyday reads 1"):
        codec.decode_article(data)


def test_encoding_is_stable_and_strict_json():
    article = full_article()
    text = codec.dumps_article(article)
    assert text == codec.dumps_article(codec.loads_article(text))
    json.loads(text, parse_constant=pytest.fail)  # no NaN/Infinity literals
    assert "Ünïcode" in text  # UTF-8 kept readable


def test_utc_key_sorts_by_instant_across_offsets_and_naive_as_utc():
    a = datetime(2023, 1, 1, 12, 0, tzinfo=timezone(timedelta(hours=5)))  # 07:00 UTC
    b = datetime(2023, 1, 1, 8, 0)  # naive: 08:00 UTC
    c = datetime(2023, 1, 1, 8, 30, tzinfo=UTC)
    assert sorted([c, b, a], key=codec.utc_key) == [a, b, c]
    assert len({len(codec.utc_key(x)) for x in (a, b, c, datetime(5, 1, 1))}) == 1


def test_article_defaults_round_trip():
    record = Record("T", "E", datetime(2022, 2, 2), "https://e.x/b", Provider("E", "e.x"))
    article = Article(record=record, path="_news/2022-02-02-b.md")
    assert codec.loads_article(codec.dumps_article(article)) == article
