"""Memory recall at scale: 1,000 users of Zipf-like sizes (``bench/memory_corpus.py``)
in one table, per-user recall@10 of the recall search against an exact top-10 for
every user, reported for the exact path and the index path separately, and latency.

The probe users (a tenth of the rows) are loaded first and measured alone, then the
other users are added and everyone is measured: the probes' p95 at the full table
over their p95 at a tenth says whether a recall's cost follows the user's size or the
table's. Then hybrid recall through the product path, the write path (dedupe and
insert, the embedding excluded), the index builds and sizes (vector, and halfvec for
comparison), and EXPLAIN ANALYZE of the per-user queries at full size
(``bench/memory_plans.py``). ``make bench`` runs 100,000 memories (the exact-scan
threshold scaled to 1,000 so the index path is exercised);
``segp bench memory-recall --size 1m`` the full million (threshold 10,000)."""

from __future__ import annotations

import io
import time
from typing import Any

from bench.environment import Environment
from bench.figures import Curve, Figure, Outcome, at_least, at_most, percentile
from bench.memory_corpus import Corpus, copy_payload, probes, user_id, zipf_sizes
from bench.progress import Progress

SIZES = {"100k": 100_000, "1m": 1_000_000}
DEFAULT_SIZE = "100k"
QUERIES_PER_USER = 5
K = 10
TARGET_RECALL = 0.95
TARGET_P95_MS = 10.0
TARGET_RATIO = 1.5
TARGET_HYBRID_P95_MS = 15.0
WRITES = 200
INDEXES = {
    "semantic_memories_embedding": "USING hnsw (embedding vector_cosine_ops)",
    "semantic_memories_content_tsv": "USING gin (content_tsv)",
    "semantic_memories_content_trgm": "USING gin (content gin_trgm_ops)",
}
HALFVEC = (
    "bench_semantic_memories_halfvec",
    "USING hnsw ((embedding::halfvec(768)) halfvec_cosine_ops)",
)


COPY_CHUNK = 20_000  # rows per COPY statement (and commit)


def _copy(conn: Any, corpus: Corpus, users: list[int], sizes: list[int], model: str) -> float:
    """Seconds spent in COPY (the payloads are built outside the clock)."""
    took = 0.0
    cur = conn.cursor()
    pending: list[tuple[str, str, Any]] = []
    for n, user in enumerate(users):
        pending += corpus.add(user, sizes[user])
        if len(pending) < COPY_CHUNK and n < len(users) - 1:
            continue
        payload = copy_payload(pending, model)
        pending = []
        began = time.perf_counter()
        cur.execute(
            "COPY semantic_memories (user_id, content, embedding, embedding_model) "
            "FROM STDIN WITH (FORMAT binary)",
            stream=io.BytesIO(payload),
        )
        conn.commit()
        took += time.perf_counter() - began
    return took


def _build(conn: Any, name: str, using: str) -> tuple[float, int]:
    """Build one index (seconds, bytes)."""
    cur = conn.cursor()
    cur.execute("SET maintenance_work_mem = '4GB'")
    began = time.perf_counter()
    cur.execute(f"CREATE INDEX IF NOT EXISTS {name} ON semantic_memories {using}")
    conn.commit()
    took = time.perf_counter() - began
    cur.execute("SELECT pg_relation_size(%s::regclass)", (name,))
    size = int(cur.fetchone()[0])
    conn.commit()
    return took, size


def _drop(conn: Any, names: list[str]) -> None:
    cur = conn.cursor()
    for name in names:
        cur.execute(f"DROP INDEX IF EXISTS {name}")
    conn.commit()


def _vacuum(conn: Any) -> None:
    conn.autocommit = True  # VACUUM runs outside a transaction
    try:
        conn.cursor().execute("VACUUM ANALYZE semantic_memories")
    finally:
        conn.autocommit = False


