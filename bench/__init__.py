"""The benchmark harness: ``python -m bench.run`` (see bench/run.py and the README's Performance section)."""
