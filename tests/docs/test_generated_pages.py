"""The documentation's generated parts say what the code and the last benchmark run
say: committed pages are current, every setting is described and read, the API
reference covers the served document."""

from __future__ import annotations

import ast
from pathlib import Path

from docsgen import api_reference, committed, readers
from shared.config import Settings

ROOT = Path(__file__).resolve().parents[2]


def test_the_committed_generated_pages_are_current() -> None:
    stale = committed.stale(committed.rendered())
    assert not stale, f"regenerate with `python -m docsgen` (or `make docs`): {stale}"


def test_every_setting_has_a_description() -> None:
    missing = [f.alias for f in Settings.model_fields.values() if not f.description]
    assert not missing, "add a docstring under each field in shared/config.py: " + ", ".join(
        str(m) for m in missing
    )


def test_every_setting_is_read_by_some_program() -> None:
    unread = [name for name, who in readers.readers(Settings.model_fields).items() if not who]
    assert not unread, f"read as get_settings().<field> or settings.<field>: {unread}"


def test_a_setting_is_attributed_to_the_functions_whose_code_reads_it() -> None:
    read_by = readers.readers(Settings.model_fields)
    assert "treasury-webhook" in read_by["stripe_webhook_secret"]
    assert "event-dispatch" not in read_by["stripe_webhook_secret"]
    assert read_by["segp_home"] == {"segp"}


def test_every_settings_parameter_is_named_settings_so_its_reads_are_seen() -> None:
    misnamed = []
    for path in [
        ROOT / "main.py",
        *(ROOT / "shared").rglob("*.py"),
        *(ROOT / "functions").rglob("*.py"),
    ]:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.arg) and node.annotation is not None:
                annotation = ast.unparse(node.annotation)
                if "Settings" in annotation.replace("|", " ").split() and node.arg != "settings":
                    misnamed.append(f"{path.relative_to(ROOT)}: {node.arg}: {annotation}")
    assert not misnamed


def test_the_api_reference_shows_every_documented_operation() -> None:
    doc = api_reference.document()
    text = "\n".join(api_reference.pages(doc).values())
    for path, methods in doc["paths"].items():
        for method in methods:
            assert f"## `{method.upper()} {path}`" in text


def test_every_table_a_migration_creates_is_listed_on_the_tables_page() -> None:
    page = (ROOT / "docs" / "contract" / "tables.md").read_text()
    created = set()
    for sql in (ROOT / "migrations").glob("*.sql"):
        words = sql.read_text().split()
        created |= {
            words[i + 5].strip("(").lower()
            for i in range(len(words) - 5)
            if [w.upper() for w in words[i : i + 5]] == ["CREATE", "TABLE", "IF", "NOT", "EXISTS"]
        }
    assert created
    assert not [t for t in sorted(created) if f"`{t}`" not in page]