def _load(
    conn: Any, corpus: Corpus, users: list[int], sizes: list[int], model: str, progress: Progress
) -> dict[str, Any]:
    """COPY with the indexes dropped, then build them, as a bulk import would."""
    _drop(conn, list(INDEXES))
    progress.step(f"COPY {sum(sizes[u] for u in users):,} memories")
    copy_s = _copy(conn, corpus, users, sizes, model)
    built: dict[str, Any] = {}
    for name, using in INDEXES.items():
        progress.step(f"building {name}")
        seconds, size = _build(conn, name, using)
        built[name] = {"seconds": round(seconds, 1), "bytes": size}
    _vacuum(conn)
    rows = sum(sizes[u] for u in users)
    return {"rows": rows, "copy_seconds": round(copy_s, 2), "rows_per_s": rows / copy_s, **built}


def own_indexes(db: Any, users: list[int], progress: Progress) -> dict[str, Any]:
    """The users' own HNSW indexes (``shared/memory/user_index.py``), built as the
    daily duty would for each user past the threshold: how many, seconds, bytes."""
    from shared.memory.user_index import ensure

    began = time.perf_counter()
    built: list[str] = []
    for n, user in enumerate(users):
        built += ensure(db, user_id(user))
        progress.step("own indexes", n + 1, len(users))
    seconds = time.perf_counter() - began
    with db.transaction() as tx:
        size = tx.scalar(
            "SELECT coalesce(sum(pg_relation_size(index_name::regclass)), 0) "
            "FROM memory_user_indexes WHERE index_name = ANY(%s)",
            [built],
        )
    return {"indexes": len(built), "seconds": round(seconds, 1), "bytes": int(size)}


def _truth(corpus: Corpus, user: int, query: Any) -> set[int]:
    import numpy as np

    return set(np.argsort(-(corpus.vectors[user] @ query), kind="stable")[:K].tolist())


def measure(
    db: Any, corpus: Corpus, users: list[int], model: str, progress: Progress, phase: str
) -> dict[str, Any]:
    """Per user: the path recall takes, recall@10 over its queries, and latencies."""
    from shared.db.vector import to_vector
    from shared.memory.kinds import kind_of
    from shared.memory.search import Filters, choose, nearest

    kind = kind_of("semantic")
    per_user: dict[str, dict[str, Any]] = {}
    for n, user in enumerate(users):
        uid = user_id(user)
        with db.transaction() as tx:
            plan = choose(tx, kind, uid, model, Filters(), K)
        hits, latencies = 0, []
        wanted = min(K, len(corpus.texts[user])) * QUERIES_PER_USER
        for query in corpus.draw(user, QUERIES_PER_USER):
            probe = to_vector(query.tolist())
            began = time.perf_counter()
            with db.transaction() as tx:
                rows = nearest(tx, kind, uid, probe, model, Filters(), K)
            latencies.append((time.perf_counter() - began) * 1000)
            hits += len(
                _truth(corpus, user, query) & {int(str(r["content"]).split()[1]) for r in rows}
            )
        per_user[uid] = {
            "rows": len(corpus.texts[user]),
            "path": "exact" if plan.exact else "index",
            "recall": hits / wanted,
            "ms": latencies,
        }
        progress.step(phase, n + 1, len(users))
    return per_user


def summary(per_user: dict[str, dict[str, Any]], users: set[str] | None = None) -> dict[str, Any]:
    chosen = {u: v for u, v in per_user.items() if users is None or u in users}
    out: dict[str, Any] = {"users": len(chosen)}
    for path in ("exact", "index", None):
        group = [v for v in chosen.values() if path is None or v["path"] == path]
        if not group:
            continue
        ms = [x for v in group for x in v["ms"]]
        out[path or "all"] = {
            "users": len(group),
            "recall_at_10": sum(v["recall"] for v in group) / len(group),
            "worst_user_recall_at_10": min(v["recall"] for v in group),
            "largest_user_rows": max(v["rows"] for v in group),
            "p50_ms": percentile(ms, 0.5),
            "p95_ms": percentile(ms, 0.95),
        }
    return out


