"""Memory recall: per-user recall@10 of the recall SQL path against exact search, and
the latency of one recall, at 10k and 100k memories (768-d) over 100 users.

Vectors are random unit vectors with a clustered structure (each user's memories
and queries lie around a few of 40 shared topic centres), so nearest neighbours are
meaningful and a search that drops candidates shows up as lost recall. They are
bulk-loaded with binary ``COPY`` into ``semantic_memories``; the HNSW index is
dropped for the load and built afterwards, as a bulk import would. Each recall runs
``shared.memory.search.nearest`` for the semantic store in its own transaction (the
path ``recall(..., type="semantic")`` takes after embedding the query); the truth is
an exact cosine top-10 over the user's vectors computed in numpy."""

from __future__ import annotations

import io
import struct
import time
from typing import Any

from bench.environment import Environment
from bench.figures import Curve, Figure, Outcome, at_least, at_most, percentile
from bench.progress import Progress

USERS = 100
DIM = 768
SIZES = (10_000, 100_000)
TOPICS = 40
TOPICS_PER_USER = 5
QUERIES_PER_USER = 20
K = 10
NOISE = 0.9  # spread around a topic centre, relative to the centre's unit length
TARGET_RECALL = 0.95
TARGET_P95_MS = 10.0
INDEX = "semantic_memories_embedding"

_HEADER = b"PGCOPY\n\xff\r\n\x00" + struct.pack(">ii", 0, 0)


def _unit(rows: Any) -> Any:
    import numpy as np

    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


class Corpus:
    """Every user's topics, and vectors drawn around them."""

    def __init__(self, seed: int = 3) -> None:
        import numpy as np

        self.rng = np.random.default_rng(seed)
        self.centres = _unit(self.rng.standard_normal((TOPICS, DIM)))
        self.topics = [
            self.rng.choice(TOPICS, size=TOPICS_PER_USER, replace=False) for _ in range(USERS)
        ]
        self.vectors: list[list[Any]] = [[] for _ in range(USERS)]

    def draw(self, user: int, count: int) -> Any:
        import numpy as np

        picks = self.rng.choice(self.topics[user], size=count)
        noise = self.rng.standard_normal((count, DIM)) * (NOISE / np.sqrt(DIM))
        return _unit(self.centres[picks] + noise).astype(np.float32)


def user_id(user: int) -> str:
    return f"bench-user-{user:03d}"


def copy_payload(rows: list[tuple[str, str, Any]], model: str) -> bytes:
    """Binary COPY data for (user_id, content, embedding, embedding_model)."""
    out = io.BytesIO()
    out.write(_HEADER)
    model_bytes = model.encode()
    vector_head = struct.pack(">HH", DIM, 0)
    for user, content, vector in rows:
        u, c = user.encode(), content.encode()
        v = vector_head + vector.astype(">f4").tobytes()
        out.write(struct.pack(">hi", 4, len(u)) + u)
        out.write(struct.pack(">i", len(c)) + c)
        out.write(struct.pack(">i", len(v)) + v)
        out.write(struct.pack(">i", len(model_bytes)) + model_bytes)
    out.write(struct.pack(">h", -1))
    return out.getvalue()


def bulk_load(conn: Any, corpus: Corpus, per_user: int, model: str, progress: Progress) -> float:
    """Add ``per_user`` memories to every user; returns the seconds the COPY took."""
    cur = conn.cursor()
    cur.execute(f"DROP INDEX IF EXISTS {INDEX}")
    conn.commit()
    took = 0.0
    for user in range(USERS):
        vectors = corpus.draw(user, per_user)
        base = sum(len(v) for v in corpus.vectors[user])
        corpus.vectors[user].append(vectors)
        rows = [(user_id(user), f"memory {base + i}", vectors[i]) for i in range(per_user)]
        payload = copy_payload(rows, model)
        began = time.perf_counter()
        cur.execute(
            "COPY semantic_memories (user_id, content, embedding, embedding_model) "
            "FROM STDIN WITH (FORMAT binary)",
            stream=io.BytesIO(payload),
        )
        conn.commit()
        took += time.perf_counter() - began
        progress.step("bulk COPY", user + 1, USERS)
    return took


