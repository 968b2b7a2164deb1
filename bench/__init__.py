"""`taskforge bench`: the real stack on this machine, measured, written to BENCHMARKS.md."""
