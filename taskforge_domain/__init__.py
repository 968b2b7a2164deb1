"""The heart of Taskforge: jobs, their state machine and the retry policy. No I/O."""
