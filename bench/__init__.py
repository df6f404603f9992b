"""Benchmarks, run by hand on generated data; their figures and how to read them: bench/README.md.
Run one as a module from the project folder: `.venv/bin/python -m bench.<name>`, e.g. `-m bench.bench_routing`."""
