"""Every line a function logs while it handles a request or a CloudEvent carries that
delivery's id and trace (``shared.logs.request_scope``). The scope is opened before the
function runs and closed when Flask tears the request down, error handlers included, so
the ids of one request never reach a line of the next one on the same thread."""

from __future__ import annotations

from contextlib import ExitStack

import flask

from shared import logs
from shared.config import trace_project


def install() -> None:
    """Add the scope to the app functions-framework is creating, when there is one
    (``main.py`` is executed inside that app's context; a plain import has none)."""
    if not flask.has_app_context():
        return
    app = flask.current_app
    app.before_request(_open)
    app.teardown_request(_close)


def _open() -> None:
    stack = ExitStack()
    stack.enter_context(logs.request_scope(flask.request.headers, trace_project()))
    flask.g.log_scope = stack


def _close(_exc: BaseException | None) -> None:
    stack = flask.g.pop("log_scope", None)
    if stack is not None:
        stack.close()
