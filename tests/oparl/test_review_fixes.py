"""Fixes after the review of the OParl publication: each test failed before its fix."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import update

from tests.conftest import Database
from tests.oparl.conftest import BASE, oparl_client
from tests.scenario import Scenario
from workflow.models import Membership


def test_a_legislative_term_starting_on_29_february_ends_on_28_february_five_years_on(
    sqlite_db: Database,
) -> None:
    sc = Scenario(sqlite_db.sessions)
    town_id = sc.town_id()
    leap_day = dt.date(2012, 2, 29)
    with sqlite_db.sessions.begin() as session:  # the term starts with its first membership
        session.execute(
            update(Membership).where(Membership.start_date < leap_day).values(start_date=leap_day)
        )
    with oparl_client(sqlite_db) as client:
        term = client.get(f"{BASE}/legislativeterm/{town_id}")
        body = client.get(f"{BASE}/body/{town_id}")
    assert term.status_code == 200, term.text
    assert term.json()["startDate"] == "2012-02-29"
    assert term.json()["endDate"] == "2017-02-28"
    assert body.status_code == 200
    assert body.json()["legislativeTerm"][0]["endDate"] == "2017-02-28"
