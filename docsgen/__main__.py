"""``python -m docsgen``: write every generated page; ``--check``: exit 1 naming the
committed pages that differ from what the code and bench/results give now."""

from __future__ import annotations

import sys

from docsgen import api_reference, committed


def main(argv: list[str]) -> int:
    pages = committed.rendered()
    if "--check" in argv:
        stale = committed.stale(pages)
        for path in stale:
            print(f"stale: {path} (run python -m docsgen)", file=sys.stderr)
        return 1 if stale else 0
    for path, text in pages.items():
        path.write_text(text)
    api_reference.write()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
