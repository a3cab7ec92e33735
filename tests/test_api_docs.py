"""API docs are not public: /docs, /redoc and /openapi.json answer 404 unless API_DOCS is set."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from voice_agent.app import create_app
from voice_agent.settings import Settings

DOC_PATHS = ("/docs", "/redoc", "/openapi.json", "/docs/oauth2-redirect")


@pytest.fixture
def base(tmp_path: Path) -> Settings:
    return Settings(_env_file=None, data_dir=tmp_path)  # type: ignore[call-arg]


def test_api_docs_are_off_by_default(base: Settings) -> None:
    client = TestClient(create_app(base, freeze_startup=False))  # no lifespan: routing only
    for path in DOC_PATHS:
        assert client.get(path).status_code == 404, path


def test_api_docs_setting_turns_them_on(base: Settings) -> None:
    app = create_app(base.model_copy(update={"api_docs": True}), freeze_startup=False)
    client = TestClient(app)
    assert client.get("/openapi.json").status_code == 200
    assert client.get("/docs").status_code == 200
