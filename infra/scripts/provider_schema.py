"""The Terraform providers' schemas, offline: what `terraform validate` would check
needs the providers downloaded, which only the npm registry offers where the suite runs.

Each `@cdktf/provider-<name>` npm package is generated from one provider release and
carries, in its `.jsii` file, every resource, data source, argument and nested block of
that release. `npm pack` fetches the package into `.cache/provider-schema/` (once: a
present tarball is reused), and this script reduces its `.jsii` to a small index,

    {"provider": NODE, "resource": {type: NODE}, "data": {type: NODE}}
    NODE = {"arguments": [name, ...], "blocks": {name: NODE}, "required": [name, ...]}

with Terraform's own (snake_case) names, written beside it and read by tests/infra.

    python infra/scripts/provider_schema.py   # fetch and index every pinned release
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CACHE = Path(__file__).resolve().parents[2] / ".cache" / "provider-schema"
# bumped when the index's shape changes, so a stale index is rebuilt from the tarball
INDEX_FORMAT = 1
NPM_TIMEOUT_SECONDS = 600


@dataclass(frozen=True)
class Release:
    """A provider release and the @cdktf/provider-* package generated from it."""

    provider: str
    version: str
    package_version: str

    @property
    def package(self) -> str:
        return f"@cdktf/provider-{self.provider}@{self.package_version}"


# The lowest and the highest release infra/versions.tf allows, for each provider
# (the cdktf packages end with google 6.50.0 and random 3.7.2, the last 6.x and 3.x).
RELEASES = (
    Release("google", "6.10.0", "14.9.0"),
    Release("google", "6.50.0", "16.12.1"),
    Release("random", "3.6.0", "11.0.0"),
    Release("random", "3.7.2", "12.0.1"),
)


class SchemaUnavailable(Exception):
    """The schema of a release could not be fetched or read."""


def ensure(release: Release, cache: Path = CACHE) -> Path:
    """The path of the release's index, fetched and built when absent."""
    index = cache / f"{release.provider}-{release.version}.index{INDEX_FORMAT}.json"
    if not index.exists():
        schema = build_index(release, _tarball(release, cache))
        _write_atomically(index, json.dumps(schema, sort_keys=True))
    return index


def _tarball(release: Release, cache: Path) -> Path:
    path = cache / f"cdktf-provider-{release.provider}-{release.package_version}.tgz"
    if path.exists():
        return path
    npm = shutil.which("npm")
    if npm is None:
        raise SchemaUnavailable(
            f"npm is not installed: it downloads {release.package} (the schema of the "
            f"{release.provider} provider {release.version}) from the npm registry"
        )
    cache.mkdir(parents=True, exist_ok=True)
    failure = ""
    for _attempt in range(2):
        with tempfile.TemporaryDirectory(dir=cache) as scratch:
            try:
                run = subprocess.run(
                    [
                        npm,
                        "pack",
                        release.package,
                        "--pack-destination",
                        scratch,
                        "--loglevel=error",
                    ],
                    capture_output=True,
                    text=True,
                    timeout=NPM_TIMEOUT_SECONDS,
                    check=False,
                )
            except subprocess.TimeoutExpired:
                failure = f"no answer within {NPM_TIMEOUT_SECONDS} s"
                continue
            packed = sorted(Path(scratch).glob("*.tgz"))
            if run.returncode == 0 and len(packed) == 1:
                os.replace(packed[0], path)
                return path
            # npm's first lines name the cause (code, errno, the failed request)
            failure = " | ".join((run.stderr.strip() or run.stdout.strip()).splitlines()[:4])
    raise SchemaUnavailable(f"npm pack {release.package} failed twice: {failure}")


def build_index(release: Release, tarball: Path) -> dict[str, Any]:
    try:
        with tarfile.open(tarball) as archive:
            manifest = json.load(_member(archive, "package/package.json"))
            assembly = json.load(_member(archive, "package/.jsii"))
    except (OSError, tarfile.TarError, json.JSONDecodeError) as error:
        raise SchemaUnavailable(f"{tarball} is not a readable npm package: {error}") from error
    generated_from = manifest.get("cdktf", {}).get("provider", {}).get("version")
    if generated_from != release.version:
        raise SchemaUnavailable(
            f"{release.package} was generated from {release.provider} {generated_from}, "
            f"not {release.version}"
        )
    return _Assembly(assembly).index()


