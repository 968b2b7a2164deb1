"""Where each queue's messages live: the stream names, and the receipts that name them back."""

from dataclasses import dataclass, field
from functools import cache

from redis.crc import REDIS_CLUSTER_HASH_SLOTS, key_slot

NORMAL = "normal"


@cache
def partition_tags(partitions: int) -> tuple[str, ...]:
    """The hash tag of each partition: partition p's lies in the middle half of the p-th
    of `partitions` equal slot ranges. A cluster made by `redis-cli --cluster create`
    splits the slots evenly between its masters, so partitions as many as the masters
    (or a multiple) fall on each master equally; the plain `{p}` lands where crc16 puts
    it (partitions 0..5 in slots 13907, 9842, 5649, 1584, 14039, 9974), leaving masters
    idle. The middle half keeps a tag on its master when the split is a slot off ours.
    The search is deterministic, so every process finds the same tags."""
    if partitions == 1:
        return ("0",)
    width = REDIS_CLUSTER_HASH_SLOTS / partitions
    tags = []
    for partition in range(partitions):
        low, high = (partition + 0.25) * width, (partition + 0.75) * width
        tag, attempt = str(partition), 0
        while not low <= key_slot(tag.encode()) < high:
            attempt += 1
            tag = f"{partition}-{attempt}"
        tags.append(tag)
    return tuple(tags)


def queue_stream(normal_stream: str, queue: str) -> str:
    """The stream of `queue`: `normal_stream` itself for `normal`, else the same name
    with its last `:normal` replaced by `:<queue>` (`taskforge:queue:high`)."""
    if queue == NORMAL:
        return normal_stream
    return f"{normal_stream.removesuffix(f':{NORMAL}')}:{queue}"


@dataclass(frozen=True, slots=True)
class StreamLayout:
    """One stream per queue, named as SPEC.md says, unless the queues are partitioned or
    Redis is a cluster: then queue q's partition p is `<q's stream>:{t}`, t partition p's
    tag (partition_tags). The hash tag puts partition p of every queue in one slot, so
    one XREADGROUP reads a worker's queues of that partition together, while different
    partitions lie in different slot ranges and so spread over the shards evenly."""

    normal_stream: str
    partitions: int = 1
    cluster: bool = False
    _tags: tuple[str, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_tags", partition_tags(self.partitions))

    @property
    def partitioned(self) -> bool:
        return self.cluster or self.partitions > 1

    def stream(self, queue: str, partition: int = 0) -> str:
        name = queue_stream(self.normal_stream, queue)
        return f"{name}:{{{self._tags[partition]}}}" if self.partitioned else name

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
