"""Raised by adapters when their backing service cannot be reached, whatever the driver."""


class StoreUnavailable(Exception):
    """The system of record (PostgreSQL) did not answer."""


class ChannelUnavailable(Exception):
    """The delivery channel (Redis) did not answer."""
