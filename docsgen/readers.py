"""Which deployed function can read which setting, found by reading the source.

A function's code is its entry module, the module-level imports of ``main.py`` (which
every instance executes) and everything those import, transitively: imports anywhere
in a module (the lazy ones inside functions included, since they run when called),
and string literals naming a project module (the route, handler and agent tables that
``importlib`` loads). A setting is read where an attribute of that name is taken from
``get_settings()`` or from a name or attribute called ``settings``; reading one of the
``Settings`` properties reads the fields its body reads. This over-approximates (a
lazily imported module may never run in that function) but never misses a read that
follows the convention; a test holds the code to it (every ``Settings`` parameter is
named ``settings``)."""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("shared", "functions")


def module_path(name: str) -> Path | None:
    base = ROOT.joinpath(*name.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _is_project(name: str) -> bool:
    return name == "main" or name.split(".")[0] in PACKAGES


@cache
def _tree(name: str) -> ast.Module:
    path = module_path(name)
    assert path is not None, name
    return ast.parse(path.read_text(), filename=str(path))


def _type_checking_nodes(tree: ast.Module) -> set[int]:
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skipped.update(id(n) for child in node.body for n in ast.walk(child))
    return skipped


def _package_of(name: str) -> str:
    path = module_path(name)
    return name if path is not None and path.name == "__init__.py" else name.rpartition(".")[0]


def imported(name: str, *, top_level_only: bool = False) -> set[str]:
    """The project modules ``name`` imports (with their parent packages)."""
    tree = _tree(name)
    skipped = _type_checking_nodes(tree)
    nodes: Iterable[ast.AST] = tree.body if top_level_only else ast.walk(tree)
    found: set[str] = set()
    for node in nodes:
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = _package_of(name).split(".")
                parent = parent[: len(parent) - node.level + 1]
                base = ".".join([*parent, base] if base else parent)
            found.add(base)
            found.update(f"{base}.{a.name}" for a in node.names)
        elif (
            not top_level_only
            and isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and _is_project(node.value)
        ):
            found.add(node.value)
    modules: set[str] = set()
    for full in found:
        parts = full.split(".")
        for i in range(1, len(parts) + 1):
            candidate = ".".join(parts[:i])
            if _is_project(candidate) and module_path(candidate) is not None:
                modules.add(candidate)
    return modules


def closure(roots: Iterable[str]) -> set[str]:
    seen: set[str] = set()
    todo = list(roots)
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        todo.extend(imported(name) - seen)
    return seen


def _is_settings(node: ast.expr) -> bool:
    if isinstance(node, ast.Call):
        func = node.func
        called = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
        return called == "get_settings"
    if isinstance(node, ast.Name):
        return node.id == "settings"
    if isinstance(node, ast.Attribute):
        return node.attr in ("settings", "_settings")
    return False


def attributes_read(name: str) -> Iterator[str]:
    for node in ast.walk(_tree(name)):
        if isinstance(node, ast.Attribute) and _is_settings(node.value):
            yield node.attr


@dataclass(frozen=True)
class SettingsShape:
    fields: frozenset[str]
    # property -> the fields (and properties) its body reads from self
    properties: dict[str, frozenset[str]]

    def expand(self, attribute: str, seen: frozenset[str] = frozenset()) -> set[str]:
        if attribute in self.fields:
            return {attribute}
        out: set[str] = set()
        for inner in self.properties.get(attribute, frozenset()) - seen:
            out |= self.expand(inner, seen | {attribute})
        return out


def settings_shape(fields: Iterable[str]) -> SettingsShape:
    tree = _tree("shared.config")
    cls = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "Settings")
    properties: dict[str, frozenset[str]] = {}
    for item in cls.body:
        if isinstance(item, ast.FunctionDef) and any(
            isinstance(d, ast.Name) and d.id == "property" for d in item.decorator_list
        ):
            properties[item.name] = frozenset(
                n.attr
                for n in ast.walk(item)
                if isinstance(n, ast.Attribute)
                and isinstance(n.value, ast.Name)
                and n.value.id == "self"
            )
    return SettingsShape(frozenset(fields), properties)


def entry_points() -> dict[str, str]:
    """Deployed function name -> its entry module, as ``main.HANDLERS`` declares them."""
    tree = _tree("main")
    for node in tree.body:
        if (
            isinstance(node, ast.Assign)
            and isinstance(node.targets[0], ast.Name)
            and node.targets[0].id == "HANDLERS"
        ):
            table = ast.literal_eval(node.value)
            assert isinstance(table, dict)
            return {entry.replace("_", "-"): str(module) for entry, module in table.items()}
    raise AssertionError("main.py declares no HANDLERS")


def readers(fields: Iterable[str]) -> dict[str, set[str]]:
    """Field -> the deployed functions (and ``segp``, the command) whose code reads it."""
    shape = settings_shape(fields)
    common = imported("main", top_level_only=True)
    programs = {fn: closure({*common, module}) for fn, module in entry_points().items()}
    programs["segp"] = closure({"shared.cli"})
    read_by: dict[str, set[str]] = {f: set() for f in shape.fields}
    for program, modules in programs.items():
        for module in modules - {"shared.config"}:
            for attribute in attributes_read(module):
                for field in shape.expand(attribute):
                    read_by[field].add(program)
    return read_by
