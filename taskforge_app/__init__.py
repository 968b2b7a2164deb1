"""Use cases of Taskforge and the ports they need. Depends only on the domain."""
