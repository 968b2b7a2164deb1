"""The scheduler: puts due retries back on the work stream."""
