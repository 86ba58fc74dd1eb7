from django.db.utils import OperationalError

from returns_desk.core import views


def test_healthz_reports_database_and_broker_up(client, db):
    response = client.get("/healthz/")
    assert response.status_code == 200
    assert response.json() == {"database": "up", "broker": "up", "status": "ok"}


def test_healthz_names_a_failing_broker(client, db, monkeypatch):
    def unreachable(*args, **kwargs):
        raise ConnectionError("connection refused")

    monkeypatch.setattr(views, "get_broker", unreachable)
    response = client.get("/healthz/")
    assert response.status_code == 503
    body = response.json()
    assert body["broker"] == "down: ConnectionError: connection refused"
    assert body["database"] == "up"


def test_healthz_names_a_failing_database(client, db, monkeypatch):
    class BrokenConnection:
        def cursor(self):
            raise OperationalError("could not connect to server")

    monkeypatch.setattr(views, "connection", BrokenConnection())
    response = client.get("/healthz/")
    assert response.status_code == 503
    assert response.json()["database"] == "down: OperationalError: could not connect to server"
