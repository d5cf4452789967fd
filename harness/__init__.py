"""Drives the real pipeline against the sandboxes; shared by the demo, the end-to-end tests and the benchmarks."""
