"""The memory benchmark's data: 1,000 users whose sizes follow a Zipf-like law (most
with hundreds of memories, a few with tens of thousands), clustered unit vectors (each
user's memories and queries lie around a few of 40 shared topic centres, so nearest
neighbours are meaningful and a search that drops candidates shows up as lost
recall), words for keyword search, and binary ``COPY`` payloads."""

from __future__ import annotations

import io
import struct
from typing import Any

USERS = 1000
DIM = 768
TOPICS = 40
TOPICS_PER_USER = 5
NOISE = 0.9  # spread around a topic centre, relative to the centre's unit length
ZIPF = 0.9  # size of the user of rank r ~ r^-ZIPF: at 1M, rank 1 ~95k, rank 500 ~360
VOCABULARY = 20000  # words of the synthetic language memories are written in
WORDS = 6  # per memory, beside its number
PROBE_EVERY = 8  # every 8th user from rank 4 on: about a tenth of the rows
PROBE_FROM = 4

_HEADER = b"PGCOPY\n\xff\r\n\x00" + struct.pack(">ii", 0, 0)


def zipf_sizes(total: int, users: int = USERS) -> list[int]:
    """Memories per user, rank 1 first, summing to ``total``."""
    weights = [rank**-ZIPF for rank in range(1, users + 1)]
    scale = total / sum(weights)
    sizes = [max(1, int(w * scale)) for w in weights]
    sizes[0] += total - sum(sizes)
    return sizes


def probes(users: int = USERS) -> list[int]:
    """The users loaded first, measured at a tenth of the table and again at all of it:
    the same users with the same rows, so a slower recall is the table's doing."""
    return list(range(PROBE_FROM - 1, users, PROBE_EVERY))


def user_id(user: int) -> str:
    return f"bench-user-{user:04d}"


def _unit(rows: Any) -> Any:
    import numpy as np

    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


class Corpus:
    """Every user's topics, and vectors and texts drawn around them (reproducible)."""

    def __init__(self, users: int = USERS, seed: int = 3) -> None:
        import numpy as np

        self.rng = np.random.default_rng(seed)
        self.centres = _unit(self.rng.standard_normal((TOPICS, DIM)))
        self.topics = [
            self.rng.choice(TOPICS, size=TOPICS_PER_USER, replace=False) for _ in range(users)
        ]
        self.vectors: dict[int, Any] = {}  # user -> their memories' vectors, in order
        self.texts: dict[int, list[str]] = {}

    def draw(self, user: int, count: int) -> Any:
        import numpy as np

        picks = self.rng.choice(self.topics[user], size=count)
        noise = self.rng.standard_normal((count, DIM)) * (NOISE / np.sqrt(DIM))
        return _unit(self.centres[picks] + noise).astype(np.float32)

    def add(self, user: int, count: int) -> list[tuple[str, str, Any]]:
        """``count`` new memories of ``user`` as (user_id, content, vector) rows; the
        content starts with the memory's number within the user."""
        vectors = self.draw(user, count)
        words = self.rng.integers(0, VOCABULARY, size=(count, WORDS))
        texts = [f"memory {i} " + " ".join(f"w{w}" for w in row) for i, row in enumerate(words)]
        self.vectors[user] = vectors
        self.texts[user] = texts
        return [(user_id(user), texts[i], vectors[i]) for i in range(count)]


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
