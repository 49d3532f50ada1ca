"""A request never holds two database connections at once: under load that would exhaust the pool."""

from __future__ import annotations

from fastapi.testclient import TestClient

from api.app import create_app
from gremienlauf.demo_users import DEMO_PASSWORD, add_demo_users
from tests.conftest import Database


def test_a_write_request_works_with_a_pool_of_one_connection(pg: Database) -> None:
    add_demo_users(pg.url)
    app = create_app(pg.url, engine_options={"pool_size": 1, "max_overflow": 0, "pool_timeout": 3})
    with TestClient(app) as client:
        token = client.post(
            "/api/v1/auth/token", json={"username": "wetzlar-koordination", "password": DEMO_PASSWORD}
        ).json()["access_token"]
        created = client.post(
            "/api/v1/wetzlar/papers",
            json={"department": "kbs", "subject": "Eine Verbindung reicht", "paper_date": "2013-07-12"},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert created.status_code == 201, created.text
        edited = client.patch(
            f"/api/v1/wetzlar/papers/{created.json()['id']}",
            json={"justification": "Begründung"},
            headers={"Authorization": f"Bearer {token}", "If-Match": created.headers["ETag"]},
        )
        assert edited.status_code == 200, edited.text
        retried = [
            client.post(
                "/api/v1/wetzlar/meetings",
                json={"bodies": ["magistrat"], "start": "2030-09-30T09:00:00+02:00"},
                headers={"Authorization": f"Bearer {token}", "Idempotency-Key": "sitzung-1"},
            )
            for _ in range(2)
        ]
        assert [r.status_code for r in retried] == [201, 201]
        assert retried[0].json()["id"] == retried[1].json()["id"]
