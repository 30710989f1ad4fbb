"""The Cloud Scheduler adapter (google-cloud-scheduler). The SDK is imported only in
here, on first use: it costs half a second at cold start. One client per instance,
rebuilt when settings change. ``SCHEDULER_EMULATOR_HOST`` points it at a plaintext
gRPC server (the tests' fake) through an explicit insecure channel; every call has a
timeout and a bounded retry, so an unreachable endpoint fails instead of hanging."""

from __future__ import annotations

import contextlib
import functools
from datetime import timedelta
from typing import Any

from shared import bootstrap
from shared.config import Settings, get_settings
from shared.errors import AppError, Permanent, Retryable
from shared.scheduler.mirror import FIELDS, JobMirror, JobSpec, RetryPolicy, task_prefix

PAGE_SIZE = 500  # the API's maximum


@bootstrap.on_configure
@functools.cache
def _client() -> Any:
    from google.cloud import scheduler_v1

    settings = get_settings()
    if settings.scheduler_emulator_host:
        import grpc
        from google.cloud.scheduler_v1.services.cloud_scheduler.transports import (
            CloudSchedulerGrpcTransport,
        )

        channel = grpc.insecure_channel(settings.scheduler_emulator_host)
        return scheduler_v1.CloudSchedulerClient(
            transport=CloudSchedulerGrpcTransport(channel=channel)
        )
    return scheduler_v1.CloudSchedulerClient()


@bootstrap.on_configure
@functools.cache
def get_mirror() -> JobMirror | None:
    """The instance's mirror, or None when Cloud Scheduler is not configured."""
    settings = get_settings()
    return CloudSchedulerMirror(settings) if settings.mirror_configured else None


def _translate(exc: Exception) -> AppError:
    from google.api_core import exceptions as gexc

    name = type(exc).__name__
    if isinstance(exc, gexc.PermissionDenied | gexc.Unauthenticated | gexc.InvalidArgument):
        return Permanent(f"Cloud Scheduler refused the call: {name}: {exc.message}")
    message = getattr(exc, "message", str(exc))
    return Retryable(f"Cloud Scheduler unavailable: {name}: {message}")


class CloudSchedulerMirror:
    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._parent = (
            f"projects/{settings.scheduler_project}/locations/{settings.scheduler_location}"
        )

    def _name(self, job_id: str) -> str:
        return f"{self._parent}/jobs/{job_id}"

    def _call(self, method: str, **kwargs: Any) -> Any:
        from google.api_core import exceptions as gexc
        from google.api_core.retry import Retry, if_exception_type

        timeout = self._settings.scheduler_api_timeout_seconds
        retry = Retry(
            predicate=if_exception_type(gexc.ServiceUnavailable, gexc.DeadlineExceeded),
            initial=0.2,
            maximum=2.0,
            multiplier=2.0,
            timeout=timeout,
        )
        try:
            return getattr(_client(), method)(**kwargs, retry=retry, timeout=timeout)
        except gexc.NotFound:
            raise
        except gexc.AlreadyExists:
            raise
        except gexc.GoogleAPIError as exc:
            raise _translate(exc) from exc

    def _job(self, spec: JobSpec) -> Any:
        from google.cloud import scheduler_v1

        return scheduler_v1.Job(
            name=self._name(spec.job_id),
            schedule=spec.schedule,
            time_zone=spec.time_zone,
            http_target=scheduler_v1.HttpTarget(
                uri=spec.uri,
                http_method=scheduler_v1.HttpMethod.POST,
                headers=spec.headers,
                body=spec.body,
                oidc_token=scheduler_v1.OidcToken(
                    service_account_email=spec.service_account, audience=spec.audience
                ),
            ),
            retry_config=scheduler_v1.RetryConfig(
                retry_count=spec.retry.retry_count,
                max_retry_duration=timedelta(0),
                min_backoff_duration=timedelta(seconds=spec.retry.min_backoff_seconds),
                max_backoff_duration=timedelta(seconds=spec.retry.max_backoff_seconds),
                max_doublings=spec.retry.max_doublings,
            ),
            attempt_deadline=timedelta(seconds=spec.attempt_deadline_seconds),
        )

    def _spec(self, job: Any) -> JobSpec:
        """Read from the raw protobuf message: proto-plus wraps every attribute access,
        which made converting 10,000 listed jobs take most of a reconcile's time."""
        from google.cloud import scheduler_v1

        pb = scheduler_v1.Job.pb(job)
        target, retry, token = pb.http_target, pb.retry_config, pb.http_target.oidc_token
        state = scheduler_v1.Job.State(pb.state).name
        return JobSpec(
            job_id=pb.name.rsplit("/", 1)[-1],
            schedule=pb.schedule,
            time_zone=pb.time_zone,
            uri=target.uri,
            body=bytes(target.body),
            headers=dict(target.headers),
            service_account=token.service_account_email,
            audience=token.audience,
            retry=RetryPolicy(
                retry.retry_count,
                retry.min_backoff_duration.seconds,
                retry.max_backoff_duration.seconds,
                retry.max_doublings,
            ),
            attempt_deadline_seconds=pb.attempt_deadline.seconds,
            paused=state == "PAUSED",
            state=state,
        )

    def get(self, job_id: str) -> JobSpec | None:
        from google.api_core import exceptions as gexc

        try:
            return self._spec(self._call("get_job", name=self._name(job_id)))
        except gexc.NotFound:
            return None

    def list_jobs(self) -> list[JobSpec]:
        """Every job with our task prefix, reading the paged list once."""
        from google.api_core import exceptions as gexc

        prefix = f"{self._parent}/jobs/{task_prefix(self._settings)}"
        pager = self._call("list_jobs", request={"parent": self._parent, "page_size": PAGE_SIZE})
        try:
            return [self._spec(job) for job in pager if job.name.startswith(prefix)]
        except gexc.GoogleAPIError as exc:  # a later page failed
            raise _translate(exc) from exc

    def create(self, spec: JobSpec) -> None:
        from google.api_core import exceptions as gexc

        try:
            self._call("create_job", parent=self._parent, job=self._job(spec))
        except gexc.AlreadyExists:  # created by a concurrent sync: make it ours
            self.update(spec, list(FIELDS))

    def update(self, spec: JobSpec, fields: list[str]) -> None:
        from google.api_core import exceptions as gexc
        from google.protobuf import field_mask_pb2

        try:
            self._call(
                "update_job",
                job=self._job(spec),
                update_mask=field_mask_pb2.FieldMask(paths=fields),
            )
        except gexc.NotFound:
            raise Retryable(f"job {spec.job_id} disappeared during the update") from None

    def pause(self, job_id: str) -> None:
        self._change_state("pause_job", job_id)

    def resume(self, job_id: str) -> None:
        self._change_state("resume_job", job_id)

    def _change_state(self, method: str, job_id: str) -> None:
        from google.api_core import exceptions as gexc

        try:
            self._call(method, name=self._name(job_id))
        except gexc.NotFound:
            raise Retryable(f"job {job_id} disappeared before {method}") from None

    def delete(self, job_id: str) -> None:
        from google.api_core import exceptions as gexc

        with contextlib.suppress(gexc.NotFound):  # already gone: the wanted state
            self._call("delete_job", name=self._name(job_id))
