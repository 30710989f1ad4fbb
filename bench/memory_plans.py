"""What PostgreSQL does with the per-user memory queries on a table of the benchmark's
full size: EXPLAIN (ANALYZE, BUFFERS) for the largest user and a median one. The
episodic store gets as many rows (no embeddings: these queries read none of them)
spread over 90 days, for consolidation, archiving, the goal engine's activity and the
goal sweep's fan-out. A plan whose rows or buffers grow with the table, not the user,
is a missing index."""

from __future__ import annotations

import io
from typing import Any

from bench.memory_corpus import user_id
from bench.progress import Progress

AGENTS = ("scribe_01", "herald_01", "oracle_01")
TYPES = ("generate", "publish", "analyze", "note")


def _episodes(conn: Any, sizes: list[int], model: str) -> None:
    """One episodic row per semantic row, created over the last 90 days; half of those
    older than a week consolidated, a tenth archived."""
    out = io.StringIO()
    for user, count in enumerate(sizes):
        uid = user_id(user)
        for i in range(count):
            age = (i * 7919) % (90 * 24)  # hours, spread evenly
            consolidated = int(age >= 168 and i % 2 == 0)
            archived = int(i % 10 == 0)
            outcome = "success" if i % 5 else "failure"
            out.write(
                f"{uid}\t{AGENTS[i % 3]}\t{TYPES[i % 4]}\tepisode {i}\t{outcome}\t"
                f"{(i % 10) / 10}\t{model}\t{age}\t{consolidated}\t{archived}\n"
            )
    cur = conn.cursor()
    cur.execute(
        "CREATE TEMP TABLE bench_episodes (user_id text, agent_id text, interaction_type "
        "text, content text, outcome text, importance real, embedding_model text, "
        "age_hours int, consolidated int, archived int)"
    )
    cur.execute("COPY bench_episodes FROM STDIN", stream=io.BytesIO(out.getvalue().encode()))
    cur.execute(
        "INSERT INTO episodic_memories (user_id, agent_id, interaction_type, content, "
        "outcome, importance, embedding_model, created_at, consolidated_at, archived_at) "
        "SELECT user_id, agent_id, interaction_type, content, outcome, importance, "
        "embedding_model, now() - make_interval(hours => age_hours), "
        "CASE WHEN consolidated = 1 THEN now() - make_interval(hours => age_hours) END, "
        "CASE WHEN archived = 1 THEN now() END FROM bench_episodes"
    )
    cur.execute("DROP TABLE bench_episodes")
    conn.commit()
    conn.autocommit = True
    try:
        cur.execute("VACUUM ANALYZE episodic_memories")
    finally:
        conn.autocommit = False


# name -> (SQL, whether it takes the embedding model after the user)
QUERIES: dict[str, tuple[str, bool]] = {
    "dedupe: identical text": (
        "SELECT id FROM semantic_memories WHERE user_id = %s AND content_hash = "
        "'0000' ORDER BY created_at, id LIMIT 1",
        False,
    ),
    "keyword: full-text": (
        "SELECT id, ts_rank(content_tsv, websearch_to_tsquery('english', 'w17 w4711')) AS s "
        "FROM semantic_memories WHERE user_id = %s AND content_tsv @@ "
        "websearch_to_tsquery('english', 'w17 w4711') ORDER BY s DESC, id LIMIT 20",
        False,
    ),
    "consolidation: candidates": (
        "SELECT id FROM episodic_memories WHERE user_id = %s AND consolidated_at IS "
        "NULL AND archived_at IS NULL AND embedding_model = %s AND created_at >= "
        "now() - interval '7 days' ORDER BY created_at DESC, id LIMIT 500",
        True,
    ),
    "consolidation: archive": (
        "SELECT count(*) FROM episodic_memories WHERE user_id = %s AND archived_at "
        "IS NULL AND importance < 0.3 AND created_at < now() - interval '30 days'",
        False,
    ),
    "goals: recent activity": (
        "SELECT agent_id, interaction_type, sum(seen_count) FROM episodic_memories WHERE "
        "user_id = %s AND created_at > now() - interval '30 days' AND "
        "interaction_type IS DISTINCT FROM 'evolution' GROUP BY agent_id, interaction_type",
        False,
    ),
}
SWEEP = (
    "SELECT count(*) FROM (SELECT user_id FROM episodic_memories WHERE created_at > "
    "now() - interval '7 days' UNION SELECT user_id FROM usage_events WHERE created_at > "
    "now() - interval '7 days' AND event_type <> 'goals.generation_requested') active"
)


def _explain(db: Any, sql: str, params: list[Any]) -> dict[str, Any]:
    with db.transaction() as tx:
        rows = tx.all("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + sql, params)
        text = tx.all("EXPLAIN " + sql, params)
    document = next(iter(rows[0].values()))[0]
    return {
        "execution_ms": round(float(document["Execution Time"]), 2),
        "shared_buffers_hit_read": (
            document["Plan"].get("Shared Hit Blocks", 0),
            document["Plan"].get("Shared Read Blocks", 0),
        ),
        "plan": [str(next(iter(r.values()))) for r in text],
    }


def plans(conn: Any, db: Any, sizes: list[int], model: str, progress: Progress) -> dict[str, Any]:
    from shared.memory.recall import explain

    progress.step("episodic rows for the plans")
    _episodes(conn, sizes, model)
    median = len(sizes) // 2
    found: dict[str, Any] = {}
    for label, user in (("largest user", 0), ("median user", median)):
        uid = user_id(user)
        progress.step(f"EXPLAIN, {label}")
        found[f"recall: semantic, {label} ({sizes[user]:,} rows)"] = explain(
            uid, "w17 w4711", type="semantic", analyze=True
        ).splitlines()
        found[f"dedupe: nearest duplicate, {label}"] = explain(
            uid, "new memory w17 w4711", type="semantic", limit=1, analyze=True
        ).splitlines()
        for name, (sql, with_model) in QUERIES.items():
            params = [uid, model] if with_model else [uid]
            found[f"{name}, {label}"] = _explain(db, sql, params)
    found["goal sweep: active users"] = _explain(db, SWEEP, [])
    found["store: insert, largest user"] = _insert(db, user_id(0), model)
    return found


def _insert(db: Any, uid: str, model: str) -> list[str]:
    """What one memory's INSERT costs at full size (every index entry, WAL included),
    rolled back."""
    from shared.memory.store import embed

    vector = embed(["an inserted memory w17 w4711"], "RETRIEVAL_DOCUMENT")[0][0]
    rows: list[Any] = []
    try:
        with db.transaction() as tx:
            rows = tx.all(
                "EXPLAIN (ANALYZE, BUFFERS, WAL) INSERT INTO semantic_memories (user_id, "
                "content, content_hash, embedding, embedding_model) "
                "VALUES (%s, %s, %s, %s::vector, %s)",
                [uid, "an inserted memory w17 w4711", "bench", vector, model],
            )
            raise _Undo
    except _Undo:
        pass
    return [str(next(iter(r.values()))) for r in rows]


class _Undo(Exception):
    """Raised to roll a transaction back on purpose."""
