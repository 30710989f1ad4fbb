from __future__ import annotations

import sys

from bench.runner import main

if __name__ == "__main__":  # not when a worker process imports it
    sys.exit(main())
