"""Bootstrap: the local INI files and environment a node reads before the NSDB."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from midonet.config.bootstrap import (
    bootstrap_config,
    env_layer,
    local_layers,
    parse_ini,
    read_ini,
)
from midonet.config.duration import Duration
from midonet.config.layer import Config, ConfigLayer
from midonet.config.schema import InvalidValue, UnknownKey
from midonet.errors import ConfigError

# MidoNet's shipped /etc/midonet/midonet.conf (license header shortened), which
# ends without a newline.
MIDONET_CONF = """\
# Copyright 2015 Midokura SARL
#
# Licensed under the Apache License, Version 2.0 (the "License");

[zookeeper]
zookeeper_hosts = 127.0.0.1:2181"""

LEGACY_MIDOLMAN_CONF = """\
[zookeeper]
zookeeper_hosts = 10.0.0.1:2181,10.0.0.2:2181 ; two servers
session_timeout = 10000
session_gracetime = 20000
root_key = "/midonet"

[midolman]
bgp_keepalive = 20
bgp_holdtime = 60s

[bridge]
mac_port_mapping_expire_millis = 20000

[arptable]
arp_timeout_seconds = 30

[cassandra]
servers = 10.0.0.5
"""


def test_shipped_midonet_conf() -> None:
    lay = parse_ini(MIDONET_CONF, source="file:/etc/midonet/midonet.conf")
    assert lay.name == "file:/etc/midonet/midonet.conf"
    assert dict(lay) == {"zookeeper.zookeeper_hosts": "127.0.0.1:2181"}


def test_legacy_midolman_conf_is_translated() -> None:
    lay = parse_ini(LEGACY_MIDOLMAN_CONF)
    assert dict(lay) == {
        "zookeeper.zookeeper_hosts": "10.0.0.1:2181,10.0.0.2:2181",
        "zookeeper.session_timeout": Duration.of(10),
        "zookeeper.session_gracetime": Duration.of(20),
        "zookeeper.root_key": "/midonet",
        "agent.midolman.bgp_keepalive": Duration.of(20),
        "agent.midolman.bgp_holdtime": Duration.of(60),
        "agent.bridge.mac_port_mapping_expire": Duration.of(20),
        "agent.arptable.arp_timeout": Duration.of(30),
        "cassandra.servers": "10.0.0.5",
    }


def test_retired_root_key_falls_back_with_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        lay = parse_ini("[zookeeper]\nroot_key = /midonet/v1\n", source="f")
    assert lay["zookeeper.root_key"] == "/midonet"
    assert "/midonet/v1 is from MidoNet 1.x" in caplog.text


def test_keys_keep_their_case_and_are_checked() -> None:
    with pytest.raises(
        UnknownKey, match=r"^f: unknown configuration key zookeeper\.Zookeeper_Hosts"
    ):
        parse_ini("[zookeeper]\nZookeeper_Hosts = x\n", source="f")
    with pytest.raises(UnknownKey, match=r"did you mean zookeeper\.zookeeper_hosts"):
        parse_ini("[zookeeper]\nzookeeper_host = x\n", source="f")
    with pytest.raises(InvalidValue, match=r"^f: zookeeper\.session_timeout: expected duration"):
        parse_ini("[zookeeper]\nsession_timeout = soon\n", source="f")


@pytest.mark.parametrize(
    "text",
    ["zookeeper_hosts = x\n", "[zookeeper]\na = 1\na = 2\n", "[zookeeper\n"],
)
def test_malformed_ini(text: str) -> None:
    with pytest.raises(ConfigError, match=r"^f: not a valid INI file: "):
        parse_ini(text, source="f")


def test_environment() -> None:
    env = {"MIDO_ZOOKEEPER_HOSTS": "zk:2181", "MIDO_ZOOKEEPER_ROOT_KEY": "/test", "HOME": "/root"}
    lay = env_layer(env)
    assert lay.name == "environment"
    assert dict(lay) == {"zookeeper.zookeeper_hosts": "zk:2181", "zookeeper.root_key": "/test"}
    assert dict(env_layer({"MIDO_ZOOKEEPER_HOSTS": ""})) == {}


def test_read_ini(tmp_path: Path) -> None:
    path = tmp_path / "midonet.conf"
    path.write_text(MIDONET_CONF)
    assert read_ini(path) == ConfigLayer(
        f"file:{path}", {"zookeeper.zookeeper_hosts": "127.0.0.1:2181"}
    )
    with pytest.raises(ConfigError, match="cannot read"):
        read_ini(tmp_path / "missing.conf")


def test_local_layers_precedence(tmp_path: Path) -> None:
    rc = tmp_path / ".midonetrc"
    etc = tmp_path / "midonet.conf"
    legacy = tmp_path / "midolman.conf"
    rc.write_text("[zookeeper]\nroot_key = /rc\n")
    etc.write_text("[zookeeper]\nroot_key = /etc\nzookeeper_hosts = etc:2181\n")
    legacy.write_text("[zookeeper]\nzookeeper_hosts = legacy:2181\nsession_timeout = 5000\n")
    paths = [rc, etc, legacy, tmp_path / "absent.conf"]

    layers = local_layers(paths, env={})
    assert [lay.name for lay in layers] == [f"file:{legacy}", f"file:{etc}", f"file:{rc}"]
    cfg = Config(layers)
    assert cfg.lookup("zookeeper.root_key").origin == f"file:{rc}"
    assert cfg.get("zookeeper.root_key") == "/rc"
    assert cfg.lookup("zookeeper.zookeeper_hosts").origin == f"file:{etc}"
    assert cfg.get("zookeeper.session_timeout") == Duration.of(5)

    cfg = bootstrap_config(paths, env={"MIDO_ZOOKEEPER_HOSTS": "env:2181"})
    assert cfg.lookup("zookeeper.zookeeper_hosts").origin == "environment"
    assert cfg.get("zookeeper.zookeeper_hosts") == "env:2181"


def test_bootstrap_without_files_is_the_schema_default(tmp_path: Path) -> None:
    cfg = bootstrap_config([tmp_path / "none"], env={})
    assert cfg.layers == ()
    assert cfg.get("zookeeper.zookeeper_hosts") == "127.0.0.1:2181"
    assert cfg.get("zookeeper.root_key") == "/midonet"
    assert cfg.get("zookeeper.bootstrap_timeout") == Duration.of(30)


def test_local_files_beat_the_host_layer(tmp_path: Path) -> None:
    conf = tmp_path / "midolman.conf"
    conf.write_text("[midolman]\nbgp_keepalive = 1\n")
    host = ConfigLayer.from_hocon("host:h", "agent.midolman.bgp_keepalive = 30s")
    cfg = Config.for_node(host=host, local=local_layers([conf], env={}))
    assert cfg.lookup("agent.midolman.bgp_keepalive").value == Duration.of(1)
    assert cfg.origin("agent.midolman.bgp_keepalive") == f"file:{conf}"
