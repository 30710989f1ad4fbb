"""The memory benchmark's data: 1,000 users whose sizes follow a Zipf-like law (most
with hundreds of memories, a few with tens of thousands), unit vectors shaped like text
embeddings, words for keyword search, and binary ``COPY`` payloads.

Text embeddings are not uniform in their 768 dimensions: they fall into topics, topics
into subjects, and around a subject they vary along a few directions only (a local
intrinsic dimension in the tens, not in the hundreds). The vectors here are built so:
40 shared topics, each with 100 subjects shared by every user of the topic, and a
memory is its subject's centre moved within that subject's own 24-dimensional
subspace, plus a little noise in every dimension. A user writes about some subjects of
5 topics, more subjects the more they write; a query is drawn like a memory.

The first version drew each memory around one of 40 centres with noise in all 768
dimensions: a maximum-likelihood estimate of its local intrinsic dimension is about
140 (this one: about 12), and a query's 10th and 11th nearest memories differed in
cosine similarity by 0.0006 (this one: 0.004), so no approximate index could tell them
apart: the index path's recall measured that noise, not the search."""

from __future__ import annotations

import io
import struct
from typing import Any

USERS = 1000
DIM = 768
TOPICS = 40
SUBJECTS = 100  # per topic, shared by the topic's users
SUBJECT_SPREAD = 0.7  # a subject's offset from its topic, relative to the topic's unit
RANK = 24  # directions a subject's memories vary along
BASES = 256  # subspaces, shared out among the subjects
LOCAL = 0.8  # spread within the subject's subspace
NOISE = 0.25  # spread in every dimension
TOPICS_PER_USER = 5
ROWS_PER_SUBJECT = 50  # a user's subjects: one per this many memories, at least 3
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
    """Topics, subjects and their subspaces; every user's subjects, memories and texts
    (reproducible from ``seed``)."""

    def __init__(self, users: int = USERS, seed: int = 3) -> None:
        import numpy as np

        self.rng = np.random.default_rng(seed)
        topics = _unit(self.rng.standard_normal((TOPICS, DIM)))
        offsets = _unit(self.rng.standard_normal((TOPICS * SUBJECTS, DIM)))
        self.centres = (np.repeat(topics, SUBJECTS, axis=0) + SUBJECT_SPREAD * offsets).astype(
            np.float32
        )
        # Orthonormal columns: a move of unit length within a subspace has unit length.
        self.bases = np.stack(
            [np.linalg.qr(self.rng.standard_normal((DIM, RANK)))[0] for _ in range(BASES)]
        ).astype(np.float32)
        self.topics = [
            self.rng.choice(TOPICS, size=TOPICS_PER_USER, replace=False) for _ in range(users)
        ]
        self.subjects: dict[int, Any] = {}  # user -> the subjects they write about
        self.vectors: dict[int, Any] = {}  # user -> their memories' vectors, in order
        self.texts: dict[int, list[str]] = {}

    def _subjects(self, user: int, size: int) -> Any:
        import numpy as np

        if user not in self.subjects:
            pool = np.concatenate(
                [np.arange(t * SUBJECTS, (t + 1) * SUBJECTS) for t in self.topics[user]]
            )
            count = min(len(pool), max(3, size // ROWS_PER_SUBJECT))
            self.subjects[user] = self.rng.choice(pool, size=count, replace=False)
        return self.subjects[user]

    def draw(self, user: int, count: int) -> Any:
        """``count`` vectors about the user's subjects (memories, or queries)."""
        import numpy as np

        picks = self.rng.choice(self._subjects(user, count), size=count)
        moves = self.rng.standard_normal((count, RANK)).astype(np.float32) * (LOCAL / np.sqrt(RANK))
        out = self.centres[picks]
        for start in range(0, count, 2000):  # the gathered bases: 2000 x 768 x 24 floats
            part = slice(start, start + 2000)
            out[part] += np.einsum("ndr,nr->nd", self.bases[picks[part] % BASES], moves[part])
        out += self.rng.standard_normal((count, DIM)).astype(np.float32) * (NOISE / np.sqrt(DIM))
        return _unit(out).astype(np.float32)

    def add(self, user: int, count: int) -> list[tuple[str, str, Any]]:
        """``count`` new memories of ``user`` as (user_id, content, vector) rows; the
        content starts with the memory's number within the user."""
        self._subjects(user, count)
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
