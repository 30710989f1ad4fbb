"""Benchmarks: the bundle measured against its floors, each figure beside a baseline
measured in the same run on the same machine (``make bench``, ``segp bench [NAME]``)."""

import os

# The benchmarks' own numpy work (exact search for the recall truth) must not leave
# BLAS threads spinning on the cores the database and the code under test need.
for _name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")
