"""The ways in: REST API, worker, scheduler, CLI, and the composition root that wires them."""
