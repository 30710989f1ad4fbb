"""No token, key or secret in a log line or an error body. Requests and deliveries
carry a user JWT (valid, tampered, expired, signed with another secret), the Gemini
API key (the fake's), the Stripe webhook secret, a database password in a URL and an
inbound webhook key; everything logged (every record, as the JSON lines Cloud Logging
would get, and whatever reached stdout and stderr) and every error body is scanned."""

from __future__ import annotations

import io
import logging
import socket
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from shared import bootstrap
from shared.config import Settings
from shared.logs import JsonFormatter
from shared.web.auth import mint
from tests.conftest import JWT_SECRET, UserClient, function_client, test_settings
from tests.support.fake_gemini import FakeGemini
from tests.treasury.stripe_payloads import deliver as deliver_stripe
from tests.treasury.stripe_payloads import invoice_paid

GEMINI_KEY = "AIzaSy-fake-gemini-key-4f1c9e"
STRIPE_SECRET = "whsec_hardening_7d2b8a61c0ffee"
DB_PASSWORD = "db-pass-9c4e1f"


@pytest.fixture(scope="module")
def settings(db_url: str, fake_gemini_server: FakeGemini) -> Settings:
    s = fake_gemini_server.settings(
        test_settings(db_url, STRIPE_WEBHOOK_SECRET=STRIPE_SECRET),
        GEMINI_API_KEY=GEMINI_KEY,
        MODEL_MAX_ATTEMPTS=1,
    )
    bootstrap.configure(s)
    return s


class Captured:
    def __init__(self) -> None:
        self.stream = io.StringIO()
        self.records: list[logging.LogRecord] = []
        self.bodies: list[str] = []
        self.statuses: list[int] = []

    def text(self) -> str:
        records = "\n".join(f"{r.getMessage()} {r.__dict__}" for r in self.records)
        return "\n".join([self.stream.getvalue(), records, *self.bodies])


class _Keep(logging.Handler):
    def __init__(self, into: list[logging.LogRecord]) -> None:
        super().__init__(logging.DEBUG)
        self.into = into

    def emit(self, record: logging.LogRecord) -> None:
        self.into.append(record)


@pytest.fixture
def captured() -> Iterator[Captured]:
    """Every log record at every level, and its JSON line as shared.logs writes it."""
    capture = Captured()
    root = logging.getLogger()
    json_lines = logging.StreamHandler(capture.stream)
    json_lines.setFormatter(JsonFormatter())
    json_lines.setLevel(logging.DEBUG)
    keep = _Keep(capture.records)
    level = root.level
    root.setLevel(logging.DEBUG)
    root.addHandler(json_lines)
    root.addHandler(keep)
    try:
        yield capture
    finally:
        root.removeHandler(json_lines)
        root.removeHandler(keep)
        root.setLevel(level)


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _record(capture: Captured, res: Any) -> Any:
    capture.statuses.append(res.status_code)
    if res.status_code >= 400:
        capture.bodies.append(res.get_data(as_text=True))
    return res


def test_no_secret_reaches_a_log_line_or_an_error_body(
    api: Any,
    settings: Settings,
    fake_gemini: FakeGemini,
    captured: Captured,
    capsys: pytest.CaptureFixture[str],
) -> None:
    user = f"secret-{uuid.uuid4().hex[:6]}"
    alice = UserClient(api, user)
    valid = mint(user, JWT_SECRET)
    tampered = valid[:-4] + ("AAAA" if not valid.endswith("AAAA") else "BBBB")
    expired = mint(user, JWT_SECRET, ttl_seconds=-60)
    foreign = mint(user, "another-secret-entirely-0123456789")
    secrets = [
        valid,
        tampered,
        expired,
        foreign,
        JWT_SECRET,
        GEMINI_KEY,
        STRIPE_SECRET,
        DB_PASSWORD,
    ]

    # a user's requests: fine, refused, missing, and the model failing underneath
    for path, body in (("/api/workflows", None), ("/api/workflow/nope", None)):
        _record(captured, alice.get(path, json=body))
    _record(captured, alice.post("/api/workflow", json={"name": "", "steps": "x"}))
    for token in (tampered, expired, foreign, valid + "x"):
        _record(captured, api.get("/api/workflows", headers={"Authorization": f"Bearer {token}"}))
    fake_gemini.fail(400, times=3, message="API key not valid. Please pass a valid API key.")
    _record(captured, alice.post("/api/memory/store", json={"type": "semantic", "content": "a"}))
    fake_gemini.fail(500, times=10)
    _record(captured, alice.post("/api/goals/auto-generate", json={}))
    _record(captured, alice.post("/api/memory/consolidate"))

    # an inbound webhook: its key is a credential too
    flow = alice.post("/api/workflow", json={"name": "hook", "steps": []}).get_json()
    hook = alice.post(f"/api/workflow/{flow['workflow']['id']}/webhook").get_json()["webhook"]
    secrets.append(hook["endpointKey"])
    _record(captured, api.post(f"/api/webhook/{hook['endpointKey']}", json={"token": "t"}))
    _record(captured, api.post(f"/api/webhook/{hook['endpointKey']}x", json={}))

    # Stripe: a good delivery, one signed with another secret, one with no signature
    stripe_client = function_client("treasury_webhook")
    _record(
        captured, deliver_stripe(stripe_client, invoice_paid(500, user=user), secret=STRIPE_SECRET)
    )
    _record(captured, deliver_stripe(stripe_client, invoice_paid(500, user=user), secret="whsec_x"))
    _record(captured, stripe_client.post("/", json={"type": "invoice.paid"}))

    # the database unreachable, its password in the URL
    down = f"postgresql://segp:{DB_PASSWORD}@127.0.0.1:{_closed_port()}/segp"
    bootstrap.configure(test_settings(down))
    try:
        _record(captured, api.get("/api/health"))
        _record(captured, alice.get("/api/workflows"))
        _record(captured, function_client("schedule_fire").post("/", json={"tick": True}))
    finally:
        bootstrap.configure(settings)

    out = capsys.readouterr()
    everything = "\n".join([captured.text(), out.out, out.err])
    # the scan proves something only if the secrets were in play and errors were logged
    assert {400, 401, 404, 422, 503} <= set(captured.statuses)
    assert any(r.levelno >= logging.WARNING for r in captured.records)
    assert any(GEMINI_KEY in str(r.headers) for r in fake_gemini.requests)
    leaked = [s[:12] + "..." for s in secrets if s in everything]
    assert leaked == []
