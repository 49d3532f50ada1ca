"""Each repair of a real server's fault, from a fixture in the shape that server sent."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from workers.oparl_import import repairs

FIXTURES = Path(__file__).parent / "fixtures"


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def test_a_deleted_stub_without_type_gets_the_type_of_its_list() -> None:
    page = fixture("deleted_without_type.json")
    kept, stub = page["data"]
    assert repairs.add_missing_type(kept, "Paper", "1.0") is kept
    fixed, notes = repairs.repair(stub, "Paper")
    assert fixed["type"] == "https://schema.oparl.org/1.0/Paper"
    assert repairs.is_deleted(fixed)
    assert not repairs.is_deleted(kept)
    assert "ohne type" in notes


def test_a_single_object_where_an_array_is_due_becomes_an_array() -> None:
    meeting = fixture("single_instead_of_array.json")
    fixed, notes = repairs.repair(meeting, "Meeting")
    assert fixed["organization"] == [meeting["organization"]]
    assert [f["id"] for f in fixed["auxiliaryFile"]] == [meeting["auxiliaryFile"]["id"]]
    assert "Einzelwert statt Liste" in notes


def test_blank_and_na_strings_are_dropped_and_others_trimmed() -> None:
    item = fixture("blank_and_na.json")
    fixed = repairs.drop_blanks(item)
    assert "number" not in fixed
    assert "result" not in fixed
    assert "resolutionText" not in fixed
    assert "mimeType" not in fixed["auxiliaryFile"][0]
    assert fixed["postalCode"] == "52393"
    assert fixed["name"] == "Öffentliche Sitzung"


def test_a_date_where_a_date_time_is_due_and_the_reverse() -> None:
    paper = fixture("date_and_datetime.json")
    assert repairs.parse_date(paper["date"]) == dt.date(2016, 4, 7)
    start = repairs.parse_datetime(paper["meetingStart"])
    assert start is not None
    assert start.utcoffset() == dt.timedelta(hours=2)
    assert (start.date(), start.time()) == (dt.date(2016, 4, 7), dt.time(0, 0))
    modified = repairs.parse_datetime(paper["utcModified"])
    assert modified == dt.datetime(2016, 4, 7, 16, 0, 0, 123456, tzinfo=dt.UTC)
    assert repairs.parse_datetime("gestern") is None
    assert repairs.parse_date("2016-02-30") is None
    assert repairs.without_fractions(modified) == "2016-04-07T16:00:00+00:00"


def test_a_meeting_that_ends_before_it_starts_loses_its_end() -> None:
    meeting = fixture("meeting_end_before_start.json")
    fixed, notes = repairs.repair(meeting, "Meeting")
    assert "end" not in fixed
    assert fixed["start"] == meeting["start"]
    assert notes == ["Ende vor Beginn: Ende verworfen"]
    ok = {**meeting, "end": "2016-04-07T20:00:00+02:00"}
    assert repairs.repair_meeting_times(ok) == (ok, None)


def test_the_same_embedded_object_twice_is_kept_once() -> None:
    paper = fixture("duplicate_embedded.json")
    fixed, notes = repairs.repair(paper, "Paper")
    assert [c["id"][-4:] for c in fixed["consultation"]] == ["3145", "3146"]
    assert "consultation doppelt" in notes


def test_raw_control_characters_in_json_are_read() -> None:
    text = (FIXTURES / "control_characters.json").read_text(encoding="utf-8")
    with pytest.raises(json.JSONDecodeError):
        json.loads(text)
    assert repairs.loads_lenient(text)["name"] == "Zeile eins\nZeile\tzwei"


def test_an_id_that_differs_from_the_url_it_was_fetched_at() -> None:
    case = fixture("id_differs_from_url.json")
    assert repairs.identity(case["object"], case["fetched"]) == (case["object"]["id"], case["fetched"])
    assert repairs.identity(case["object"], case["object"]["id"]) == (case["object"]["id"], None)
    assert repairs.identity({"name": "ohne id"}, case["fetched"]) == (case["fetched"], None)


def test_a_next_link_that_lost_its_filter_gets_it_back() -> None:
    page = fixture("next_link_drops_filter.json")
    filters = {"modified_since": "2024-01-01T00:00:00+01:00"}
    fixed = repairs.keep_filters(page["links"]["next"], filters)
    assert (
        fixed
        == "https://oparl.example.org/v1.0/body/1/paper?page=2&modified_since=2024-01-01T00:00:00%2B01:00"
    )
    assert repairs.keep_filters(fixed, filters) == fixed


def test_a_percent_encoded_query_can_be_sent_unencoded() -> None:
    url = "https://oparl.example.org/paper?modified_since=2024-01-01T00%3A00%3A00%2B01%3A00"
    assert (
        repairs.unencoded_query(url)
        == "https://oparl.example.org/paper?modified_since=2024-01-01T00:00:00+01:00"
    )


def test_a_seven_digit_ags_gets_its_leading_zero() -> None:
    assert repairs.normalise_ags("5358016") == "05358016"
    assert repairs.normalise_ags("06532023") == "06532023"
    assert repairs.normalise_ags("N/A") is None