def hybrid(db: Any, corpus: Corpus, users: list[int], progress: Progress) -> dict[str, Any]:
    """The product's hybrid recall (offline embedding included) for two words of one of
    the user's memories, every user; the keyword ranking should find that memory."""
    from shared.memory.recall import recall_with_usage

    latencies, found = [], 0
    for n, user in enumerate(users):
        text = corpus.texts[user][len(corpus.texts[user]) // 2]
        query = " ".join(text.split()[2:4])
        began = time.perf_counter()
        rows, _ = recall_with_usage(user_id(user), query, mode="hybrid", limit=K)
        latencies.append((time.perf_counter() - began) * 1000)
        found += any(r["content"] == text and "keyword" in r["matchedBy"] for r in rows)
        progress.step("hybrid recalls", n + 1, len(users))
    return {
        "p50_ms": percentile(latencies, 0.5),
        "p95_ms": percentile(latencies, 0.95),
        "keyword_found_its_memory": found / len(users),
    }


def halfvec(
    conn: Any, db: Any, corpus: Corpus, per_user: dict[str, Any], model: str, progress: Progress
) -> dict[str, Any]:
    """The same index-path recalls ordered by a halfvec index, candidates re-ordered by
    the full vectors: what halving the index would cost in recall and latency."""
    from shared.db.vector import to_vector
    from shared.memory.kinds import kind_of
    from shared.memory.search import Filters, choose, overrides, set_for_transaction, where

    progress.step("building the halfvec index")
    seconds, size = _build(conn, *HALFVEC)
    _vacuum(conn)
    kind = kind_of("semantic")
    index_users = [int(u.rsplit("-", 1)[1]) for u, v in per_user.items() if v["path"] == "index"]
    recalls, latencies = [], []
    for user in index_users:
        uid = user_id(user)
        hits = 0
        wanted = min(K, len(corpus.texts[user])) * QUERIES_PER_USER
        for query in corpus.draw(user, QUERIES_PER_USER):
            probe = to_vector(query.tolist())
            began = time.perf_counter()
            with db.transaction() as tx:
                clause, params = where(kind, uid, model, Filters())
                plan = choose(tx, kind, uid, model, Filters(), K)
                set_for_transaction(tx, overrides(plan))
                rows = tx.all(
                    "WITH c AS MATERIALIZED (SELECT content, embedding <=> %s::vector AS d "
                    f"FROM semantic_memories WHERE {clause} "
                    "ORDER BY embedding::halfvec(768) <=> %s::vector::halfvec(768) "
                    "LIMIT %s) SELECT content FROM c ORDER BY d + 0 LIMIT %s",
                    [probe, *params, probe, plan.candidates or K * 4, K],
                )
            latencies.append((time.perf_counter() - began) * 1000)
            hits += len(
                _truth(corpus, user, query) & {int(str(r["content"]).split()[1]) for r in rows}
            )
        recalls.append(hits / wanted)
    _drop(conn, [HALFVEC[0]])
    return {
        "build_seconds": round(seconds, 1),
        "bytes": size,
        "index_users": len(index_users),
        "recall_at_10": sum(recalls) / len(recalls) if recalls else None,
        "worst_user_recall_at_10": min(recalls) if recalls else None,
        "p95_ms": percentile(latencies, 0.95) if latencies else None,
    }


def writes(db: Any, corpus: Corpus, sizes: list[int], progress: Progress) -> dict[str, Any]:
    """Stores through the product's write path (advisory lock, identical-text lookup,
    nearest-duplicate search, insert with its index entries, outbox event), the
    embedding given: users spread over the ranks, so both search paths are taken. The
    nearest-duplicate search is also timed on its own, just before each write, to tell
    the search's share from the insert's."""
    from shared.db.vector import to_vector
    from shared.memory.kinds import kind_of
    from shared.memory.search import Filters, nearest
    from shared.memory.store import MemoryWrite, write_embedded
    from shared.model import get_model

    kind, model = kind_of("semantic"), get_model().embedding_model
    step = max(1, len(sizes) // (WRITES // 2))
    users = list(range(0, len(sizes), step))[: WRITES // 2]
    latencies, searches = [], []
    for n, user in enumerate(users):
        for i, vector in enumerate(corpus.draw(user, 2)):
            write = MemoryWrite(type="semantic", content=f"new memory {n}-{i} for {user}")
            probe = to_vector(vector.tolist())
            began = time.perf_counter()
            with db.transaction() as tx:
                nearest(tx, kind, user_id(user), probe, model, Filters(), 1)
            searches.append((time.perf_counter() - began) * 1000)
            began = time.perf_counter()
            with db.transaction() as tx:
                write_embedded(tx, user_id(user), [write], [probe])
            latencies.append((time.perf_counter() - began) * 1000)
        progress.step("writes", n + 1, len(users))
    return {
        "writes": len(latencies),
        "p50_ms": percentile(latencies, 0.5),
        "p95_ms": percentile(latencies, 0.95),
        "max_ms": max(latencies),
        "dedupe_search_p50_ms": percentile(searches, 0.5),
        "dedupe_search_p95_ms": percentile(searches, 0.95),
    }


def run(env: Environment, progress: Progress, quick: bool = False) -> Outcome:
    from bench.memory_plans import plans
    from shared.model import get_model

    label = env.size or DEFAULT_SIZE
    total = SIZES[label] // (10 if quick else 1)
    threshold = max(100, total // 100)
    outcome = Outcome("memory-recall", "Memory recall at scale (Zipf users; recall@10, latency)")
    settings, db = env.database("memory_recall", MEMORY_EXACT_SCAN_MAX_ROWS=str(threshold))
    model = get_model().embedding_model
    sizes, probe = zipf_sizes(total), probes()
    corpus = Corpus()
    conn = env.connect(settings)
    details: dict[str, Any] = {"rows": total, "exact_scan_max_rows": threshold}
    try:
        details["load_tenth"] = _load(conn, corpus, probe, sizes, model, progress)
        details["own_tenth"] = own_indexes(db, probe, progress)
        tenth = measure(db, corpus, probe, model, progress, "recalls, probes alone")
        rest = [u for u in range(len(sizes)) if u not in set(probe)]
        details["load_full"] = _load(conn, corpus, rest, sizes, model, progress)
        everyone = list(range(len(sizes)))
        # The rest's large users through the shared index (no own index yet; the
        # probes' own indexes are built already), for the comparison; halfvec on the shared index at 100k (at 1m its build alone would
        # take a quarter of the run: measured once, see docs/concepts/memory.md).
        shared = measure(db, corpus, everyone, model, progress, "recalls, shared index")
        details["full_shared_index"] = summary(shared)
        if label != "1m":
            details["halfvec"] = halfvec(conn, db, corpus, shared, model, progress)
        details["own_full"] = own_indexes(db, rest, progress)
        full = measure(db, corpus, everyone, model, progress, "recalls, all")
        details["tenth"] = summary(tenth)
        details["full"] = summary(full)
        details["probes_full"] = summary(full, set(tenth))
        details["hybrid"] = hybrid(db, corpus, everyone, progress)
        details["writes"] = writes(db, corpus, sizes, progress)
        details["plans"] = plans(conn, db, sizes, model, progress)
    finally:
        conn.close()
    outcome.details = details
    outcome.figures = figures(details)
    outcome.curves = [
        Curve(
            "memory recall p95 (probe users)",
            "memories",
            "ms",
            points=[
                (details["load_tenth"]["rows"], details["tenth"]["all"]["p95_ms"]),
                (total, details["probes_full"]["all"]["p95_ms"]),
            ],
        )
    ]
    return outcome


def _path(details: dict[str, Any], path: str, rows: int) -> list[Figure]:
    found = details["full"].get(path)
    if found is None:
        return []
    return [
        Figure(
            f"recall@10, {path} path, {rows:,} memories",
            found["recall_at_10"],
            "",
            target=f">= {TARGET_RECALL} every user",
            met=at_least(found["worst_user_recall_at_10"], TARGET_RECALL),
            note=f"{found['users']} users (largest {found['largest_user_rows']:,} rows); "
            f"worst user {found['worst_user_recall_at_10']:.2f}",
        ),
        Figure(
            f"recall p95, {path} path",
            found["p95_ms"],
            "ms",
            target=f"<= {TARGET_P95_MS:g} ms",
            met=at_most(found["p95_ms"], TARGET_P95_MS),
            note=f"p50 {found['p50_ms']:.1f} ms",
        ),
    ]


def figures(details: dict[str, Any]) -> list[Figure]:
    rows = details["rows"]
    every = details["full"]["all"]
    ratio = details["probes_full"]["all"]["p95_ms"] / details["tenth"]["all"]["p95_ms"]
    load = details["load_full"]
    vector = load["semantic_memories_embedding"]
    half = details.get("halfvec")
    own = details["own_full"]
    shared = details["full_shared_index"].get("index")
    out = [
        *_path(details, "exact", rows),
        *_path(details, "index", rows),
        Figure(
            "recall p95, all users",
            every["p95_ms"],
            "ms",
            target=f"<= {TARGET_P95_MS:g} ms",
            met=at_most(every["p95_ms"], TARGET_P95_MS),
            note=f"p50 {every['p50_ms']:.1f} ms; {every['users']} users",
        ),
        Figure(
            f"probe users' p95 at {rows:,} / at {details['load_tenth']['rows']:,}",
            ratio,
            "x",
            target=f"<= {TARGET_RATIO:g}x",
            met=at_most(ratio, TARGET_RATIO),
            note=f"{details['tenth']['all']['p95_ms']:.1f} -> "
            f"{details['probes_full']['all']['p95_ms']:.1f} ms, same users and rows",
        ),
        Figure(
            "hybrid recall p95",
            details["hybrid"]["p95_ms"],
            "ms",
            target=f"<= {TARGET_HYBRID_P95_MS:g} ms",
            met=at_most(details["hybrid"]["p95_ms"], TARGET_HYBRID_P95_MS),
            note=f"three stores, offline embedding included; keyword found the memory in "
            f"{details['hybrid']['keyword_found_its_memory']:.0%} of recalls",
        ),
        Figure(
            "memory store p95 (embedding excluded)",
            details["writes"]["p95_ms"],
            "ms",
            note=f"p50 {details['writes']['p50_ms']:.1f} ms; {details['writes']['writes']} writes; "
            f"its nearest-duplicate search alone p50 "
            f"{details['writes']['dedupe_search_p50_ms']:.1f}, p95 "
            f"{details['writes']['dedupe_search_p95_ms']:.1f} ms",
        ),
        Figure("bulk load (binary COPY)", load["rows_per_s"], "rows/s"),
        Figure(
            "HNSW build, vector",
            vector["seconds"],
            "s",
            note=f"{vector['bytes'] / 2**20:,.0f} MiB",
        ),
        Figure(
            "own HNSW indexes, build",
            own["seconds"],
            "s",
            note=f"{own['indexes']} users' partial indexes, {own['bytes'] / 2**20:,.0f} MiB",
        ),
    ]
    if shared is not None:
        out.append(
            Figure(
                "index path through the shared index (before own indexes)",
                shared["recall_at_10"],
                "",
                note=f"worst user {shared['worst_user_recall_at_10']:.2f}; "
                f"p95 {shared['p95_ms']:.1f} ms, p50 {shared['p50_ms']:.1f} ms",
            )
        )
    if half is not None:
        out.append(
            Figure(
                "HNSW build, halfvec",
                half["build_seconds"],
                "s",
                note=f"{half['bytes'] / 2**20:,.0f} MiB; shared-index recall@10 "
                f"{half['recall_at_10'] or 0:.3f} "
                f"(worst {half['worst_user_recall_at_10'] or 0:.2f}), "
                f"p95 {half['p95_ms'] or 0:.1f} ms",
            )
        )
    return out
