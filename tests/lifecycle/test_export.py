"""``GET /api/me/export`` and ``segp user export``: every stored row of the user as
JSON Lines, one object per row with its table, streamed batch by batch."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from shared import bootstrap
from shared.cli import main
from shared.config import Settings
from shared.db import Database
from shared.lifecycle import catalog
from tests.conftest import auth
from tests.lifecycle.conftest import new_user, populate


def lines_of(body: bytes) -> list[dict[str, Any]]:
    return [json.loads(line) for line in body.decode().splitlines()]


def test_the_export_holds_every_row_of_the_user_and_no_other_users(api: Any, db: Database) -> None:
    user, other = new_user(), new_user()
    populate(api, db, user)
    populate(api, db, other)

    res = api.get("/api/me/export", headers=auth(user))

    assert res.status_code == 200
    assert res.mimetype == "application/x-ndjson"
    exported = lines_of(res.data)
    with db.transaction() as tx:
        owned = catalog.user_columns(tx)
        expected = {
            table: int(
                tx.scalar(
                    f"SELECT count(*) FROM {catalog.ident(table)} WHERE user_id = %s", (user,)
                )
            )
            for table in owned
        }
    kinds: dict[str, int] = {}
    for line in exported:
        assert set(line) == {"kind", "row"}
        kinds[line["kind"]] = kinds.get(line["kind"], 0) + 1
        assert other not in json.dumps(line)
    assert {k: n for k, n in kinds.items() if k in owned} == expected


def test_embeddings_are_left_out_and_content_kept(api: Any, db: Database) -> None:
    user = new_user()
    with db.transaction() as tx:
        tx.execute(
            "INSERT INTO semantic_memories (user_id, content, embedding) VALUES (%s, 'tea', %s)",
            (user, "[" + ",".join(["0.1"] * 768) + "]"),
        )

    [line] = lines_of(api.get("/api/me/export", headers=auth(user)).data)

    assert line["kind"] == "semantic_memories"
    assert line["row"]["content"] == "tea"
    assert "embedding" not in line["row"]


def test_a_large_export_streams_one_batch_at_a_time(api: Any, db: Database) -> None:
    user = new_user()
    with db.transaction() as tx:
        for n in range(7):
            tx.execute(
                "INSERT INTO semantic_memories (user_id, content) VALUES (%s, %s)", (user, f"m{n}")
            )

    res = api.get("/api/me/export", headers=auth(user), buffered=False)

    assert res.is_streamed
    chunks = [chunk for chunk in res.response if chunk]
    res.close()
    assert [len(chunk.splitlines()) for chunk in chunks] == [2, 2, 2, 1]
    contents = [json.loads(line)["row"]["content"] for c in chunks for line in c.splitlines()]
    assert sorted(contents) == [f"m{n}" for n in range(7)]


def test_segp_user_export_prints_the_same_lines(
    api: Any,
    db: Database,
    db_url: str,
    settings: Settings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    user = new_user()
    populate(api, db, user)
    over_http = lines_of(api.get("/api/me/export", headers=auth(user)).data)
    monkeypatch.setenv("SEGP_HOME", str(tmp_path))
    monkeypatch.setenv("DATABASE_URL", db_url)
    capsys.readouterr()
    try:
        assert main(["user", "export", "--user", user]) == 0
    finally:
        bootstrap.configure(settings)

    printed = [line for line in lines_of(capsys.readouterr().out.encode()) if "kind" in line]
    assert printed == over_http
