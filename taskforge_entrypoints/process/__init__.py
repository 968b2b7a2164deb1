"""What a running process needs whatever it serves: signals, its event loop, waiting out
outages, its logs, a metrics endpoint, and `taskforge run`'s three processes side by side."""
