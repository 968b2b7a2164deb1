"""Operator commands of `taskforge`: `jobs list|show|cancel|replay`, `dlq list|replay|follow`
and `migrate up|down|version|force`.

They call the use cases straight through the composition root, configured by the same
environment as the other processes, so they work without the API running.
"""
