"""docs/api/: the API reference, rendered from the OpenAPI document the ``api`` function
serves (``shared.web.openapi.document`` over the route table): one page per tag, a page
of the shared schemas, and the document itself as ``openapi.json``. Generated at every
build and never committed, so it cannot disagree with the code."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from docsgen.readers import ROOT

OUT = ROOT / "docs" / "api"


def document() -> dict[str, Any]:
    from shared.web.app import api_app
    from shared.web.openapi import document

    return document(api_app().routes)


def _cell(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _anchor(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def _type(schema: dict[str, Any]) -> str:
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        return f"[{name}](schemas.md#{_anchor(name)})"
    if "anyOf" in schema or "oneOf" in schema:
        return " or ".join(_type(s) for s in schema.get("anyOf", schema.get("oneOf", [])))
    kind = schema.get("type", "any")
    if isinstance(kind, list):
        kind = " or ".join(kind)
    if kind == "array" and isinstance(schema.get("items"), dict):
        return f"array of {_type(schema['items'])}"
    if "enum" in schema:
        return " \\| ".join(f"`{json.dumps(v)}`" for v in schema["enum"])
    return f"{kind}"


_LIMITS = (
    ("minimum", "≥ {}"),
    ("exclusiveMinimum", "> {}"),
    ("maximum", "≤ {}"),
    ("exclusiveMaximum", "< {}"),
    ("minLength", "at least {} characters"),
    ("maxLength", "at most {} characters"),
    ("minItems", "at least {} items"),
    ("maxItems", "at most {} items"),
    ("pattern", "matches `{}`"),
    ("format", "format {}"),
)


def _limits(schema: dict[str, Any]) -> str:
    parts = [text.format(schema[key]) for key, text in _LIMITS if key in schema]
    if "default" in schema:
        parts.append(f"default `{json.dumps(schema['default'])}`")
    return ", ".join(parts)


def properties_table(schema: dict[str, Any]) -> list[str]:
    props = schema.get("properties")
    if not props:
        return ["```json", json.dumps(schema, indent=2), "```"]
    required = set(schema.get("required", []))
    rows = ["| field | type | required | rules | description |", "| --- | --- | --- | --- | --- |"]
    for name, prop in props.items():
        rows.append(
            f"| `{name}` | {_cell(_type(prop))} | {'yes' if name in required else ''} | "
            f"{_cell(_limits(prop))} | {_cell(prop.get('description', ''))} |"
        )
    return rows


def operation(path: str, method: str, op: dict[str, Any]) -> list[str]:
    out = [f"## `{method.upper()} {path}`", "", op.get("summary", ""), ""]
    if op.get("description"):
        out += [op["description"], ""]
    out += [
        "Auth: " + ("a user JWT (`Authorization: Bearer`)." if op.get("security") else "none."),
        "",
    ]
    params = op.get("parameters", [])
    if params:
        out += ["| parameter | in | type | required | rules | description |"]
        out += ["| --- | --- | --- | --- | --- | --- |"]
        for p in params:
            schema = p.get("schema", {})
            out.append(
                f"| `{p['name']}` | {p['in']} | {_cell(_type(schema))} | "
                f"{'yes' if p.get('required') else ''} | {_cell(_limits(schema))} | "
                f"{_cell(p.get('description', ''))} |"
            )
        out.append("")
    body = op.get("requestBody", {}).get("content", {}).get("application/json", {})
    if body:
        required = "required" if op["requestBody"].get("required") else "optional"
        out += [f"Request body ({required}): {_type(body['schema'])}", ""]
        if "$ref" not in body["schema"]:
            out += [*properties_table(body["schema"]), ""]
    out += ["| status | meaning | body |", "| --- | --- | --- |"]
    for status, answer in op.get("responses", {}).items():
        schema = answer.get("content", {}).get("application/json", {}).get("schema", {})
        out.append(
            f"| {status} | {_cell(answer.get('description', ''))} | {_cell(_type(schema))} |"
        )
    out.append("")
    for status, answer in op.get("responses", {}).items():
        schema = answer.get("content", {}).get("application/json", {}).get("schema", {})
        if status.startswith("2") and schema and "$ref" not in schema:
            out += [f"The {status} body:", "", *properties_table(schema), ""]
    return out


def pages(doc: dict[str, Any]) -> dict[str, str]:
    by_tag: dict[str, list[str]] = {}
    for path, methods in doc["paths"].items():
        for method, op in methods.items():
            tag = (op.get("tags") or ["other"])[0]
            by_tag.setdefault(tag, []).extend(operation(path, method, op))
    out: dict[str, str] = {}
    index = [
        "# API reference",
        "",
        "<!-- Generated by `python -m docsgen` from the OpenAPI document at every build. -->",
        "",
        f"Rendered from the OpenAPI {doc['openapi']} document the `api` function serves at",
        "`GET /api/openapi.json` (also saved beside this page as",
        "[openapi.json](openapi.json)), which is generated from the route table. The",
        "conventions every route follows (auth, errors, query strings, CORS) are in",
        "[HTTP API](../contract/http.md).",
        "",
        doc["info"].get("description", ""),
        "",
        "| tag | operations |",
        "| --- | --- |",
    ]
    for tag in sorted(by_tag):
        count = sum(
            1
            for methods in doc["paths"].values()
            for op in methods.values()
            if (op.get("tags") or ["other"])[0] == tag
        )
        index.append(f"| [{tag}]({tag}.md) | {count} |")
        out[f"{tag}.md"] = "\n".join([f"# {tag}", "", *by_tag[tag]]).rstrip() + "\n"
    index += ["", "Shared request and response shapes: [schemas](schemas.md)."]
    out["index.md"] = "\n".join(index) + "\n"
    schemas = ["# Schemas", ""]
    for name, schema in doc["components"]["schemas"].items():
        schemas += [
            f"## {name}",
            "",
            schema.get("description", ""),
            "",
            *properties_table(schema),
            "",
        ]
    out["schemas.md"] = "\n".join(schemas).rstrip() + "\n"
    return out


def write() -> list[Path]:
    doc = document()
    OUT.mkdir(parents=True, exist_ok=True)
    for old in OUT.glob("*"):
        old.unlink()
    written = []
    for name, text in pages(doc).items():
        (OUT / name).write_text(text)
        written.append(OUT / name)
    (OUT / "openapi.json").write_text(json.dumps(doc, indent=2) + "\n")
    return [*written, OUT / "openapi.json"]
