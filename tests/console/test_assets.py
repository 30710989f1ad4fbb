"""The console's files as the ``api`` function serves them: only when CONSOLE_ENABLED,
only the shipped files, each with its ETag and a policy that admits this origin alone;
the page's module graph is complete (every import is a shipped file)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from shared import bootstrap
from shared.config import Settings
from shared.console.assets import STATIC, assets, total_bytes
from shared.local.env import local_settings
from tests.conftest import test_settings


@pytest.fixture(scope="module")
def settings(db_url: str) -> Settings:
    s = test_settings(db_url, CONSOLE_ENABLED=True)
    bootstrap.configure(s)
    return s


@pytest.fixture
def console_off(settings: Settings) -> Iterator[None]:
    bootstrap.configure(settings.model_copy(update={"console_enabled": False}))
    yield
    bootstrap.configure(settings)


def test_the_page_is_served_with_a_policy_that_admits_only_this_origin(api: Any) -> None:
    res = api.get("/console/")
    assert res.status_code == 200 and res.mimetype == "text/html"
    assert b'<script type="module" src="js/main.js">' in res.data
    policy = res.headers["Content-Security-Policy"]
    assert "default-src 'none'" in policy and "connect-src 'self'" in policy
    assert "http" not in policy  # no other host, no CDN
    assert res.headers["X-Content-Type-Options"] == "nosniff"


def test_the_bare_path_redirects_relatively_to_the_folder(api: Any) -> None:
    res = api.get("/console")
    assert res.status_code == 308 and res.headers["Location"] == "console/"


def test_a_module_is_served_as_javascript_and_revalidated_by_etag(api: Any) -> None:
    res = api.get("/console/js/main.js")
    assert res.status_code == 200 and res.mimetype == "text/javascript"
    again = api.get("/console/js/main.js", headers={"If-None-Match": res.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""


@pytest.mark.parametrize(
    "path",
    ["/console/nope.js", "/console/../../config.py", "/console/js/../../assets.py"],
)
def test_a_path_that_is_no_shipped_file_is_a_json_404(api: Any, path: str) -> None:
    res = api.get(path)
    assert res.status_code == 404 and "error" in res.get_json()


def test_only_get_is_answered(api: Any) -> None:
    res = api.post("/console/index.html")
    assert res.status_code == 404 and "GET" in res.get_json()["error"]


def test_the_console_is_off_unless_enabled(api: Any, console_off: None) -> None:
    res = api.get("/console/")
    assert res.status_code == 404
    assert "CONSOLE_ENABLED" in res.get_json()["error"]
    assert api.get("/api/health").status_code == 200  # the API itself is unaffected


def test_the_local_shape_turns_the_console_on_unless_told_not_to(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    monkeypatch.setenv("SEGP_HOME", str(tmp_path))
    monkeypatch.delenv("CONSOLE_ENABLED", raising=False)
    assert local_settings(start_database=False)[0].console_enabled is True
    monkeypatch.setenv("CONSOLE_ENABLED", "false")
    assert local_settings(start_database=False)[0].console_enabled is False
    assert Settings.from_env({}, local=True).console_enabled is False  # the Cloud default


IMPORT = re.compile(r"""^import\s[^"']*["']([^"']+)["'];""", re.MULTILINE)


def test_every_module_the_page_imports_is_shipped() -> None:
    shipped = set(assets())
    seen, todo = set(), ["js/main.js"]
    while todo:
        name = todo.pop()
        assert name in shipped, f"{name} is imported but not shipped"
        seen.add(name)
        source = (STATIC / name).read_text()
        for target in IMPORT.findall(source):
            assert target.startswith("."), f"{name} imports {target!r} from outside the bundle"
            resolved = (STATIC / name).parent.joinpath(target).resolve().relative_to(STATIC)
            if resolved.as_posix() not in seen:
                todo.append(resolved.as_posix())
    assert {n for n in shipped if n.endswith(".js")} == seen  # and nothing shipped unused


def test_the_console_stays_small() -> None:
    """docs/operations/console.md states 68 KB; a framework or a vendored library would not fit."""
    assert 30_000 < total_bytes() < 90_000
