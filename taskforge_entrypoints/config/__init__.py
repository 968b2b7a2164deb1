"""What a process is configured with: the environment, read and checked once at start."""
