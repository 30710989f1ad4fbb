"""infra/ compared with a provider release's schema (infra/scripts/provider_schema.py):
what `terraform validate` would reject for an unknown type, argument or block, or a
missing required argument, found without downloading the provider."""

from __future__ import annotations

import importlib.util
import json
import sys
from functools import cache
from typing import Any

from tests.infra.terraform import INFRA, Terraform

_spec = importlib.util.spec_from_file_location(
    "provider_schema", INFRA / "scripts" / "provider_schema.py"
)
assert _spec is not None and _spec.loader is not None
provider_schema = importlib.util.module_from_spec(_spec)
sys.modules["provider_schema"] = provider_schema  # dataclasses resolve their module
_spec.loader.exec_module(provider_schema)
Release = provider_schema.Release

# Terraform's own arguments and blocks, in every resource or data block
META = {"count", "for_each", "depends_on", "provider", "lifecycle", "provisioner", "connection"}
PROVIDER_META = {"alias", "version"}


@cache
def schema(release: Any) -> dict[str, Any]:
    """The release's index, fetched on first use (provider_schema.SchemaUnavailable
    when npm or the registry cannot provide it)."""
    return dict(json.loads(provider_schema.ensure(release).read_text()))


def provider_of(kind: str) -> str:
    return kind.split("_", 1)[0]


def problems(tf: Terraform, release: Any) -> list[str]:
    """Everything in ``tf`` that the release's schema does not allow, for the types of
    that release's provider."""
    index = schema(release)
    found: list[str] = []
    for file, parsed in tf.files.items():
        for section in ("resource", "data"):
            for entry in parsed.get(section, []):
                for kind, named in _items(entry):
                    if provider_of(kind) != release.provider:
                        continue
                    where = f"{file}: {'data.' if section == 'data' else ''}{kind}"
                    node = index[section].get(kind)
                    if node is None:
                        found.append(f"{where}: no such {section} type")
                        continue
                    for name, body in _items(named):
                        found += _check(f"{where}.{name}", body, node, META)
        for entry in parsed.get("provider", []):
            for name, body in _items(entry):
                if name == release.provider:
                    found += _check(
                        f"{file}: provider {name}", body, index["provider"], PROVIDER_META
                    )
    return found


def _items(entry: dict[str, Any]) -> list[tuple[str, Any]]:
    return [(k, v) for k, v in entry.items() if k != "__comments__"]


def _check(where: str, body: dict[str, Any], node: dict[str, Any], meta: set[str]) -> list[str]:
    found: list[str] = []
    given = set()
    for name, value in _items(body):
        if name in meta:
            continue
        if name == "dynamic":
            for dynamic in value:
                for block, spec in _items(dynamic):
                    given.add(block)
                    found += _block(f"{where}.{block}", block, spec.get("content", []), node)
            continue
        given.add(name)
        if name in node["blocks"]:
            found += _block(f"{where}.{name}", name, value, node)
        elif name not in node["arguments"]:
            found.append(f"{where}: unknown argument or block {name!r}")
    found += [
        f"{where}: required {name!r} is missing" for name in node["required"] if name not in given
    ]
    return found


def _block(where: str, name: str, bodies: Any, node: dict[str, Any]) -> list[str]:
    if name not in node["blocks"]:
        return [f"{where}: {name!r} is not a block here"]
    if not (isinstance(bodies, list) and all(isinstance(b, dict) for b in bodies)):
        return [f"{where}: {name!r} is a block, written as an argument"]
    return [problem for b in bodies for problem in _check(where, b, node["blocks"][name], set())]
