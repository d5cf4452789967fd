"""The `make demo` walk-through (run it with `python -m demo`)."""
