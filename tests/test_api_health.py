"""/health and /ready report the real database and model state."""
from __future__ import annotations

import time

from fastapi.testclient import TestClient

from api.main import create_app
from api.settings import ApiSettings
from recommender.store.db import head_revision, migrate, open_database


def _client(tmp_path, database_url: str) -> TestClient:
    settings = ApiSettings(data_dir=tmp_path, database_url=database_url, load_bot=False)
    return TestClient(create_app(settings))


def test_health_on_a_migrated_database_is_ok(tmp_path):
    url = f"sqlite:///{tmp_path / 'finbot.db'}"
    migrate(open_database(url))
    with _client(tmp_path, url) as client:
        body = client.get("/health").json()
        assert body["status"] == "ok"
        assert body["database"]["reachable"] and body["database"]["migrated"]
        assert body["database"]["revision"] == head_revision()
        assert body["database"]["customers"] == 0
        assert body["model"] == {"state": "not_trained", "path": None, "size_bytes": None, "serving": None,
                                 "load": "off"}
        assert client.get("/ready").status_code == 200


def test_unmigrated_database_is_degraded_and_not_ready(tmp_path):
    with _client(tmp_path, f"sqlite:///{tmp_path / 'empty.db'}") as client:
        body = client.get("/health").json()
        assert body["status"] == "degraded" and body["database"]["migrated"] is False
        ready = client.get("/ready")
        assert ready.status_code == 503 and ready.json()["ready"] is False


def test_unreachable_database_is_reported_not_raised(tmp_path):
    with _client(tmp_path, "postgresql://nobody@127.0.0.1:1/none") as client:
        response = client.get("/health")
        assert response.status_code == 200
        assert response.json()["database"]["reachable"] is False
        assert client.get("/ready").status_code == 503


def test_a_model_archive_is_reported(tmp_path):
    url = f"sqlite:///{tmp_path / 'finbot.db'}"
    migrate(open_database(url))
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "20260101-000000.tar.gz").write_bytes(b"x" * 10)
    with _client(tmp_path, url) as client:
        model = client.get("/health").json()["model"]
        assert model["state"] == "ready" and model["size_bytes"] == 10


def _wait_for_load(client: TestClient, seconds: float = 60) -> dict:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        model = client.get("/health").json()["model"]
        if model["load"] != "loading":
            return model
        time.sleep(0.1)
    raise AssertionError("the model load never finished")


def test_a_broken_model_archive_leaves_health_up_and_ready_says_why(tmp_path):
    """The model loads in the background: /health answers, /ready and chat refuse with the reason."""
    url = f"sqlite:///{tmp_path / 'finbot.db'}"
    migrate(open_database(url))
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "20260101-000000.tar.gz").write_bytes(b"not a model archive")
    settings = ApiSettings(data_dir=tmp_path, database_url=url, load_bot=True, model_poll_seconds=0)
    with TestClient(create_app(settings)) as client:
        assert client.get("/health").status_code == 200
        model = _wait_for_load(client)
        assert model["load"] == "failed" and model["serving"] is None and model["load_error"]
        ready = client.get("/ready")
        assert ready.status_code == 503
        assert ready.json()["problems"] == [f"bot model failed to load: {model['load_error']}"]


def test_no_trained_model_is_reported_as_such(tmp_path):
    url = f"sqlite:///{tmp_path / 'finbot.db'}"
    migrate(open_database(url))
    settings = ApiSettings(data_dir=tmp_path, database_url=url, load_bot=True, model_poll_seconds=0)
    with TestClient(create_app(settings)) as client:
        assert _wait_for_load(client)["load"] == "no_model"
        assert client.get("/ready").json()["problems"] == ["no trained bot model (run `finbot train`)"]
