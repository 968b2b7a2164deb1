"""What the REST API and the operator CLI both show: one JSON shape for a job, its
attempts and a replay's answer, and one cursor format, so either reads what the other gave out."""
