"""Benchmarks of Sitrep as it runs: `python -m bench burst` (see bench/burst.py).

`bench/bench_retro.py` (retrospective rendering) is still run as a script."""
