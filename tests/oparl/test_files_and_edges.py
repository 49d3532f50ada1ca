"""OParl files (access, download, conditional GET, checksums, master and derivative) and the edges of the
interface: bad input, unknown addresses, writing methods, CORS, the same answer for every caller."""

from __future__ import annotations

import hashlib
import json

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from tests.oparl.conftest import BASE, Published


def _paper(published: Published) -> dict[str, object]:
    answer = published.client.get(f"{BASE}/paper/{published.world.public_paper}")
    assert answer.status_code == 200
    paper: dict[str, object] = answer.json()
    return paper


def test_the_paper_links_its_pdf_as_main_file_and_the_docx_master_beside_it(published: Published) -> None:
    paper = _paper(published)
    main = paper["mainFile"]
    assert isinstance(main, dict)
    assert main["mimeType"] == "application/pdf"
    master = published.client.get(main["masterFile"]).json()
    assert master["mimeType"].endswith("wordprocessingml.document")
    assert master["derivativeFile"] == [main["id"]]
    auxiliary = paper["auxiliaryFile"]
    assert isinstance(auxiliary, list)
    assert master in auxiliary


def test_a_superseded_version_is_not_embedded_but_stays_at_its_own_address(published: Published) -> None:
    paper = _paper(published)
    embedded = [paper["mainFile"], *paper["auxiliaryFile"]]  # type: ignore[misc]
    assert {f["gremienlauf:version"] for f in embedded} == {2}
    for file_id in published.world.superseded_files:
        older = published.client.get(f"{BASE}/file/{file_id}")
        assert older.status_code == 200
        assert older.json()["gremienlauf:version"] == 1


def test_access_shows_the_file_and_download_saves_it_with_matching_checksum(published: Published) -> None:
    main = _paper(published)["mainFile"]
    assert isinstance(main, dict)
    access = published.client.get(main["accessUrl"])
    assert access.status_code == 200
    assert access.headers["content-type"] == "application/pdf"
    assert "attachment" not in access.headers.get("content-disposition", "")
    assert access.headers["access-control-allow-origin"] == "*"
    assert hashlib.sha512(access.content).hexdigest() == main["sha512Checksum"]
    assert len(access.content) == main["size"]
    download = published.client.get(main["downloadUrl"])
    assert download.content == access.content
    disposition = download.headers["content-disposition"]
    assert disposition.startswith("attachment;")
    assert "filename*=UTF-8''Vorlage%20Spielplatz.pdf" in disposition


def test_a_file_is_not_sent_again_when_the_client_has_it(published: Published) -> None:
    main = _paper(published)["mainFile"]
    assert isinstance(main, dict)
    first = published.client.get(main["accessUrl"])
    etag, last_modified = first.headers["etag"], first.headers["last-modified"]
    assert published.client.get(main["accessUrl"], headers={"If-None-Match": etag}).status_code == 304
    assert (
        published.client.get(main["accessUrl"], headers={"If-Modified-Since": last_modified}).status_code
        == 304
    )
    assert published.client.get(main["accessUrl"], headers={"If-None-Match": '"other"'}).status_code == 200
    assert (
        published.client.get(
            main["accessUrl"], headers={"If-Modified-Since": "Mon, 01 Jan 2001 00:00:00 GMT"}
        ).status_code
        == 200
    )
    assert (
        published.client.get(main["accessUrl"], headers={"If-Modified-Since": "gestern"}).status_code == 200
    )


