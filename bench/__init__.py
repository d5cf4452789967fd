"""Benchmarks: what a sync costs against the floor the APIs' rate limits set, ours next to a naive script.

`python -m bench` (or `make bench`) runs the real tap and target, and the naive baseline in
`bench/naive.py`, against sandboxes started as child processes, and writes `bench/RESULTS.md`.
"""
