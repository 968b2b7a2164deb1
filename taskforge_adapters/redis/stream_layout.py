"""Where each queue's messages live: the stream names, and the receipts that name them back."""

from dataclasses import dataclass

NORMAL = "normal"


def queue_stream(normal_stream: str, queue: str) -> str:
    """The stream of `queue`: `normal_stream` itself for `normal`, else the same name
    with its last `:normal` replaced by `:<queue>` (`taskforge:queue:high`)."""
    if queue == NORMAL:
        return normal_stream
    return f"{normal_stream.removesuffix(f':{NORMAL}')}:{queue}"


@dataclass(frozen=True, slots=True)
class StreamLayout:
    """One stream per queue, named as SPEC.md says, unless the queues are partitioned or
    Redis is a cluster: then queue q's partition p is `<q's stream>:{p}`. The hash tag
    `{p}` puts partition p of every queue in one slot, so one XREADGROUP reads a worker's
    queues of that partition together, while different partitions hash to different
    slots and so spread over the shards."""

    normal_stream: str
    partitions: int = 1
    cluster: bool = False

    @property
    def partitioned(self) -> bool:
        return self.cluster or self.partitions > 1

    def stream(self, queue: str, partition: int = 0) -> str:
        name = queue_stream(self.normal_stream, queue)
        return f"{name}:{{{partition}}}" if self.partitioned else name

    def streams_of(self, queue: str) -> list[str]:
        return [self.stream(queue, partition) for partition in range(self.partitions)]

    def receipt(self, queue: str, partition: int, message_id: str) -> str:
        """The opaque message id the application acks with: it names the queue and the
        partition too (a Redis entry id never holds a slash). Unpartitioned, `normal`'s
        receipt is the entry id itself."""
        if self.partitioned:
            return f"{queue}/{partition}/{message_id}"
        return message_id if queue == NORMAL else f"{queue}/{message_id}"

    def from_receipt(self, receipt: str) -> tuple[str, str]:
        """The stream and the entry id a receipt names."""
        parts = receipt.split("/")
        if len(parts) == 3:
            return self.stream(parts[0], int(parts[1])), parts[2]
        if len(parts) == 2:
            return self.stream(parts[0]), parts[1]
        return self.stream(NORMAL), receipt
