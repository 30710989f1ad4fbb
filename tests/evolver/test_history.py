"""``GET /api/evolver/history`` and ``/api/evolver/history/:evolutionId`` on the
offline model: every evolution a user ran, newest first and paged, each with its
scores, stop reason and usage, and whole by its id (the answer it was, with its log and
settings); another user's is never seen; a hand-made memory of that type reads as a
sparse evolution instead of breaking the page."""

from __future__ import annotations

from typing import Any

from tests.conftest import UserClient

DRAFTS = (
    "Pure hustle today in the studio. Pure hustle today in the studio. Buy it.",
    "NEW LIGHT PRESETS!!! BUY NOW!!!",
    "Our spring pack is out. It is good.",
)
PAGE_FIELDS = {"originalPreview", "evolvedPreview"}
WHOLE_FIELDS = {"original", "evolved", "evolutionLog", "settings", "variant"}


def evolve(client: UserClient, output: Any, agent: str = "scribe_01") -> dict[str, Any]:
    res = client.post("/api/oracle/evolve", json={"agentId": agent, "output": output})
    assert res.status_code == 200, res.get_json()
    return dict(res.get_json())


def test_a_users_evolutions_are_listed_newest_first_with_scores_stop_reason_and_usage(
    api: Any,
) -> None:
    hana = UserClient(api, "hana")
    made = [evolve(hana, draft) for draft in DRAFTS]

    page = hana.get("/api/evolver/history").get_json()

    assert page["next_cursor"] is None
    listed = page["evolutions"]
    assert [e["evolutionId"] for e in listed] == [m["evolutionId"] for m in made[::-1]]
    for row, answer in zip(listed, made[::-1], strict=True):
        assert row["agentId"] == "scribe_01" and row["source"] == "api"
        for key in ("iterations", "initialScore", "finalScore", "stopReason"):
            assert row[key] == answer[key], key
        assert row["usage"]["modelCalls"] == answer["usage"]["modelCalls"] >= 1
        assert row["usage"]["calls"] == answer["usage"]["calls"]
        assert row["originalPreview"] == answer["original"][:200]
        assert row["evolvedPreview"] == answer["evolved"][:200]
        assert not WHOLE_FIELDS & set(row)  # a page stays small: the texts come whole below


def test_the_history_is_paged_by_cursor_and_filtered_by_agent(api: Any) -> None:
    ivan = UserClient(api, "ivan")
    made = [evolve(ivan, f"Draft {n}. It is good.", agent) for n, agent in enumerate("aab")]

    first = ivan.get("/api/evolver/history?limit=2").get_json()
    second = ivan.get(f"/api/evolver/history?limit=2&cursor={first['next_cursor']}").get_json()
    ids = [e["evolutionId"] for e in first["evolutions"] + second["evolutions"]]
    assert ids == [m["evolutionId"] for m in made[::-1]] and second["next_cursor"] is None
    of_a = ivan.get("/api/evolver/history?agentId=a").get_json()["evolutions"]
    assert [e["evolutionId"] for e in of_a] == [made[1]["evolutionId"], made[0]["evolutionId"]]


def test_one_evolution_is_read_whole_as_it_was_answered(api: Any) -> None:
    jude = UserClient(api, "jude")
    answer = evolve(jude, {"title": "NEW PRESETS!!!", "body": "Buy now. Buy now."})

    res = jude.get(f"/api/evolver/history/{answer['evolutionId']}")

    assert res.status_code == 200
    whole = res.get_json()
    for key in ("original", "evolved", "evolutionLog", "iterations", "stopReason", "variant"):
        assert whole[key] == answer[key], key
    assert whole["finalScore"] == answer["finalScore"]
    assert whole["settings"] == {"maxIterations": 3, "threshold": 0.85, "tokenBudget": None}
    assert [e["score"] for e in whole["evolutionLog"] if e["step"] == "critique"]


def test_another_users_evolution_is_not_found_and_never_listed(
    alice: UserClient, bob: UserClient
) -> None:
    mine = evolve(alice, "Alice's draft. It is good.")

    res = bob.get(f"/api/evolver/history/{mine['evolutionId']}")

    assert res.status_code == 404 and "error" in res.get_json()
    listed = bob.get("/api/evolver/history").get_json()["evolutions"]
    assert mine["evolutionId"] not in [e["evolutionId"] for e in listed]
    assert alice.get(f"/api/evolver/history/{mine['evolutionId']}").status_code == 200
    assert alice.get("/api/evolver/history/not-an-id").status_code == 404


def test_a_disabled_evolution_is_not_in_the_history(api: Any) -> None:
    kim = UserClient(api, "kim")
    assert kim.put("/api/evolver/settings/quiet", json={"enabled": False}).status_code == 200
    assert evolve(kim, "Unchanged. It is good.", "quiet")["evolutionId"] is None
    assert kim.get("/api/evolver/history").get_json() == {"evolutions": [], "next_cursor": None}


def test_a_memory_stored_by_hand_as_an_evolution_reads_as_a_sparse_one(api: Any) -> None:
    lena = UserClient(api, "lena")
    forged = "0b8e6a52-3c4d-4e5f-8a9b-0c1d2e3f4a5b"
    stored = lena.post(
        "/api/memory/store",
        json={
            "type": "episodic",
            "content": "not an evolution",
            "interactionType": "evolution",
            "metadata": {  # an episodic memory's context
                "evolutionId": forged,
                "finalScore": "high",
                "iterations": True,
                "usage": [1],
                "evolutionLog": ["not an entry", {"step": "critique", "score": 0.5}],
                "settings": "none",
            },
        },
    )
    assert stored.status_code in (200, 201), stored.get_json()
    real = evolve(lena, "A real one. It is good.")

    listed = lena.get("/api/evolver/history").get_json()["evolutions"]

    assert [e["evolutionId"] for e in listed] == [real["evolutionId"], forged]
    sparse = listed[1]
    assert sparse["finalScore"] is None and sparse["iterations"] is None
    assert sparse["usage"] == dict.fromkeys(
        ("calls", "modelCalls", "tokens", "inputTokens", "outputTokens")
    )
    whole = lena.get(f"/api/evolver/history/{forged}").get_json()
    assert whole["evolutionLog"] == [{"step": "critique", "score": 0.5}]
    assert whole["settings"] == {"maxIterations": None, "threshold": None, "tokenBudget": None}
    assert whole["original"] is None


def test_a_bad_query_is_a_422_naming_the_parameter(alice: UserClient) -> None:
    for bad in ("limit=0", "limit=101", "cursor=nope", "cursor=a%20b", "agentId=has%20space"):
        res = alice.get(f"/api/evolver/history?{bad}")
        assert res.status_code == 422 and bad.split("=")[0] in res.get_json()["error"], bad


def test_the_history_needs_a_user_token(api: Any) -> None:
    assert api.get("/api/evolver/history").status_code == 401
