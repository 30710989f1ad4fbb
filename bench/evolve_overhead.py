"""Evolve overhead: model calls per evolution and the time an evolution spends beyond
its model calls, through the private ``evolve`` function against the fake Gemini
server (the real google-genai client over HTTP) answering every request after a fixed
delay, as a model would.

Three scenarios, scripted critic verdicts (default limits: 3 iterations, threshold
0.85): the first critique passes; one regeneration then passes; no critique ever
passes and every regeneration improves, so the loop runs to its maximum. Model calls
are the ``generateContent`` requests the server received (target: at most
2 x iterations + 1, and exactly 1 when the first critique passes); the embedding
request that stores the evolution in episodic memory is counted apart. The overhead
is the wall time of the whole function call less the server's delay for every
request it made, divided by those requests; the baseline is one bare google-genai
``generate_content`` call against the same server, less the same delay."""

from __future__ import annotations

import statistics
import time
from typing import Any

from bench.environment import ROOT, Environment
from bench.figures import Figure, Outcome, at_most
from bench.progress import Progress

LATENCY = 0.05  # seconds the fake model takes per request
REPEATS = 8
TARGET_MS_PER_CALL = 5.0
AGENT = "scribe_01"
OUTPUT = "Our launch is next week. It has features. Buy it."


def critique(score: float, improve: bool) -> dict[str, Any]:
    return {
        "score": score,
        "shouldImprove": improve,
        "issues": [] if not improve else ["too vague"],
        "suggestions": [] if not improve else ["name one concrete benefit"],
        "voiceConsistency": 0.8,
    }


SCENARIOS: dict[str, list[dict[str, Any]]] = {
    "pass first time": [critique(0.95, False)],
    "improve then pass": [
        critique(0.5, True),
        {"content": "Launching Monday: exports now take one click."},
        critique(0.92, False),
    ],
    "max iterations": [
        critique(0.3, True),
        {"content": "draft two"},
        critique(0.4, True),
        {"content": "draft three"},
        critique(0.5, True),
        {"content": "draft four"},
        critique(0.6, True),
    ],
}


def _sdk_floor(fake: Any, repeats: int) -> float:
    """Seconds one bare google-genai call takes beyond the server's delay."""
    from google import genai
    from google.genai import types

    client = genai.Client(api_key="x", http_options=types.HttpOptions(base_url=fake.url))
    times = []
    for _ in range(repeats + 1):
        began = time.perf_counter()
        client.models.generate_content(model="gemini-2.5-flash", contents="ping")
        times.append(time.perf_counter() - began - fake.latency)
    return float(statistics.median(times[1:]))


def run(env: Environment, progress: Progress, quick: bool = False) -> Outcome:
    import functions_framework

    from tests.support.fake_gemini import FakeGemini

    outcome = Outcome("evolve-overhead", "Evolve overhead (model calls, time beyond the model)")
    repeats = 3 if quick else REPEATS
    fake = FakeGemini(latency=LATENCY).start()
    try:
        env.database("evolve_overhead", **fake.env(MODEL_TIMEOUT_SECONDS=30))
        app = functions_framework.create_app(  # type: ignore[no-untyped-call]
            target="evolve", source=str(ROOT / "main.py")
        )
        client = app.test_client()
        floor = _sdk_floor(fake, repeats)
        results: dict[str, Any] = {}
        total = repeats * len(SCENARIOS)
        done = 0
        for name, script in SCENARIOS.items():
            walls, overheads, calls, embeds, iterations = [], [], set(), set(), set()
            for attempt in range(repeats + 1):  # the first warms the function's caches
                fake.reset()
                for reply in script:
                    fake.script_json(reply)
                body = {"userId": f"bench-{attempt}", "agentId": AGENT, "output": OUTPUT}
                began = time.perf_counter()
                res = client.post("/", json=body)
                wall = time.perf_counter() - began
                if res.status_code != 200:
                    raise RuntimeError(f"evolve answered {res.status_code}: {res.data[:300]!r}")
                answer = res.get_json()
                requests = len(fake.requests)
                generate = len(fake.of("generateContent"))
                if attempt == 0:
                    continue
                walls.append(wall)
                overheads.append((wall - requests * LATENCY) / requests)
                calls.add(generate)
                embeds.add(requests - generate)
                iterations.add(int(answer["iterations"]))
                done += 1
                progress.step("evolutions", done, total)
            results[name] = {
                "model_calls": sorted(calls),
                "embedding_requests": sorted(embeds),
                "iterations": sorted(iterations),
                "wall_ms_median": round(statistics.median(walls) * 1000, 1),
                "overhead_ms_per_request_median": round(statistics.median(overheads) * 1000, 2),
            }
    finally:
        fake.close()
    outcome.details = {
        "latency_ms": LATENCY * 1000,
        "repeats": repeats,
        "sdk_floor_ms": round(floor * 1000, 2),
        "scenarios": results,
    }
    outcome.figures.append(
        Figure("bare google-genai call beyond the delay (baseline)", floor * 1000, "ms")
    )
    for name, r in results.items():
        (n,), (it,) = r["model_calls"], r["iterations"]
        bound = 1 if name == "pass first time" else 2 * it + 1
        outcome.figures.append(
            Figure(
                f"{name}: model calls",
                n,
                "",
                target="1" if name == "pass first time" else f"<= 2*{it}+1 = {bound}",
                met=n <= bound and len(r["model_calls"]) == 1,
                note=f"iterations {it}; + {r['embedding_requests'][0]} embedding request(s)",
            )
        )
        ms = r["overhead_ms_per_request_median"]
        outcome.figures.append(
            Figure(
                f"{name}: time beyond the model, per call",
                ms,
                "ms",
                target=f"<= {TARGET_MS_PER_CALL:g} ms",
                met=at_most(ms, TARGET_MS_PER_CALL),
                baseline=floor * 1000,
                note=f"wall {r['wall_ms_median']:.0f} ms for {n + r['embedding_requests'][0]} "
                f"requests of {LATENCY * 1000:.0f} ms",
            )
        )
    return outcome
