"""Who may call what, in infra/: the scheduler jobs and the event push reach only
declared private functions with an OIDC token of an account allowed to invoke them;
only the api and the treasury webhook are public; IAM grants are additive only."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.infra.terraform import load

TF = load()
FUNCTIONS: dict[str, Any] = TF.locals["functions"]
JOBS: dict[str, Any] = TF.locals["scheduler_jobs"]
INVOKER = "serviceAccount:${google_service_account.invoker.email}"


def test_no_grant_replaces_a_whole_policy() -> None:
    authoritative = [k for k in TF.resources if k.endswith(("_iam_policy", "_iam_binding"))]
    assert authoritative == []


@pytest.mark.parametrize("job", sorted(JOBS))
def test_every_scheduler_job_targets_a_declared_private_function(job: str) -> None:
    target = JOBS[job]["target"]
    assert target in FUNCTIONS
    assert not FUNCTIONS[target]["public"]
    assert INVOKER in TF.locals["private_invokers"][target].values()


def test_the_scheduler_jobs_post_json_with_an_oidc_token_for_the_target() -> None:
    resource = TF.resource("google_cloud_scheduler_job.static")
    assert resource["for_each"] == "${local.scheduler_jobs}"
    http = resource["http_target"][0]
    assert http["http_method"] == "POST"
    assert http["uri"] == "${local.function_urls[each.value.target]}"
    assert http["headers"] == {"Content-Type": "application/json"}
    assert http["body"] == "${base64encode(jsonencode(each.value.body))}"
    token = http["oidc_token"][0]
    assert token["service_account_email"] == "${google_service_account.invoker.email}"
    assert token["audience"] == http["uri"]


@pytest.mark.parametrize(
    ("job", "target", "body", "schedule"),
    [
        ("tick", "schedule_fire", {"tick": True}, "* * * * *"),
        ("reconcile", "schedule_fire", {"reconcile": True}, "17 * * * *"),
        ("memory_consolidation", "schedule_fire", {"consolidate": True}, "30 3 * * *"),
        ("goal_generation", "goal_generation", {}, "0 6 * * *"),
    ],
)
def test_the_static_jobs_send_the_documented_bodies(
    job: str, target: str, body: dict[str, Any], schedule: str
) -> None:
    declared = JOBS[job]
    assert declared["target"] == target
    assert declared["body"] == body
    raw = declared["schedule"]
    default = TF.variables[raw[6:-1]]["default"] if raw.startswith("${var.") else raw
    assert default == schedule


def test_static_job_names_never_carry_the_mirror_prefix() -> None:
    assert TF.resource("google_cloud_scheduler_job.static")["name"].startswith(
        "${var.name_prefix}-"
    )
    assert TF.locals["scheduler_job_prefix"] == "${var.name_prefix}-mirror"
    assert not [job for job in JOBS if job.replace("_", "-").startswith("mirror")]


def test_only_the_api_and_the_treasury_webhook_are_public() -> None:
    assert {k for k, f in FUNCTIONS.items() if f["public"]} == {"api", "treasury_webhook"}
    everyone = [
        (kind, name)
        for kind, named in TF.resources.items()
        for name, body in named.items()
        if "allUsers" in json.dumps(body)
    ]
    assert everyone == [("google_cloud_run_v2_service_iam_member", "public")]
    public = TF.resource("google_cloud_run_v2_service_iam_member.public")
    assert "if f.public" in public["for_each"]


def test_every_private_function_but_evolve_has_a_fixed_invoker() -> None:
    private = {k for k, f in FUNCTIONS.items() if not f["public"]}
    invokers = TF.locals["private_invokers"]
    assert set(invokers) == private
    assert "var.evolve_invoker_members" in invokers["evolve"]
    grant = TF.resource("google_cloud_run_v2_service_iam_member.invoker")
    assert grant["role"] == "roles/run.invoker"
    assert grant["name"] == "${google_cloudfunctions2_function.fn[each.value.function].name}"


def test_event_dispatch_is_pushed_with_retries_and_a_dead_letter_topic() -> None:
    sub = TF.resource("google_pubsub_subscription.event_dispatch")
    assert sub["topic"] == "${google_pubsub_topic.events.id}"
    push = sub["push_config"][0]
    assert push["push_endpoint"] == '${local.function_urls["event_dispatch"]}'
    assert push["oidc_token"][0]["service_account_email"] == (
        "${google_service_account.event_push.email}"
    )
    assert sub["retry_policy"][0]["minimum_backoff"]
    dead_letter = sub["dead_letter_policy"][0]
    assert dead_letter["dead_letter_topic"] == "${google_pubsub_topic.dead_letter.id}"
    assert TF.locals["private_invokers"]["event_dispatch"] == {
        "event_push": "serviceAccount:${google_service_account.event_push.email}"
    }


def test_workflow_run_is_pushed_from_the_runs_topic_with_retries_and_a_dead_letter_topic() -> None:
    sub = TF.resource("google_pubsub_subscription.workflow_run")
    assert sub["topic"] == "${google_pubsub_topic.runs.id}"
    push = sub["push_config"][0]
    assert push["push_endpoint"] == '${local.function_urls["workflow_run"]}'
    token = push["oidc_token"][0]
    assert token["service_account_email"] == "${google_service_account.event_push.email}"
    assert token["audience"] == push["push_endpoint"]
    assert sub["retry_policy"][0]["minimum_backoff"]
    dead_letter = sub["dead_letter_policy"][0]
    assert dead_letter["dead_letter_topic"] == "${google_pubsub_topic.runs_dead_letter.id}"
    assert dead_letter["max_delivery_attempts"] == "${var.run_max_delivery_attempts}"
    assert TF.resource("google_pubsub_topic.runs")["name"] == "${var.name_prefix}-runs"
    assert TF.locals["private_invokers"]["workflow_run"] == {
        "event_push": "serviceAccount:${google_service_account.event_push.email}"
    }


def test_the_run_starters_may_publish_on_the_runs_topic() -> None:
    publish = TF.resource("google_pubsub_topic_iam_member.runs_publisher")
    assert (publish["for_each"], publish["topic"], publish["role"]) == (
        "${toset(local.run_starters)}",
        "${google_pubsub_topic.runs.name}",
        "roles/pubsub.publisher",
    )
    assert "runs" in TF.locals["run_starters"]


@pytest.mark.parametrize(
    ("grants", "topic", "subscription"),
    [
        ("dead_letter", "dead_letter", "event_dispatch"),
        ("runs_dead_letter", "runs_dead_letter", "workflow_run"),
    ],
)
def test_the_pubsub_service_agent_may_dead_letter(
    grants: str, topic: str, subscription: str
) -> None:
    agent = "${local.pubsub_service_agent}"
    publisher = TF.resource(f"google_pubsub_topic_iam_member.{grants}_publisher")
    assert (publisher["topic"], publisher["role"], publisher["member"]) == (
        f"${{google_pubsub_topic.{topic}.name}}",
        "roles/pubsub.publisher",
        agent,
    )
    subscriber = TF.resource(f"google_pubsub_subscription_iam_member.{grants}_subscriber")
    assert (subscriber["subscription"], subscriber["role"], subscriber["member"]) == (
        f"${{google_pubsub_subscription.{subscription}.name}}",
        "roles/pubsub.subscriber",
        agent,
    )


def test_every_runtime_account_may_publish_events_and_read_its_secrets() -> None:
    publish = TF.resource("google_pubsub_topic_iam_member.runtime_publisher")
    assert (publish["for_each"], publish["topic"], publish["role"]) == (
        "${local.functions}",
        "${google_pubsub_topic.events.name}",
        "roles/pubsub.publisher",
    )
    secrets = TF.resource("google_secret_manager_secret_iam_member.runtime")
    assert secrets["for_each"] == "${local.secret_grants}"
    assert secrets["role"] == "roles/secretmanager.secretAccessor"
    assert "local.function_secrets" in TF.locals["secret_grants"]


def test_runtime_accounts_get_cloud_sql_and_the_mirror_writers_get_the_scheduler() -> None:
    roles = TF.locals["runtime_project_roles"]
    for role in ("cloudsql.client", "cloudsql.instanceUser", "cloudscheduler.admin"):
        assert f"roles/{role}" in roles
    acts_as = TF.resource("google_service_account_iam_member.scheduler_writer_acts_as_invoker")
    assert acts_as["service_account_id"] == "${google_service_account.invoker.name}"
    assert acts_as["role"] == "roles/iam.serviceAccountUser"
