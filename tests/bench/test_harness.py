"""The benchmark harness's own logic (the benchmarks themselves run with ``make bench``,
never in the suite: speed is measured there, not asserted here)."""

from __future__ import annotations

import json
from pathlib import Path

from bench import report
from bench.cold_start import targets
from bench.figures import Figure, Outcome, percentile
from bench.memory_corpus import DIM, copy_payload, probes, zipf_sizes
from shared.config import Settings


def test_percentile_interpolates_between_ranks() -> None:
    assert percentile([1.0, 2.0, 3.0, 4.0], 0.5) == 2.5
    assert percentile([5.0, 1.0, 3.0], 0.95) == 4.8


def test_cold_start_loads_every_entry_point_main_exports() -> None:
    import main

    loads = targets()
    for name in main.__all__:
        assert any(statement.endswith(f"main.{name}") for statement in loads.values())


def test_a_missed_target_and_a_skipped_benchmark_are_reported_as_such() -> None:
    outcomes = [
        Outcome("fast", "", [Figure("ratio", 0.1, "x", target=">= 0.5x", met=False)]),
        Outcome("later", "", skipped="not in this checkout"),
    ]
    text = report.table(outcomes)
    assert "MISSED" in text
    assert "SKIPPED" in text
    assert not outcomes[0].all_met


def test_the_readme_table_comes_from_the_saved_run(tmp_path: Path) -> None:
    saved = tmp_path / "latest.json"
    outcome = Outcome("fast", "", [Figure("ratio", 0.7, "x", target=">= 0.5x", met=True)])
    report.write_json([outcome], {"machine": {}}, saved)
    assert "| fast | ratio | 0.70 x | >= 0.5x | met |" in report.markdown(saved)
    assert json.loads(saved.read_text())["benchmarks"][0]["figures"][0]["met"] is True


def test_user_sizes_follow_a_zipf_law_and_sum_to_the_table() -> None:
    sizes = zipf_sizes(1_000_000)
    assert sum(sizes) == 1_000_000 and len(sizes) == 1000
    assert sizes == sorted(sizes, reverse=True)
    assert sizes[4] >= 20_000 and sizes[0] <= 100_000  # a few large users
    assert 100 <= sizes[500] < 1000  # most with hundreds


def test_the_probe_users_hold_about_a_tenth_of_the_rows() -> None:
    sizes = zipf_sizes(1_000_000)
    share = sum(sizes[u] for u in probes()) / sum(sizes)
    assert 0.08 <= share <= 0.15


def test_binary_copy_payload_is_framed_as_postgres_expects() -> None:
    import numpy as np

    vector = np.ones(DIM, dtype=np.float32)
    payload = copy_payload([("u", "memory 0", vector)], "m")
    assert payload.startswith(b"PGCOPY\n\xff\r\n\x00")
    assert payload.endswith(b"\xff\xff")
    # header 19 + field count 2 + four (length, value) fields + trailer 2
    assert len(payload) == 19 + 2 + (4 + 1) + (4 + 8) + (4 + 4 + 4 * DIM) + (4 + 1) + 2


def test_binary_copy_loads_memories_that_read_back_unchanged(settings: Settings) -> None:
    import io

    import numpy as np
    import pg8000.dbapi

    from shared.db import get_database
    from shared.db.connect import url_params

    rng = np.random.default_rng(1)
    vectors = rng.standard_normal((2, DIM)).astype(np.float32)
    payload = copy_payload([("copy-user", f"memory {i}", v) for i, v in enumerate(vectors)], "m")
    assert settings.database_url is not None
    conn = pg8000.dbapi.connect(**url_params(settings.database_url))
    try:
        conn.cursor().execute(
            "COPY semantic_memories (user_id, content, embedding, embedding_model) "
            "FROM STDIN WITH (FORMAT binary)",
            stream=io.BytesIO(payload),
        )
        conn.commit()
    finally:
        conn.close()
    with get_database().transaction() as tx:
        rows = tx.all(
            "SELECT content, embedding FROM semantic_memories WHERE user_id = 'copy-user' "
            "ORDER BY content"
        )
    assert [r["content"] for r in rows] == ["memory 0", "memory 1"]
    assert np.allclose(np.array([r["embedding"] for r in rows]), vectors)
