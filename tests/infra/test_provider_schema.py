"""infra/ against the real schemas of the lowest and the highest provider releases
infra/versions.tf allows: every resource and data source type exists, every argument
and nested block is known for its type, and every required argument is given.

The schemas come from the npm registry on first use (infra/scripts/provider_schema.py,
cached under .cache/provider-schema/); without npm or the registry these tests fail."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.infra.provider_check import Release, problems, provider_of, provider_schema, schema
from tests.infra.terraform import Terraform, load, parse

TF = load()
RELEASES: tuple[Any, ...] = provider_schema.RELEASES
PROVIDERS = sorted({r.provider for r in RELEASES})
GOOGLE_LOWEST = Release("google", "6.10.0", "14.9.0")
GOOGLE_HIGHEST = Release("google", "6.50.0", "16.12.1")


@pytest.fixture(scope="session")
def provider_schemas() -> None:
    """Every pinned release's schema, fetched and indexed once per session."""
    for release in RELEASES:
        failure = ""
        try:
            schema(release)
        except provider_schema.SchemaUnavailable as error:
            failure = str(error)
        if failure:
            pytest.fail(
                f"the schema of the {release.provider} provider {release.version} is "
                f"unavailable (infra/scripts/provider_schema.py): {failure}",
                pytrace=False,
            )


def _constraint(provider: str) -> dict[str, tuple[int, ...]]:
    required = TF.files["versions.tf"]["terraform"][0]["required_providers"][0]
    bounds = {}
    for part in required[provider]["version"].split(","):
        match = re.fullmatch(r"\s*(>=|<)\s*([0-9.]+)\s*", part)
        assert match, f"{provider}: unexpected constraint part {part!r}"
        bounds[match.group(1)] = _version(match.group(2))
    return bounds


def _version(text: str) -> tuple[int, ...]:
    numbers = tuple(int(n) for n in text.split("."))
    return numbers + (0,) * (3 - len(numbers))


def _bad(text: str) -> Terraform:
    return Terraform(files={"bad.tf": parse(text)})


def test_every_provider_in_use_has_pinned_schema_releases() -> None:
    used = {provider_of(kind) for kind in [*TF.resources, *TF.data]}
    required = set(TF.files["versions.tf"]["terraform"][0]["required_providers"][0])
    assert used == required == set(PROVIDERS)
    assert GOOGLE_LOWEST in RELEASES and GOOGLE_HIGHEST in RELEASES


@pytest.mark.parametrize("provider", PROVIDERS)
def test_the_schema_releases_are_the_lowest_and_the_last_the_constraint_allows(
    provider: str,
) -> None:
    bounds = _constraint(provider)
    versions = sorted(_version(r.version) for r in RELEASES if r.provider == provider)
    assert versions[0] == bounds[">="]
    # "< N": the highest release is the last N-1.x the cdktf packages were generated from
    assert versions[-1] < bounds["<"]
    assert versions[-1][0] == bounds["<"][0] - 1
    assert len(versions) >= 2


@pytest.mark.usefixtures("provider_schemas")
@pytest.mark.parametrize("release", RELEASES, ids=lambda r: f"{r.provider}-{r.version}")
def test_infra_is_valid_for_the_provider_release(release: Any) -> None:
    assert problems(TF, release) == []


@pytest.mark.usefixtures("provider_schemas")
def test_unknown_types_arguments_and_blocks_and_missing_required_ones_are_reported() -> None:
    bad = _bad(
        """
        provider "google" {
          regoin = "europe-west1"
        }
        resource "google_sql_database_instance" "db" {
          database_version = "POSTGRES_17"
          setings {
            tier = "db-f1-micro"
          }
          settings {
            edition          = "ENTERPRISE"
            ip_configuration = { ipv4_enabled = true }
            backup_configuration {
              backup_retention_settings {
                retention_unit = "COUNT"
              }
            }
            dynamic "tier" {
              for_each = []
              content {}
            }
          }
        }
        resource "google_sql_user" "user" {
          name = "u"
        }
        resource "google_sql_usr" "user" {
          name = "u"
        }
        data "google_projekt" "this" {}
        """
    )
    instance = "bad.tf: google_sql_database_instance.db"
    assert problems(bad, GOOGLE_HIGHEST) == [
        f"{instance}: unknown argument or block 'setings'",
        f"{instance}.settings.ip_configuration: 'ip_configuration' is a block, written as an argument",
        f"{instance}.settings.backup_configuration.backup_retention_settings: "
        "required 'retained_backups' is missing",
        f"{instance}.settings.tier: 'tier' is not a block here",
        "bad.tf: google_sql_user.user: required 'instance' is missing",
        "bad.tf: google_sql_usr: no such resource type",
        "bad.tf: data.google_projekt: no such data type",
        "bad.tf: provider google: unknown argument or block 'regoin'",
    ]


@pytest.mark.usefixtures("provider_schemas")
def test_an_argument_newer_than_the_lowest_allowed_release_is_reported_for_it() -> None:
    newer = _bad(
        """
        resource "google_sql_database_instance" "db" {
          database_version = "POSTGRES_17"
          settings {
            tier                     = "db-f1-micro"
            retain_backups_on_delete = true
          }
        }
        """
    )
    assert problems(newer, GOOGLE_HIGHEST) == []
    assert problems(newer, GOOGLE_LOWEST) == [
        "bad.tf: google_sql_database_instance.db.settings: "
        "unknown argument or block 'retain_backups_on_delete'"
    ]
