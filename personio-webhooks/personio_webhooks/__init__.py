"""Personio webhooks -> the incremental Personio -> Leapsome sync, within a minute of a change."""
