"""``segp serve``'s HTTP server: what it refuses before any function runs (a header line
past http.server's 64 KiB) is answered in JSON and logged as a warning, never an error."""

from __future__ import annotations

import http.client
import json
import threading
from collections.abc import Callable, Iterable
from typing import Any

import pytest
from werkzeug.serving import make_server

from shared import logs
from shared.local.server import RequestHandler


def test_a_one_megabyte_header_is_a_431_json_warning(capsys: pytest.CaptureFixture[str]) -> None:
    logs.setup("INFO")
    reached: list[str] = []

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        reached.append(environ["PATH_INFO"])
        start_response("200 OK", [])
        return [b""]

    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=RequestHandler)
    thread = threading.Thread(target=server.serve_forever)
    thread.start()
    try:
        conn = http.client.HTTPConnection("127.0.0.1", server.server_port, timeout=30)
        conn.request("GET", "/api/workflows", headers={"Authorization": "Bearer " + "a" * 2**20})
        res = conn.getresponse()
        status, ctype, body = res.status, res.getheader("Content-Type"), json.loads(res.read())
    finally:
        server.shutdown()
        thread.join()
    assert (status, ctype, reached) == (431, "application/json", [])
    assert body["error"].startswith("Request Header Fields Too Large")
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert "ERROR" not in {line["severity"] for line in lines}
    assert [line for line in lines if "exception" in line] == []
    [refusal] = [line for line in lines if line["logger"] == "shared.local.server"]
    assert refusal["severity"] == "WARNING" and "431" in refusal["message"]
