"""Where a user's rows are, read from the database's own catalog rather than from a
list kept by hand, so a table added by a later migration is exported and erased
without anyone remembering to add it.

A table holds a user's rows when it has a column named ``user_id`` or ``*_user_id``
(text); a table without one holds them when a foreign key points from it to a user's
rows (its rows go with their parent). Identifiers in the SQL built here come from the
catalog, never from a request, and are quoted."""

from __future__ import annotations

from dataclasses import dataclass, field

from shared.db import Tx

# derived from stored content (embeddings, full-text vectors): left out of exports
DERIVED_TYPES = ("vector", "halfvec", "sparsevec", "tsvector")

_USER_COLUMNS = """
SELECT c.table_name, c.column_name
FROM information_schema.columns c
JOIN information_schema.tables t
  ON t.table_schema = c.table_schema AND t.table_name = c.table_name
WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE'
  AND (c.column_name = 'user_id' OR c.column_name LIKE '%\\_user\\_id')
  AND c.data_type IN ('text', 'character varying')
ORDER BY c.table_name, c.ordinal_position
"""

_FOREIGN_KEYS = """
SELECT child.relname AS child, parent.relname AS parent, con.confdeltype::text AS on_delete,
  ARRAY(SELECT a.attname::text FROM unnest(con.conkey) WITH ORDINALITY k(n, i)
        JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.n ORDER BY k.i)
    AS child_columns,
  ARRAY(SELECT a.attname::text FROM unnest(con.confkey) WITH ORDINALITY k(n, i)
        JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.n ORDER BY k.i)
    AS parent_columns
FROM pg_constraint con
JOIN pg_class child ON child.oid = con.conrelid
JOIN pg_class parent ON parent.oid = con.confrelid
JOIN pg_namespace n ON n.oid = child.relnamespace
WHERE con.contype = 'f' AND n.nspname = current_schema()
ORDER BY child.relname, con.conname
"""

_COLUMNS = """
SELECT a.attname::text AS name, t.typname::text AS type
FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
WHERE a.attrelid = to_regclass(%s) AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY a.attnum
"""

_PRIMARY_KEY = """
SELECT a.attname::text AS name
FROM pg_index i
JOIN LATERAL unnest(i.indkey) WITH ORDINALITY k(n, pos) ON true
JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.n
WHERE i.indrelid = to_regclass(%s) AND i.indisprimary
ORDER BY k.pos
"""


def ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


@dataclass(frozen=True)
class ForeignKey:
    child: str
    parent: str
    child_columns: tuple[str, ...]
    parent_columns: tuple[str, ...]
    on_delete: str  # pg_constraint.confdeltype: a no action, r restrict, c cascade, n/d set


@dataclass
class Scope:
    """One table's rows of one user: ``where`` holds one ``%s`` per entry of
    ``params`` (each the user id)."""

    table: str
    where: str
    placeholders: int
    key: tuple[str, ...]  # primary key columns (empty: none, ordered by ctid)
    columns: tuple[str, ...]  # every column but the derived ones
    owned: bool  # the table has a user column itself (else: rows by foreign key)
    parents: set[str] = field(default_factory=set)  # scoped tables it references
    covered: set[str] = field(default_factory=set)  # parents its ``where`` goes through

    def params(self, user_id: str) -> tuple[str, ...]:
        return (user_id,) * self.placeholders


def foreign_keys(tx: Tx) -> list[ForeignKey]:
    return [
        ForeignKey(
            r["child"],
            r["parent"],
            tuple(r["child_columns"]),
            tuple(r["parent_columns"]),
            r["on_delete"],
        )
        for r in tx.all(_FOREIGN_KEYS)
    ]


def _described(tx: Tx, table: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    quoted = ident(table)
    columns = tuple(
        r["name"] for r in tx.all(_COLUMNS, (quoted,)) if r["type"] not in DERIVED_TYPES
    )
    key = tuple(r["name"] for r in tx.all(_PRIMARY_KEY, (quoted,)))
    return key, columns


def user_columns(tx: Tx) -> dict[str, list[str]]:
    """Each table that holds a user id, with the columns that hold it."""
    found: dict[str, list[str]] = {}
    for row in tx.all(_USER_COLUMNS):
        found.setdefault(row["table_name"], []).append(row["column_name"])
    return found


def scopes(tx: Tx) -> list[Scope]:
    """Every table's scope, a table after the tables it references (parents first)."""
    found: dict[str, Scope] = {}
    for table, columns in user_columns(tx).items():
        key, described = _described(tx, table)
        where = " OR ".join(f"{ident(c)} = %s" for c in columns)
        found[table] = Scope(table, f"({where})", len(columns), key, described, owned=True)
    keys = foreign_keys(tx)
    grew = True
    while grew:  # children of scoped tables, then their children, ...
        grew = False
        for fk in keys:
            parent = found.get(fk.parent)
            if parent is None or fk.child == fk.parent:
                continue
            child = found.get(fk.child)
            if child is not None:
                child.parents.add(fk.parent)
                if child.owned or fk.parent in child.covered:
                    continue
            clause = (
                f"({', '.join(ident(c) for c in fk.child_columns)}) IN (SELECT "
                f"{', '.join(ident(c) for c in fk.parent_columns)} FROM {ident(fk.parent)} "
                f"WHERE {parent.where})"
            )
            if child is None:
                key, described = _described(tx, fk.child)
                found[fk.child] = Scope(
                    fk.child, f"({clause})", parent.placeholders, key, described, False, {fk.parent}
                )
            else:
                child.where = f"({child.where} OR {clause})"
                child.placeholders += parent.placeholders
            found[fk.child].covered.add(fk.parent)
            grew = True
    return _parents_first(found)


def _parents_first(found: dict[str, Scope]) -> list[Scope]:
    ordered: list[Scope] = []
    placed: set[str] = set()
    pending = sorted(found)
    while pending:
        ready = [t for t in pending if found[t].parents <= placed | {t}] or pending[:1]
        for table in ready:
            ordered.append(found[table])
            placed.add(table)
        pending = [t for t in pending if t not in placed]
    return ordered
