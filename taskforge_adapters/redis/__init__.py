"""Redis Streams: the delivery channel."""