def test_non_public_files_cannot_be_read_at_all(published: Published) -> None:
    for file_id in published.world.secret_files:
        for suffix in ("", "/access", "/download"):
            answer = published.client.get(f"{BASE}/file/{file_id}{suffix}")
            assert answer.status_code == 404
            assert answer.json()["type"] == "https://schema.oparl.org/1.1/Error"


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/body/1/papers?limit=0", 400),
        ("/body/1/papers?limit=1001", 400),
        ("/body/1/papers?limit=-5", 400),
        ("/body/1/papers?limit=zehn", 400),
        ("/body/1/papers?modified_since=gestern", 400),
        ("/body/1/papers?modified_since=2014-01-01T00:00:00", 400),  # no offset
        ("/body/1/papers?created_until=2014-13-01T00:00:00%2B01:00", 400),
        ("/body/1/papers?omit_internal=vielleicht", 400),
        ("/body/1/papers?after=abc", 400),
        ("/body/1/papers?created_since=0001-01-01T00:00:00%2B01:00", 400),
        ("/body/1/papers?modified_until=9999-12-31T23:59:59-01:00", 400),
        ("/body/1/papers?after=99999999999999999999", 400),
        ("/body/999/papers", 404),
        ("/body/abc", 404),
        ("/paper/0", 404),
        ("/paper/-1", 404),
        ("/paper/99999999999999999999", 404),
        ("/paper/%00", 404),
        ("/meeting/1.5", 404),
        ("/gibt-es-nicht", 404),
        ("/file/999999/access", 404),
        # str.isdigit() is true for these, int() then fails or reads another number: never a 500
        ("/paper/%C2%B2", 404),  # '²'
        ("/body/%C2%B2/papers", 404),
        ("/body/1/papers?limit=%C2%B2", 400),
        ("/body/1/papers?after=%C2%B2", 400),
        ("/file/%C2%B2/access", 404),
        ("/legislativeterm/%C2%B2", 404),
        ("/paper/%D9%A1", 404),  # Arabic-Indic one
        ("/body/1/papers?limit=%D9%A1", 400),
        ("/paper/0004", 404),  # an id must be the canonical one of the URL
        ("/body/1/papers?limit=010", 400),
        ("/body/1/papers?after=007", 400),
        ("/body/1/papers?after=2147483648", 400),
        ("/paper/2147483648", 404),
    ],
)
def test_bad_input_gets_the_error_object_with_a_proper_status(
    published: Published, path: str, status: int
) -> None:
    answer = published.client.get(BASE + path)
    assert answer.status_code == status
    body = answer.json()
    assert body["type"] == "https://schema.oparl.org/1.1/Error"
    assert isinstance(body["message"], str)
    assert body["message"]
    assert answer.headers["access-control-allow-origin"] == "*"


def test_the_calendars_last_moment_as_modified_until_means_no_limit(published: Published) -> None:
    whole = published.client.get(f"{BASE}/body/1/papers").json()["data"]
    answer = published.client.get(f"{BASE}/body/1/papers?modified_until=9999-12-31T23:59:59.999999%2B00:00")
    assert answer.status_code == 200, answer.text
    assert answer.json()["data"] == whole
    assert "modified_until=9999-12-31T23%3A59%3A58%2B00%3A00" in answer.json()["links"]["self"]


def test_only_addresses_below_oparl_v1_are_oparl_addresses(published: Published) -> None:
    for method in ("GET", "POST"):
        beside = published.client.request(method, BASE + "foo")
        assert beside.status_code in (404, 405)
        assert beside.json().get("type") != "https://schema.oparl.org/1.1/Error", method
    assert "access-control-allow-origin" not in published.client.get(BASE + "foo").headers
    assert published.client.get(BASE + "/system").headers["access-control-allow-origin"] == "*"


def test_head_answers_like_get_without_a_body(published: Published) -> None:
    main = _paper(published)["mainFile"]
    assert isinstance(main, dict)
    for url in (f"{BASE}/system", main["accessUrl"], f"{BASE}/gibt-es-nicht"):
        get, head = published.client.get(url), published.client.head(url)
        assert head.status_code == get.status_code
        assert head.content == b""
        assert head.headers["content-length"] == get.headers["content-length"]
        assert head.headers["access-control-allow-origin"] == "*"


def test_writing_methods_are_refused_and_preflight_is_answered(published: Published) -> None:
    for method in ("POST", "PUT", "PATCH", "DELETE"):
        answer = published.client.request(method, f"{BASE}/body/1/papers")
        assert answer.status_code == 405
        assert answer.json()["type"] == "https://schema.oparl.org/1.1/Error"
        assert answer.headers["allow"] == "GET, HEAD, OPTIONS"
    preflight = published.client.options(
        f"{BASE}/system", headers={"Origin": "https://example.org", "Access-Control-Request-Method": "GET"}
    )
    assert preflight.status_code == 204
    assert preflight.headers["access-control-allow-origin"] == "*"


def test_every_caller_gets_the_same_public_answer(published: Published) -> None:
    anonymous = published.client.get(f"{BASE}/body/1/papers").json()
    with_token = published.client.get(
        f"{BASE}/body/1/papers", headers={"Authorization": "Bearer irgendein-token"}
    ).json()
    assert with_token == anonymous


def test_json_is_utf8_with_umlauts_and_date_times_without_fractions(published: Published) -> None:
    answer = published.client.get(f"{BASE}/body/1/organizations")
    assert answer.headers["content-type"] == "application/json; charset=utf-8"
    assert "ü".encode() in answer.content  # "Ausschuss für …", not \\u00fc
    text = answer.text
    assert 'Z"' not in text
    assert json.loads(text)["data"]


def test_ids_start_with_the_configured_public_url(published: Published) -> None:
    app = create_app(published.db.url, public_url="https://rats.wetzlar.example/")
    with TestClient(app) as client:
        system = client.get("/oparl/v1/system").json()
    app.state.engine.dispose()
    assert system["id"] == "https://rats.wetzlar.example/oparl/v1/system"
    assert system["body"] == "https://rats.wetzlar.example/oparl/v1/bodies"
