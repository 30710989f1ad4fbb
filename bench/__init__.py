"""Benchmarks: the bundle measured against its floors, each figure beside a baseline
measured in the same run on the same machine (``make bench``, ``segp bench [NAME]``)."""
