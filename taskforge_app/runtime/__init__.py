"""The worker's and the scheduler's runtime: pure asyncio over the ports, so every part of
it runs in unit tests with fakes and a timer the test moves."""
