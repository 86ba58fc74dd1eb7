from django.db.utils import OperationalError

from returns_desk.core import views

TOKEN = "health-token-for-the-monitor"


def test_healthz_reports_database_and_broker_up(client, db):
    response = client.get("/healthz/")
    assert response.status_code == 200
    assert response.json() == {"database": "up", "broker": "up", "status": "ok"}


def test_healthz_names_a_failing_broker_to_the_token_holder(client, db, monkeypatch, settings):
    settings.HEALTHZ_TOKEN = TOKEN

    def unreachable(*args, **kwargs):
        raise ConnectionError("connection refused")

    monkeypatch.setattr(views, "get_broker", unreachable)
    response = client.get("/healthz/", headers={"X-Healthz-Token": TOKEN})
    assert response.status_code == 503
    body = response.json()
    assert body["broker"] == "down: ConnectionError: connection refused"
    assert body["database"] == "up"


class BrokenConnection:
    def cursor(self):
        raise OperationalError('connection to server at "db.internal" (10.0.4.7), port 5432 failed')


def test_healthz_names_a_failing_database_to_the_token_holder(client, db, monkeypatch, settings):
    settings.HEALTHZ_TOKEN = TOKEN
    monkeypatch.setattr(views, "connection", BrokenConnection())
    response = client.get(f"/healthz/?token={TOKEN}")
    assert response.status_code == 503
    assert response.json()["database"] == (
        'down: OperationalError: connection to server at "db.internal" (10.0.4.7), port 5432 failed'
    )


def test_healthz_tells_an_anonymous_caller_only_that_the_database_is_down(client, db, monkeypatch, settings):
    settings.HEALTHZ_TOKEN = TOKEN
    monkeypatch.setattr(views, "connection", BrokenConnection())
    for attempt in ({}, {"token": "a-wrong-token"}, {"token": "ä-non-ascii"}):
        response = client.get("/healthz/", attempt)
        assert response.status_code == 503
        assert response.json() == {"database": "down", "broker": "up", "status": "failing"}
        assert "db.internal" not in response.content.decode() and "5432" not in response.content.decode()


def test_healthz_without_a_configured_token_gives_details_to_nobody(client, db, monkeypatch, settings):
    settings.HEALTHZ_TOKEN = ""
    monkeypatch.setattr(views, "connection", BrokenConnection())
    response = client.get("/healthz/?token=", headers={"X-Healthz-Token": ""})
    assert response.status_code == 503
    assert response.json()["database"] == "down"


def test_browsers_asking_for_favicon_ico_get_the_shops_icon(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 301 and response["Location"].endswith("favicon.svg")
