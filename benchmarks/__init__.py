"""Speed benchmarks for the HTTP API (see benchmarks/README.md); not part of the test suite."""
