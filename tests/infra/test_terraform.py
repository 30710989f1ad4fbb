"""infra/ checked against the code it deploys: every handler main.py exports has a
function with that entry point, every function's environment satisfies the settings
module, every reference resolves, and the formatting is terraform fmt's."""

from __future__ import annotations

import re
import shutil
import subprocess
from typing import Any

import pytest

import main
from shared.config import Settings
from tests.infra.terraform import (
    INFRA,
    expression,
    is_expression,
    load,
    strings,
    variable_default,
)

TF = load()
FUNCTIONS: dict[str, Any] = TF.locals["functions"]
DESIGNED = {
    "api",
    "evolve",
    "schedule_fire",
    "event_dispatch",
    "workflow_run",
    "goal_generation",
    "treasury_webhook",
}
BACKENDS = ("vertex", "api_key")
# read by capabilities outside shared/config.py
EXTERNAL_ENV = {"STRIPE_WEBHOOK_SECRET"}


def function_env(key: str, backend: str) -> dict[str, str]:
    """The environment Terraform gives function ``key`` (secrets included), with each
    value as deployed where the configuration fixes it, else a stand-in of the right kind."""
    fn = FUNCTIONS[key]
    raw: dict[str, Any] = {}
    for name in fn["env_sets"]:
        if name != "vertex" or backend == "vertex":
            raw.update(TF.locals["env_sets"][name])
    added = re.findall(r"\b([A-Z][A-Z0-9_]+) = ", expression(TF.locals["function_env"]))
    raw.update(dict.fromkeys(added, "${per function}"))
    for secret in fn["secrets"]:
        if secret != "gemini_api_key" or backend == "api_key":
            raw[TF.locals["secret_env"][secret]] = "a-secret-value"
    return {name: _stand_in(name, value) for name, value in raw.items()}


def _stand_in(name: str, value: Any) -> str:
    if not is_expression(value):
        return str(value).lower() if isinstance(value, bool) else str(value)
    default = variable_default(TF, value)
    if default is not None:
        return default
    field = next((f for f in Settings.model_fields.values() if f.alias == name), None)
    if field is not None and field.default is not None:
        return str(field.default)
    return "x"


def test_main_exports_handlers_to_check() -> None:
    assert "api" in main.__all__


@pytest.mark.parametrize("handler", sorted(main.__all__))
def test_every_exported_handler_has_a_function_with_that_entry_point(handler: str) -> None:
    assert handler in {f["entry_point"] for f in FUNCTIONS.values()}


def test_the_seven_designed_functions_are_declared() -> None:
    assert {f["entry_point"] for f in FUNCTIONS.values()} == DESIGNED


def test_functions_are_gen2_python_built_from_their_catalog_entry() -> None:
    assert "google_cloudfunctions_function" not in TF.resources
    fn = TF.resource("google_cloudfunctions2_function.fn")
    assert fn["for_each"] == "${local.functions}"
    build = fn["build_config"][0]
    assert build["entry_point"] == "${each.value.entry_point}"
    assert variable_default(TF, build["runtime"]) in {"python311", "python312"}
    service = fn["service_config"][0]
    assert service["service_account_email"] == "${google_service_account.runtime[each.key].email}"
    assert service["environment_variables"] == "${local.function_env[each.key]}"
    secrets = service["dynamic"][0]["secret_environment_variables"]
    assert secrets["for_each"] == "${local.function_secrets[each.key]}"


def test_the_source_archive_is_named_by_its_hash() -> None:
    archive = TF.resource("google_storage_bucket_object.source")
    assert re.search(r"\$\{file(sha256|md5)\(var\.source_archive\)\}", archive["name"])
    storage = TF.resource("google_cloudfunctions2_function.fn")["build_config"][0]["source"][0]
    assert storage["storage_source"][0]["object"] == "${google_storage_bucket_object.source.name}"


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("key", sorted(FUNCTIONS))
def test_each_function_environment_satisfies_the_settings(key: str, backend: str) -> None:
    settings = Settings.from_env(function_env(key, backend))  # raises naming what is missing
    assert settings.uses_cloud_sql and settings.iam_auth
    assert settings.jwt_secret


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("key", sorted(k for k, f in FUNCTIONS.items() if "model" in f["env_sets"]))
def test_functions_that_call_the_model_reach_gemini(key: str, backend: str) -> None:
    settings = Settings.from_env(function_env(key, backend))
    assert settings.model_mode == "gemini"
    assert settings.use_vertexai == (backend == "vertex")


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("key", sorted(FUNCTIONS))
def test_every_function_publishes_its_events_and_writes_trace_ids(key: str, backend: str) -> None:
    """Without a Pub/Sub project a function records events it never publishes (only the
    per-minute relay would), and without a project its logs carry no trace field."""
    settings = Settings.from_env(function_env(key, backend))
    assert settings.bus_mode == "pubsub" and settings.pubsub_project
    assert settings.google_cloud_project


@pytest.mark.parametrize("key", sorted(FUNCTIONS))
def test_every_environment_variable_is_one_the_code_reads(key: str) -> None:
    known = {f.alias for f in Settings.model_fields.values()} | EXTERNAL_ENV
    assert set(function_env(key, "api_key")) | set(function_env(key, "vertex")) <= known


def test_the_scheduler_mirror_is_told_schedule_fire_and_the_invoker() -> None:
    scheduler = TF.locals["env_sets"]["scheduler"]
    assert scheduler["SCHEDULE_FIRE_URL"] == '${local.function_urls["schedule_fire"]}'
    assert scheduler["SCHEDULER_SERVICE_ACCOUNT"] == "${google_service_account.invoker.email}"
    assert "scheduler" in FUNCTIONS["api"]["env_sets"]
    assert "scheduler" in FUNCTIONS["schedule_fire"]["env_sets"]


