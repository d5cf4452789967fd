"""Lets `python -m tap_personio` behave like the `tap-personio` console script."""

from tap_personio.tap import TapPersonio

TapPersonio.cli()