def build_index(conn: Any, progress: Progress) -> float:
    """Rebuild the schema's HNSW index (as migrations/0002 declares it), then vacuum."""
    progress.step("building the HNSW index")
    cur = conn.cursor()
    began = time.perf_counter()
    cur.execute("SET maintenance_work_mem = '512MB'")
    cur.execute(
        f"CREATE INDEX IF NOT EXISTS {INDEX} ON semantic_memories "
        "USING hnsw (embedding vector_cosine_ops)"
    )
    conn.commit()
    conn.autocommit = True  # VACUUM runs outside a transaction
    try:
        cur.execute("VACUUM ANALYZE semantic_memories")  # as after any bulk import
    finally:
        conn.autocommit = False
    return time.perf_counter() - began


def _execution_ms(
    tx: Any, kind: Any, clause: str, params: list[Any], probe: Any, plan: Any
) -> float:
    """PostgreSQL's own execution time of the search recall runs (EXPLAIN ANALYZE)."""
    from shared.memory.search import overrides, search_params, search_sql, settings_for_query

    sql = "EXPLAIN (ANALYZE, FORMAT JSON) " + search_sql(kind, clause, plan)
    with settings_for_query(tx, overrides(plan)):
        rows = tx.all(sql, search_params(params, probe, K, plan))
    document = next(iter(rows[0].values()))
    return float(document[0]["Execution Time"])


def measure(db: Any, corpus: Corpus, model: str, progress: Progress, phase: str) -> dict[str, Any]:
    """Recall@10 against exact search, and per-recall latency, over every user."""
    import numpy as np

    from shared.db.vector import to_vector
    from shared.memory.kinds import kind_of
    from shared.memory.search import Filters, choose, nearest, where

    kind = kind_of("semantic")
    hits = 0
    latencies: list[float] = []
    trivial: list[float] = []  # baseline: a transaction that only selects 1, same pool
    server: list[float] = []  # the search's own execution time inside PostgreSQL
    first: list[float] = []  # each user's first recall: their rows not yet in shared buffers
    later: list[float] = []
    strategies: dict[str, int] = {}
    recalls: list[float] = []
    for user in range(USERS):
        vectors = np.concatenate(corpus.vectors[user])
        queries = corpus.draw(user, QUERIES_PER_USER)
        found_user = 0
        for number, query in enumerate(queries):
            truth = set(np.argsort(-(vectors @ query), kind="stable")[:K].tolist())
            probe = to_vector(query.tolist())
            began = time.perf_counter()
            with db.transaction() as tx:
                rows = nearest(tx, kind, user_id(user), probe, model, Filters(), K)
            latencies.append(time.perf_counter() - began)
            (first if number == 0 else later).append(latencies[-1] * 1000)
            got = {int(str(r["content"]).split()[1]) for r in rows}
            found_user += len(truth & got)
            began = time.perf_counter()
            with db.transaction() as tx:
                tx.scalar("SELECT 1")
            trivial.append(time.perf_counter() - began)
        with db.transaction() as tx:
            clause, params = where(kind, user_id(user), model, Filters())
            plan = choose(tx, kind, clause, params, K)
            server.append(_execution_ms(tx, kind, clause, params, probe, plan))
        strategy = "exact scan" if plan.exact else f"hnsw ef_search={plan.ef_search}"
        strategies[strategy] = strategies.get(strategy, 0) + 1
        recalls.append(found_user / (K * QUERIES_PER_USER))
        hits += found_user
        progress.step(phase, user + 1, USERS)
    ms = [x * 1000 for x in latencies]
    base = [x * 1000 for x in trivial]
    return {
        "trivial_transaction_p50_ms": percentile(base, 0.5),
        "trivial_transaction_p95_ms": percentile(base, 0.95),
        "search_execution_in_postgres_p50_ms": percentile(server, 0.5),
        "search_execution_in_postgres_p95_ms": percentile(server, 0.95),
        "recall_at_10": hits / (K * QUERIES_PER_USER * USERS),
        "worst_user_recall_at_10": min(recalls),
        "p50_ms": percentile(ms, 0.5),
        "p95_ms": percentile(ms, 0.95),
        "first_recall_per_user_p50_ms": percentile(first, 0.5),
        "later_recalls_p95_ms": percentile(later, 0.95),
        "queries": len(ms),
        "strategy_per_user": strategies,
    }