def test_the_functions_that_start_runs_hand_them_to_the_runs_topic() -> None:
    """A starter without RUNS_TOPIC would execute every run it claims itself (and
    workflow-run every swarm step's members in its own threads)."""
    starters = {k for k, f in FUNCTIONS.items() if "runs" in f["env_sets"]}
    assert starters == {"api", "schedule_fire", "event_dispatch", "workflow_run"}
    for key in starters:
        assert Settings.from_env(function_env(key, "vertex")).run_handoff == "pubsub"
    assert TF.locals["env_sets"]["runs"] == {
        "RUNS_TOPIC": "${google_pubsub_topic.runs.name}",
        "AGENT_POOL_LIMIT": "${tostring(var.agent_pool_limit)}",
        "AGENT_POOL_USER_LIMIT": "${tostring(var.agent_pool_user_limit)}",
    }


def test_the_treasury_webhook_reads_the_stripe_signing_secret() -> None:
    assert "stripe_webhook_secret" in FUNCTIONS["treasury_webhook"]["secrets"]
    assert TF.locals["secret_env"]["stripe_webhook_secret"] == "STRIPE_WEBHOOK_SECRET"


def test_every_secret_a_function_reads_is_declared() -> None:
    declared = set(TF.locals["secret_env"])
    for fn in FUNCTIONS.values():
        assert set(fn["secrets"]) <= declared
    assert TF.resource("google_secret_manager_secret.runtime")["for_each"] == "${local.secrets}"


def test_every_reference_resolves_to_a_declaration() -> None:
    text = "\n".join(TF.strings())
    resources = set(re.findall(r"(?<![\w.])((?:google|random)_[a-z0-9_]+)\.([a-z0-9_]+)", text))
    assert {f"{k}.{n}" for k, n in resources if n not in TF.resources.get(k, {})} == set()
    data = set(re.findall(r"\bdata\.([a-z0-9_]+)\.([a-z0-9_]+)", text))
    assert {f"{k}.{n}" for k, n in data if n not in TF.data.get(k, {})} == set()
    assert set(re.findall(r"\bvar\.([a-z0-9_]+)", text)) <= set(TF.variables)
    assert set(re.findall(r"\blocal\.([a-z0-9_]+)", text)) <= set(TF.locals)


def test_every_variable_is_used() -> None:
    outside = "\n".join(
        string
        for name, parsed in TF.files.items()
        if name != "variables.tf"
        for string in strings(parsed)
    )
    assert set(TF.variables) - set(re.findall(r"\bvar\.([a-z0-9_]+)", outside)) == set()


def test_every_literal_function_key_names_a_declared_function() -> None:
    keyed = r"(?:local\.function_[a-z]+|google_[a-z0-9_]+\.(?:fn|runtime))"
    keys = set(re.findall(keyed + r'\["([a-z_]+)"\]', "\n".join(TF.strings())))
    assert keys and keys <= set(FUNCTIONS)
    assert set(TF.locals["private_invokers"]) <= set(FUNCTIONS)


def test_every_variable_is_typed_and_described() -> None:
    untyped = [n for n, v in TF.variables.items() if not v.get("type") or not v.get("description")]
    assert untyped == []


def test_every_output_is_described() -> None:
    assert [n for n, o in TF.outputs.items() if not o.get("description")] == []


def test_the_project_and_region_are_required() -> None:
    assert "default" not in TF.variables["project_id"]
    assert "default" not in TF.variables["region"]


def test_the_database_allows_iam_logins_and_is_backed_up() -> None:
    settings = TF.resource("google_sql_database_instance.main")["settings"][0]
    flags = {f["name"]: f["value"] for f in settings["database_flags"]}
    assert flags["cloudsql.iam_authentication"] == "on"
    assert settings["backup_configuration"][0]["enabled"] is True
    users = TF.resource("google_sql_user.runtime")
    assert users["for_each"] == "${google_service_account.runtime}"
    assert users["type"] == "CLOUD_IAM_SERVICE_ACCOUNT"


def test_the_database_version_is_a_choice_of_15_to_18_defaulting_to_17() -> None:
    instance = TF.resource("google_sql_database_instance.main")
    assert instance["database_version"] == "${var.db_version}"
    variable = TF.variables["db_version"]
    rule = variable["validation"][0]
    allowed = re.fullmatch(r"\$\{contains\(\[(.*)\], var\.db_version\)\}", rule["condition"])
    assert allowed, rule["condition"]
    versions = re.findall(r'"([A-Z0-9_]+)"', allowed.group(1))
    assert versions == ["POSTGRES_15", "POSTGRES_16", "POSTGRES_17", "POSTGRES_18"]
    assert all(v in rule["error_message"] for v in versions)
    # the newest version Cloud SQL documents with pgvector 0.8
    assert variable["default"] == "POSTGRES_17"


def _terraform() -> str | None:
    return shutil.which("terraform") or (
        "/usr/local/bin/terraform" if shutil.which("/usr/local/bin/terraform") else None
    )


@pytest.mark.skipif(_terraform() is None, reason="the terraform binary is not installed here")
def test_terraform_fmt_finds_nothing_to_change() -> None:
    terraform = _terraform()
    assert terraform is not None
    run = subprocess.run(
        [terraform, "fmt", "-check", "-recursive", "-no-color", str(INFRA)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert run.returncode == 0, f"terraform fmt would change: {run.stdout}"
