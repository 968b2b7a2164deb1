"""The worker: reads the work stream, runs handlers, records their outcomes."""