def run(env: Environment, progress: Progress, quick: bool = False) -> Outcome:
    from shared.model import get_model

    outcome = Outcome("memory-recall", "Memory recall (recall@10 and latency)")
    settings, db = env.database("memory_recall")
    model = get_model().embedding_model
    corpus = Corpus()
    conn = env.connect(settings)
    sizes = tuple(s // 10 for s in SIZES) if quick else SIZES
    curve_recall = Curve("memory recall@10", "memories", "recall@10")
    curve_p95 = Curve("memory recall latency p95", "memories", "ms")
    curve_p50 = Curve("memory recall latency p50", "memories", "ms")
    loaded = 0
    results: dict[str, Any] = {}
    try:
        for size in sizes:
            per_user = (size - loaded) // USERS
            copy_s = bulk_load(conn, corpus, per_user, model, progress)
            index_s = build_index(conn, progress)
            loaded = size
            found = measure(db, corpus, model, progress, f"recalls at {size:,} memories")
            found.update(copy_seconds=round(copy_s, 2), index_build_seconds=round(index_s, 1))
            results[str(size)] = found
            curve_recall.points.append((size, found["recall_at_10"]))
            curve_p95.points.append((size, found["p95_ms"]))
            curve_p50.points.append((size, found["p50_ms"]))
    finally:
        conn.close()
    outcome.details = results
    top = results[str(sizes[-1])]
    copy_rate = sizes[-1] / sum(r["copy_seconds"] for r in results.values())
    outcome.figures = [
        Figure(
            f"recall@10 vs exact, {sizes[-1]:,} memories / {USERS} users",
            top["recall_at_10"],
            "",
            target=f">= {TARGET_RECALL}",
            met=at_least(top["recall_at_10"], TARGET_RECALL),
            note=f"worst user {top['worst_user_recall_at_10']:.2f}; "
            + ", ".join(f"{k}: {v} users" for k, v in top["strategy_per_user"].items()),
        ),
        Figure(
            "trivial transaction p50 / p95 (baseline)",
            top["trivial_transaction_p50_ms"],
            "ms",
            note=f"p95 {top['trivial_transaction_p95_ms']:.2f} ms: BEGIN, SELECT 1, COMMIT",
        ),
        Figure(
            "search execution inside PostgreSQL p50",
            top["search_execution_in_postgres_p50_ms"],
            "ms",
            note=f"p95 {top['search_execution_in_postgres_p95_ms']:.1f} ms (EXPLAIN ANALYZE)",
        ),
        Figure("recall latency p50", top["p50_ms"], "ms"),
        Figure(
            "recall latency p95",
            top["p95_ms"],
            "ms",
            target=f"<= {TARGET_P95_MS:g} ms",
            met=at_most(top["p95_ms"], TARGET_P95_MS),
            note=f"a user's first recall p50 {top['first_recall_per_user_p50_ms']:.1f} ms; "
            f"later recalls p95 {top['later_recalls_p95_ms']:.1f} ms",
        ),
        Figure("bulk load (binary COPY)", copy_rate, "rows/s"),
    ]
    outcome.curves = [curve_recall, curve_p95, curve_p50]
    return outcome
