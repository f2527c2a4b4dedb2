"""NSDB client keys shared by agents and cluster nodes: `zookeeper.*`,
`cassandra.*` and the State Proxy client `state_proxy.*`.

Key names, types and defaults are those of MidoNet 5.4's NSDB schema and bootstrap
defaults; where the Operations Guide states a default it is the guide's.
"""

from __future__ import annotations

from midonet.config.valuetype import (
    BOOL,
    COUNT,
    DURATION,
    POSITIVE,
    STRING,
    KeySpec,
    key,
)

KEYS: tuple[KeySpec, ...] = (
    # -- ZooKeeper --
    key("zookeeper.zookeeper_hosts", STRING, "127.0.0.1:2181",
        "Comma-separated host:port list of the ZooKeeper servers."),
    key("zookeeper.session_timeout", DURATION, "30s",
        "ZooKeeper session timeout: how long a session survives the client's"
        " disconnection. A bare number is in milliseconds. It is also the fail-over"
        " latency of leader-elected cluster services."),
    key("zookeeper.failfast_session_timeout", DURATION, "5s",
        "Shorter session timeout of the fail-fast connection, used to detect"
        " agent failures quickly."),
    key("zookeeper.session_gracetime", DURATION, "30s",
        "An agent disconnected from ZooKeeper longer than this gives up and"
        " restarts with a fresh session; until then it keeps forwarding with the"
        " topology it has. Defaults to the session timeout. A bare number is in"
        " milliseconds.",
        default_from="zookeeper.session_timeout"),
    key("zookeeper.max_retries", COUNT, 10,
        "Reconnection attempts after the connection to ZooKeeper is interrupted."),
    key("zookeeper.base_retry", DURATION, "1s",
        "Interval between reconnection attempts."),
    key("zookeeper.root_key", STRING, "/midonet",
        "ZooKeeper path under which MidoNet keeps its data."),
    key("zookeeper.buffer_size", POSITIVE, 4194304,
        "Bytes of the client read buffer; must hold the largest read of one operation."),
    key("zookeeper.lock_timeout", DURATION, "30s",
        "Timeout for the exclusive NSDB write lock (kept for MidoNet 5.2.1"
        " compatibility)."),
    key("zookeeper.transaction_attempts", POSITIVE, 3,
        "Attempts to complete an NSDB transaction that fails on concurrent access."),
    key("zookeeper.bootstrap_timeout", DURATION, "30s",
        "Timeout for the first connection to ZooKeeper, which loads the configuration."),
    # -- Cassandra --
    key("cassandra.servers", STRING, "",
        "Comma-separated Cassandra servers (a 3-node cluster is recommended)."),
    key("cassandra.replication_factor", POSITIVE, 1,
        "Replicas of each item; flow state lives two minutes, so one is enough."),
    key("cassandra.cluster", STRING, "midonet",
        "Name of the keyspace MidoNet creates in Cassandra."),
    # -- State Proxy client --
    key("state_proxy.enabled", BOOL, True,
        "Whether this NSDB client reads state tables through the State Proxy."),
    key("state_proxy.network_threads", POSITIVE, 2,
        "Threads handling network events of the State Proxy client."),
    key("state_proxy.soft_reconnect_delay", DURATION, "1s",
        "Interval between reconnect attempts in the soft phase, while"
        " subscriptions are kept."),
    key("state_proxy.max_soft_reconnect_attempts", COUNT, 50,
        "Reconnect attempts before the service is deemed unavailable and the"
        " client falls back to ZooKeeper."),
    key("state_proxy.hard_reconnect_delay", DURATION, "30s",
        "Delay between reconnection attempts while the service is unavailable."),
    key("state_proxy.connect_timeout", DURATION, "5s",
        "A connection attempt that takes longer has failed."),
    key("state_proxy.read_timeout", DURATION, "10s",
        "A server silent for longer is unavailable; it is pinged every third of it."),
)  # fmt: skip
