"""An in-process gRPC server speaking the Cloud Scheduler v1 API, for the real
google-cloud-scheduler client: jobs kept in memory, ListJobs paged with a small page
size (so paging is exercised), every call recorded, and failures injectable per
method."""

from __future__ import annotations

import threading
from concurrent import futures
from dataclasses import dataclass, field
from typing import Any

import grpc
from google.cloud.scheduler_v1 import types as T
from google.protobuf import empty_pb2, field_mask_pb2

SERVICE = "google.cloud.scheduler.v1.CloudScheduler"
READS = ("GetJob", "ListJobs")


@dataclass
class Call:
    method: str
    name: str  # the job (or parent) the call was about
    mask: tuple[str, ...] = ()  # UpdateJob's update_mask paths


@dataclass
class FakeCloudScheduler:
    page_size: int = 2
    jobs: dict[str, T.Job] = field(default_factory=dict)
    calls: list[Call] = field(default_factory=list)
    failures: dict[str, grpc.StatusCode] = field(default_factory=dict)
    address: str = ""
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _server: Any = None

    # --- test helpers -------------------------------------------------------------
    def start(self) -> str:
        handlers = {
            "ListJobs": (self._list, T.ListJobsRequest, T.ListJobsResponse.serialize),
            "GetJob": (self._get, T.GetJobRequest, T.Job.serialize),
            "CreateJob": (self._create, T.CreateJobRequest, T.Job.serialize),
            "UpdateJob": (self._update, T.UpdateJobRequest, T.Job.serialize),
            "DeleteJob": (self._delete, T.DeleteJobRequest, empty_pb2.Empty.SerializeToString),
            "PauseJob": (self._pause, T.PauseJobRequest, T.Job.serialize),
            "ResumeJob": (self._resume, T.ResumeJobRequest, T.Job.serialize),
        }
        rpc = {
            name: grpc.unary_unary_rpc_method_handler(
                self._recorded(name, fn),
                request_deserializer=req.deserialize,
                response_serializer=ser,
            )
            for name, (fn, req, ser) in handlers.items()
        }
        self._server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
        self._server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(SERVICE, rpc),))
        port = self._server.add_insecure_port("127.0.0.1:0")
        self._server.start()
        self.address = f"127.0.0.1:{port}"
        return self.address

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop(grace=None)

    def reset(self) -> None:
        with self._lock:
            self.jobs.clear()
            self.calls.clear()
            self.failures.clear()

    def writes(self) -> list[Call]:
        return [c for c in self.calls if c.method not in READS]

    def job(self, job_id: str) -> T.Job | None:
        for name, job in self.jobs.items():
            if name.endswith(f"/jobs/{job_id}"):
                return job
        return None

    # --- the service ----------------------------------------------------------------
    def _recorded(self, method: str, fn: Any) -> Any:
        def handler(request: Any, context: grpc.ServicerContext) -> Any:
            name = getattr(request, "name", "") or getattr(request, "parent", "")
            mask: tuple[str, ...] = ()
            if method in ("CreateJob", "UpdateJob"):
                name = request.job.name
            if method == "UpdateJob":
                mask = tuple(request.update_mask.paths)
            with self._lock:
                self.calls.append(Call(method, name, mask))
                code = self.failures.get(method)
            if code is not None:
                context.abort(code, f"injected failure of {method}")
            with self._lock:
                return fn(request, context)

        return handler

    def _existing(self, name: str, context: grpc.ServicerContext) -> T.Job:
        job = self.jobs.get(name)
        if job is None:
            context.abort(grpc.StatusCode.NOT_FOUND, f"job {name} not found")
        assert job is not None
        return job

    def _list(self, request: T.ListJobsRequest, context: Any) -> T.ListJobsResponse:
        names = sorted(n for n in self.jobs if n.startswith(request.parent + "/jobs/"))
        start = int(request.page_token or 0)
        size = min(request.page_size or self.page_size, self.page_size)
        page = names[start : start + size]
        token = str(start + size) if start + size < len(names) else ""
        return T.ListJobsResponse(jobs=[self.jobs[n] for n in page], next_page_token=token)

    def _get(self, request: T.GetJobRequest, context: Any) -> T.Job:
        return self._existing(request.name, context)

    def _create(self, request: T.CreateJobRequest, context: Any) -> T.Job:
        job = T.Job(request.job)
        if job.name in self.jobs:
            context.abort(grpc.StatusCode.ALREADY_EXISTS, f"job {job.name} exists")
        job.state = T.Job.State.ENABLED
        self.jobs[job.name] = job
        return job

    def _update(self, request: T.UpdateJobRequest, context: Any) -> T.Job:
        stored = self._existing(request.job.name, context)
        paths = list(request.update_mask.paths)
        if not paths:
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, "update_mask is required")
        mask = field_mask_pb2.FieldMask(paths=paths)
        mask.MergeMessage(T.Job.pb(request.job), T.Job.pb(stored), True, True)
        return stored

    def _delete(self, request: T.DeleteJobRequest, context: Any) -> empty_pb2.Empty:
        self._existing(request.name, context)
        del self.jobs[request.name]
        return empty_pb2.Empty()

    def _pause(self, request: T.PauseJobRequest, context: Any) -> T.Job:
        job = self._existing(request.name, context)
        job.state = T.Job.State.PAUSED
        return job

    def _resume(self, request: T.ResumeJobRequest, context: Any) -> T.Job:
        job = self._existing(request.name, context)
        job.state = T.Job.State.ENABLED
        return job
