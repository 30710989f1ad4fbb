"""The local clock: in ``segp serve`` it stands in for Cloud Scheduler and calls
``/schedule-fire`` exactly as Cloud Scheduler would, so the same code path runs
locally. Each minute (and once right after start) it sends, for every slot of an
active task that came due since its last beat, ``{"taskId": "<id>"}`` with the
``X-CloudScheduler`` headers and the slot as ``X-CloudScheduler-ScheduleTime``; then
the per-minute job's ``{"tick": true}``. In ``tick`` mode there are no per-task jobs,
so only the tick is sent. A beat that comes late (a suspended laptop) sends at most
the last two minutes' slots: older ones are the tick's catch-up, as in the cloud. A
beat that cannot read the tasks (the database is down) sends nothing and leaves its
slots to the next beat; a slot whose delivery failed is accounted for by the next
fire of its task (``shared.scheduler.fire.account_for_gap``)."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

from shared.errors import Retryable
from shared.logs import get
from shared.scheduler.cron import rfc3339
from shared.scheduler.due import slots_between

log = get(__name__)

LOOKBACK = timedelta(minutes=2)


def _utcnow() -> datetime:
    return datetime.now(UTC)


class LocalClock:
    def __init__(
        self,
        fire_url: str,
        *,
        mode: str,
        job_prefix: str,
        now: Callable[[], datetime] = _utcnow,
        start_delay: float = 1.0,
    ) -> None:
        self.fire_url = fire_url
        self.mode = mode
        self.job_prefix = job_prefix
        self._now = now
        self._start_delay = start_delay
        self._last: datetime | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._posts = ThreadPoolExecutor(max_workers=4, thread_name_prefix="segp-clock-post")

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="segp-clock", daemon=True)
        self._thread.start()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
        self._posts.shutdown(wait=True, cancel_futures=True)

    def _run(self) -> None:
        if self._stop.wait(self._start_delay):  # let the server start listening
            return
        while not self._stop.is_set():
            try:
                self.beat(self._now())
            except Exception:  # one bad beat must not stop the clock
                log.exception("local clock beat failed")
            now = self._now()
            self._stop.wait(60 - now.second - now.microsecond / 1e6 + 0.5)

    def beat(self, now: datetime) -> list[dict[str, Any]]:
        """Send what Cloud Scheduler would have sent since the last beat; returns the
        requests (body and headers) after they were answered."""
        since = max(self._last or now - timedelta(minutes=1), now - LOOKBACK)
        try:
            due = slots_between(since, now) if self.mode == "mirror" else []
        except Retryable as exc:  # the next beat sends these slots, as a retry would
            log.warning("local clock beat put off: %s", exc)
            return []
        self._last = now
        sent = [self._request({"taskId": t}, f"task-{t}", slot) for t, slot in due]
        minute = now.replace(second=0, microsecond=0)
        sent.append(self._request({"tick": True}, "tick", minute))
        for outcome in self._posts.map(self._post, sent):
            log.debug("local clock delivery answered %s", outcome)
        return sent

    def _request(self, body: dict[str, Any], job: str, schedule_time: datetime) -> dict[str, Any]:
        return {
            "body": body,
            "headers": {
                "Content-Type": "application/json",
                "X-CloudScheduler": "true",
                "X-CloudScheduler-JobName": f"{self.job_prefix}-{job}",
                "X-CloudScheduler-ScheduleTime": rfc3339(schedule_time),
            },
        }

    def _post(self, request: dict[str, Any]) -> int:
        req = urllib.request.Request(  # noqa: S310 - the local server's own http URL
            self.fire_url,
            data=json.dumps(request["body"]).encode(),
            headers=request["headers"],
            method="POST",
        )
        try:
            with urllib.request.urlopen(req, timeout=300) as res:  # noqa: S310 - our own URL
                status = int(res.status)
        except urllib.error.HTTPError as err:
            status = err.code
        except OSError as err:
            log.warning("local clock could not reach %s: %s", self.fire_url, err)
            return 0
        request["status"] = status
        return status