def _member(archive: tarfile.TarFile, name: str) -> Any:
    member = archive.extractfile(name)
    if member is None:
        raise SchemaUnavailable(f"the package has no {name}")
    return member


# "{@link https://registry.terraform.io/.../docs/resources/sql_database_instance
# google_sql_database_instance}": a class's summary names its Terraform type
_TYPE_LINK = re.compile(r"/docs/(resources|data-sources)/\S+ ([a-z0-9_]+)\}")
# "...docs/resources/sql_database_instance#database_version ...": a property's docs name
# its Terraform argument; the jsii name is not always its camelCase (build ->
# buildAttribute, layer_7_ddos_defense_config -> layer7DdosDefenseConfig)
_ARGUMENT_LINK = re.compile(r"/docs(?:/[a-z-]+/[a-z0-9_]+)?#([a-z0-9_]+)")
_BASES = {
    "cdktf.TerraformResource": "resource",
    "cdktf.TerraformDataSource": "data",
    "cdktf.TerraformProvider": "provider",
}


class _Assembly:
    def __init__(self, assembly: dict[str, Any]) -> None:
        self.types: dict[str, Any] = assembly["types"]
        self.prefix = f"{assembly['name']}."

    def index(self) -> dict[str, Any]:
        index: dict[str, Any] = {"resource": {}, "data": {}}
        for spec in self.types.values():
            section = _BASES.get(spec.get("base", ""))
            if section is None:
                continue
            node = self._node(self._config_of(spec))
            if section == "provider":
                index["provider"] = node
                continue
            match = _TYPE_LINK.search(spec["docs"]["summary"])
            if match is None:
                raise SchemaUnavailable(f"{spec['fqn']} names no Terraform type")
            index[section][match.group(2)] = node
        return index

    def _config_of(self, spec: dict[str, Any]) -> str:
        parameters = spec["initializer"]["parameters"]
        config = next(p for p in parameters if p["name"] == "config")
        return str(config["type"]["fqn"])

    def _node(self, fqn: str) -> dict[str, Any]:
        arguments: list[str] = []
        blocks: dict[str, Any] = {}
        required: list[str] = []
        for prop in self.types[fqn].get("properties", []):
            name = _terraform_name(prop)
            nested = self._nested(prop["type"])
            if nested is None:
                arguments.append(name)
            else:
                blocks[name] = self._node(nested)
            if not prop.get("optional", False):
                required.append(name)
        return {"arguments": sorted(arguments), "blocks": blocks, "required": sorted(required)}

    def _nested(self, type_ref: dict[str, Any]) -> str | None:
        """The struct a property's type holds (a nested block), if any."""
        fqn = type_ref.get("fqn")
        if isinstance(fqn, str):
            spec = self.types.get(fqn) if fqn.startswith(self.prefix) else None
            return fqn if spec is not None and spec.get("datatype") else None
        inner = [type_ref["collection"]["elementtype"]] if "collection" in type_ref else []
        inner += type_ref.get("union", {}).get("types", [])
        return next((f for f in map(self._nested, inner) if f is not None), None)


def _terraform_name(prop: dict[str, Any]) -> str:
    docs = " ".join(str(v) for v in prop.get("docs", {}).values())
    links = _ARGUMENT_LINK.findall(docs)
    if links:
        return str(links[-1])
    return re.sub(r"(?<!^)([A-Z])", r"_\1", prop["name"]).lower()


def _write_atomically(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile("w", dir=path.parent, delete=False) as scratch:
        scratch.write(text)
    os.replace(scratch.name, path)


def main() -> int:
    for release in RELEASES:
        try:
            print(ensure(release))
        except SchemaUnavailable as error:
            print(f"provider_schema: {error}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
