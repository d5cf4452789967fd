"""Local stand-ins for the Personio and Leapsome APIs, for the demo, the tests and the benchmarks."""
