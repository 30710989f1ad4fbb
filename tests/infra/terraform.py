"""The Terraform configuration under infra/, parsed with python-hcl2 into plain Python
data, so tests can check it statically (terraform init/validate need the providers,
which are not installed where the suite runs)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import hcl2
from hcl2 import SerializationOptions

INFRA = Path(__file__).resolve().parents[2] / "infra"
_OPTIONS = SerializationOptions(strip_string_quotes=True, explicit_blocks=False)


@dataclass
class Terraform:
    resources: dict[str, dict[str, Any]] = field(default_factory=dict)  # type -> name -> body
    data: dict[str, dict[str, Any]] = field(default_factory=dict)
    variables: dict[str, Any] = field(default_factory=dict)
    outputs: dict[str, Any] = field(default_factory=dict)
    locals: dict[str, Any] = field(default_factory=dict)
    files: dict[str, dict[str, Any]] = field(default_factory=dict)

    def resource(self, address: str) -> dict[str, Any]:
        kind, name = address.split(".")
        return self.resources[kind][name]

    def strings(self) -> Iterator[str]:
        """Every string in every file: attribute values, expressions, keys of maps."""
        yield from strings(list(self.files.values()))


def strings(node: Any) -> Iterator[str]:
    """Every string in a parsed tree (comments left out)."""
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for key, value in node.items():
            if key == "__comments__":
                continue
            yield key
            yield from strings(value)
    elif isinstance(node, list):
        for item in node:
            yield from strings(item)


def _blocks(entries: list[dict[str, Any]]) -> Iterator[tuple[str, Any]]:
    for entry in entries:
        for name, body in entry.items():
            if name != "__comments__":
                yield name, body


def parse(text: str) -> dict[str, Any]:
    """One file's text as python-hcl2 reads it (blocks are lists of bodies)."""
    return dict(hcl2.loads(text, serialization_options=_OPTIONS))


@cache
def load() -> Terraform:
    tf = Terraform()
    for path in sorted(INFRA.rglob("*.tf")):
        parsed = parse(path.read_text())
        tf.files[str(path.relative_to(INFRA))] = parsed
        for kind, named in _blocks(parsed.get("resource", [])):
            tf.resources.setdefault(kind, {}).update(
                {n: b for n, b in named.items() if n != "__comments__"}
            )
        for kind, named in _blocks(parsed.get("data", [])):
            tf.data.setdefault(kind, {}).update(named)
        tf.variables.update(dict(_blocks(parsed.get("variable", []))))
        tf.outputs.update(dict(_blocks(parsed.get("output", []))))
        for entry in parsed.get("locals", []):
            tf.locals.update({k: v for k, v in entry.items() if k != "__comments__"})
    return tf


_EXPRESSION = re.compile(r"^\$\{(.*)\}$", re.S)
_VARIABLE = re.compile(r"^\$\{(?:tostring\()?var\.([a-z0-9_]+)\)?\}$")


def is_expression(value: Any) -> bool:
    return isinstance(value, str) and bool(_EXPRESSION.match(value))


def expression(value: str) -> str:
    """The text inside ``${...}``."""
    match = _EXPRESSION.match(value)
    assert match, f"not an expression: {value!r}"
    return match.group(1)


def variable_default(tf: Terraform, value: str) -> str | None:
    """The default of ``var.x`` (or ``tostring(var.x)``) as Terraform would stringify it."""
    match = _VARIABLE.match(value)
    if not match:
        return None
    default = tf.variables[match.group(1)].get("default")
    if default is None:
        return None
    if isinstance(default, bool):
        return "true" if default else "false"
    return str(default)
