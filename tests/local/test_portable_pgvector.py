"""The embedded server's pgvector is the portable build the bootstrap makes
(``.ci/portable-pgvector``): the wheel's own, compiled for AVX-512, kills the server
on a CPU without it."""

from __future__ import annotations

import re
from pathlib import Path

import pgserver


def test_the_embedded_pgvector_is_the_portable_build() -> None:
    root = Path(pgserver.__file__).parent / "pginstall"
    control = (root / "share/postgresql/extension/vector.control").read_text()
    shipped = re.search(r"default_version = '([^']+)'", control)
    assert shipped is not None
    marker = root / "lib/postgresql/vector.portable"
    assert marker.is_file(), "run .ci/portable-pgvector (the Makefile's bootstrap does)"
    assert marker.read_text().strip() == shipped.group(1)
