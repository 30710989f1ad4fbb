"""cloudbuild.yaml: every step named and on a pinned image, in the order that keeps a
deploy safe (tests before packaging, migrations before the new code, grants and a
smoke test after), every substitution and secret it uses declared."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from tests.infra.terraform import load

BUILD: dict[str, Any] = yaml.safe_load(
    (Path(__file__).resolve().parents[2] / "cloudbuild.yaml").read_text()
)
STEPS: list[dict[str, Any]] = BUILD["steps"]
IDS = [step["id"] for step in STEPS]


def test_every_step_has_a_unique_id() -> None:
    assert len(IDS) == len(set(IDS)) == len(STEPS)


def test_every_image_is_pinned_to_a_version() -> None:
    unpinned = [s["name"] for s in STEPS if not re.search(r":\d+\.\d+\.\d+", s["name"])]
    assert unpinned == []


def test_the_steps_run_in_a_safe_order() -> None:
    order = ["lint", "test", "package", "migrate", "tf-apply", "grant", "smoke"]
    assert [i for i in IDS if i in order] == order


def test_the_provider_schemas_are_fetched_with_npm_before_the_suite_runs() -> None:
    fetch = next(s for s in STEPS if s["id"] == "provider-schema")
    assert fetch["name"].startswith("node:")
    assert fetch["args"] == ["infra/scripts/provider_schema.py"]
    assert IDS.index("provider-schema") < IDS.index("test")


def test_migrate_runs_segp_migrate_with_the_owner_password_from_secret_manager() -> None:
    migrate = next(s for s in STEPS if s["id"] == "migrate")
    assert "segp migrate" in " ".join(migrate["args"])
    assert migrate["secretEnv"] == ["DB_PASS"]
    secrets = BUILD["availableSecrets"]["secretManager"]
    owner = next(s for s in secrets if s["env"] == "DB_PASS")
    assert owner["versionName"].endswith(
        "/secrets/${_NAME_PREFIX}-db-owner-password/versions/latest"
    )
    declared = load().resource("google_secret_manager_secret.db_owner_password")["secret_id"]
    assert declared == "${var.name_prefix}-db-owner-password"


def test_every_substitution_used_is_declared() -> None:
    used = set(re.findall(r"\$\{(_[A-Z0-9_]+)\}", yaml.safe_dump(BUILD)))
    assert used <= set(BUILD["substitutions"])


def test_terraform_applies_the_environment_tfvars() -> None:
    apply = next(s for s in STEPS if s["id"] == "tf-apply")
    assert apply["dir"] == "infra"
    assert apply["args"][0] == "apply"
    assert "-var-file=${_TFVARS}" in apply["args"]
