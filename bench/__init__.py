"""`make bench`: the real stack on this machine, measured, written to BENCHMARKS.md.

Not installed with Taskforge; it starts its stacks with the tests' support code."""
