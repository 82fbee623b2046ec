"""Benchmarks of the conformance suite: `python -m bench [--quick]` prints one table."""
