"""REDIS_CLUSTER and QUEUE_PARTITIONS: how they are read, the stream names they lead to,
and the cluster client they build (TLS included), without a server."""

import pytest
from redis.asyncio.connection import SSLConnection
from redis.crc import key_slot

from taskforge_adapters.redis.redis_client import create_cluster_client, create_redis_client
from taskforge_adapters.redis.redis_tls import RedisTlsOptions
from taskforge_adapters.redis.stream_layout import StreamLayout, partition_tags
from taskforge_entrypoints.config.settings import ConfigError, load_settings

SEEDS = "10.0.0.1:7000,10.0.0.2:7001, 10.0.0.3:7002"


def test_cluster_mode_is_off_with_one_partition_unless_set() -> None:
    settings = load_settings({})

    assert (settings.redis_cluster, settings.queue_partitions) == (False, 1)


def test_cluster_mode_takes_a_list_of_seed_nodes() -> None:
    settings = load_settings(
        {"REDIS_CLUSTER": "true", "REDIS_ADDR": SEEDS, "QUEUE_PARTITIONS": "4"}
    )

    assert (settings.redis_cluster, settings.redis_addr, settings.queue_partitions) == (
        True,
        SEEDS,
        4,
    )


@pytest.mark.parametrize(
    ("environ", "named"),
    [
        ({"REDIS_ADDR": "a:1,b:2"}, "REDIS_CLUSTER=true"),
        ({"REDIS_CLUSTER": "true", "REDIS_ADDR": "a:1,b"}, "REDIS_ADDR='b'"),
        ({"REDIS_CLUSTER": "true", "REDIS_ADDR": "a:1,b:99999"}, "REDIS_ADDR='b:99999'"),
        ({"REDIS_CLUSTER": "true", "REDIS_ADDR": "a:1", "REDIS_DB": "2"}, "database 0 only"),
        ({"REDIS_CLUSTER": "maybe"}, "REDIS_CLUSTER='maybe'"),
        ({"QUEUE_PARTITIONS": "0"}, "QUEUE_PARTITIONS='0'"),
        ({"QUEUE_PARTITIONS": "65"}, "at most 64"),
        ({"QUEUE_PARTITIONS": "four"}, "QUEUE_PARTITIONS='four'"),
    ],
)
def test_a_bad_cluster_setting_stops_naming_what_is_wrong(
    environ: dict[str, str], named: str
) -> None:
    with pytest.raises(ConfigError, match=named.replace("(", r"\(")) as error:
        load_settings(environ)

    assert "\n" not in str(error.value)


def test_one_partition_without_a_cluster_keeps_the_spec_stream_names_and_receipts() -> None:
    layout = StreamLayout("taskforge:queue:normal")

    assert [layout.stream(q) for q in ("normal", "high")] == [
        "taskforge:queue:normal",
        "taskforge:queue:high",
    ]
    assert layout.streams_of("low") == ["taskforge:queue:low"]
    assert layout.receipt("normal", 0, "1-0") == "1-0"
    assert layout.receipt("high", 0, "1-0") == "high/1-0"
    assert layout.from_receipt("1-0") == ("taskforge:queue:normal", "1-0")
    assert layout.from_receipt("high/1-0") == ("taskforge:queue:high", "1-0")


@pytest.mark.parametrize(("partitions", "cluster"), [(4, False), (4, True), (1, True)])
def test_partitioned_streams_carry_the_partition_as_hash_tag(
    partitions: int, cluster: bool
) -> None:
    layout = StreamLayout("taskforge:queue:normal", partitions, cluster)

    tags = partition_tags(partitions)
    assert layout.streams_of("high") == [f"taskforge:queue:high:{{{tag}}}" for tag in tags]
    last = partitions - 1
    receipt = layout.receipt("high", last, "5-1")
    assert receipt == f"high/{last}/5-1"
    assert layout.from_receipt(receipt) == (f"taskforge:queue:high:{{{tags[last]}}}", "5-1")


@pytest.mark.parametrize("partitions", [2, 3, 4, 6, 8, 16])
def test_partition_p_lies_in_the_middle_of_the_p_th_of_equal_slot_ranges(
    partitions: int,
) -> None:
    width = 16384 / partitions
    layout = StreamLayout("taskforge:queue:normal", partitions, cluster=True)

    slots = [key_slot(stream.encode()) for stream in layout.streams_of("normal")]

    for partition, slot in enumerate(slots):
        assert (partition + 0.25) * width <= slot < (partition + 0.75) * width


def test_the_cluster_client_knows_every_seed_and_speaks_tls_when_asked() -> None:
    tls = RedisTlsOptions(ca_file="/etc/ssl/ca.pem", check_hostname=False)
    client = create_cluster_client(SEEDS, "secret", read_timeout=7, tls=tls)

    seeds = {(node.host, node.port) for node in client.nodes_manager.startup_nodes.values()}
    assert seeds == {("10.0.0.1", 7000), ("10.0.0.2", 7001), ("10.0.0.3", 7002)}
    kwargs = client.nodes_manager.connection_kwargs
    assert kwargs["connection_class"] is SSLConnection
    assert (kwargs["ssl_ca_certs"], kwargs["ssl_check_hostname"]) == ("/etc/ssl/ca.pem", False)
    assert (kwargs["password"], kwargs["socket_timeout"]) == ("secret", 7)


def test_cluster_mode_off_builds_the_standalone_client() -> None:
    client = create_redis_client("127.0.0.1:6379", "", 0, read_timeout=3)

    assert type(client).__name__ == "Redis"
