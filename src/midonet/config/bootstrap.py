"""Local bootstrap configuration: what a node reads before it can reach the NSDB.

MidoNet reads INI files — `~/.midonetrc`, `/etc/midonet/midonet.conf`, the legacy
`/etc/midolman/midolman.conf`, most important first — and the environment
(`MIDO_ZOOKEEPER_HOSTS`, `MIDO_ZOOKEEPER_ROOT_KEY`), which beats them all:

    [zookeeper]
    zookeeper_hosts = 127.0.0.1:2181
    root_key = /midonet

Sections `zookeeper` and `cassandra` map to those key sections; any other section
is an agent section of a legacy `midolman.conf` (`[midolman]` → `agent.midolman`).
Keys that legacy files spelled differently, or wrote as bare numbers in a unit of
their own, are translated.
"""

from __future__ import annotations

import configparser
import logging
import os
from collections.abc import Iterable, Mapping
from pathlib import Path

from midonet.config.layer import Config, ConfigLayer
from midonet.config.schema import SCHEMA, Schema
from midonet.errors import ConfigError

log = logging.getLogger(__name__)

DEFAULT_PATHS = ("~/.midonetrc", "/etc/midonet/midonet.conf", "/etc/midolman/midolman.conf")
ENVIRONMENT_LAYER = "environment"
ENVIRONMENT_KEYS = {
    "MIDO_ZOOKEEPER_HOSTS": "zookeeper.zookeeper_hosts",
    "MIDO_ZOOKEEPER_ROOT_KEY": "zookeeper.root_key",
}
_TOP_SECTIONS = frozenset({"zookeeper", "cassandra"})
# Legacy key → (key, unit of a bare number).
_LEGACY: dict[str, tuple[str, str]] = {
    "zookeeper.session_timeout": ("zookeeper.session_timeout", "ms"),
    "zookeeper.session_gracetime": ("zookeeper.session_gracetime", "ms"),
    "agent.bridge.mac_port_mapping_expire_millis": ("agent.bridge.mac_port_mapping_expire", "ms"),
    "agent.arptable.arp_retry_interval_seconds": ("agent.arptable.arp_retry_interval", "s"),
    "agent.arptable.arp_timeout_seconds": ("agent.arptable.arp_timeout", "s"),
    "agent.arptable.arp_stale_seconds": ("agent.arptable.arp_stale", "s"),
    "agent.arptable.arp_expiration_seconds": ("agent.arptable.arp_expiration", "s"),
    "agent.midolman.bgp_keepalive": ("agent.midolman.bgp_keepalive", "s"),
    "agent.midolman.bgp_holdtime": ("agent.midolman.bgp_holdtime", "s"),
    "agent.midolman.bgp_connect_retry": ("agent.midolman.bgp_connect_retry", "s"),
}
_DEFAULT_ROOT_KEY = "/midonet"
_RETIRED_ROOT_KEY = "/midonet/v1"  # MidoNet 1.x data; 5.x falls back to the default


def parse_ini(text: str, *, source: str = "bootstrap", schema: Schema = SCHEMA) -> ConfigLayer:
    """One bootstrap file's text as a layer named `source`."""
    parser = configparser.ConfigParser(
        interpolation=None, inline_comment_prefixes=("#", ";"), default_section="\0"
    )
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # keep key case
    try:
        parser.read_string(text, source=source)
    except configparser.Error as exc:
        raise ConfigError(f"{source}: not a valid INI file: {exc}") from None
    values: dict[str, str] = {}
    for section in parser.sections():
        for option, raw in parser.items(section):
            name = section if section in _TOP_SECTIONS else f"agent.{section}"
            key, value = _translate(f"{name}.{option}", _unquote(raw))
            values[key] = value
    return ConfigLayer(source, _with_root_key(values, source), schema=schema)


def read_ini(path: str | os.PathLike[str], *, schema: Schema = SCHEMA) -> ConfigLayer:
    """The bootstrap file at `path` as a layer named `file:<path>`."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}") from None
    return parse_ini(text, source=f"file:{path}", schema=schema)


def env_layer(env: Mapping[str, str], *, schema: Schema = SCHEMA) -> ConfigLayer:
    """`MIDO_ZOOKEEPER_HOSTS` and `MIDO_ZOOKEEPER_ROOT_KEY` as a layer."""
    values = {key: env[var] for var, key in ENVIRONMENT_KEYS.items() if env.get(var)}
    return ConfigLayer(ENVIRONMENT_LAYER, _with_root_key(values, "environment"), schema=schema)


def local_layers(
    paths: Iterable[str | os.PathLike[str]] = DEFAULT_PATHS,
    env: Mapping[str, str] | None = None,
    *,
    schema: Schema = SCHEMA,
) -> list[ConfigLayer]:
    """The local layers, lowest precedence first: the files that exist, the last of
    `paths` lowest (`paths` lists the most important first), then the environment."""
    layers = [
        read_ini(path, schema=schema)
        for path in reversed([Path(p).expanduser() for p in paths])
        if path.is_file()
    ]
    environment = env_layer(os.environ if env is None else env, schema=schema)
    return [*layers, environment] if environment else layers


def bootstrap_config(
    paths: Iterable[str | os.PathLike[str]] = DEFAULT_PATHS,
    env: Mapping[str, str] | None = None,
    *,
    schema: Schema = SCHEMA,
) -> Config:
    """Schema defaults plus the local layers: enough to connect to ZooKeeper."""
    return Config(local_layers(paths, env, schema=schema), schema=schema)


def _unquote(raw: str) -> str:
    raw = raw.strip()
    if len(raw) >= 2 and raw[0] == raw[-1] and raw[0] in "\"'":
        return raw[1:-1]
    return raw


def _translate(key: str, value: str) -> tuple[str, str]:
    legacy = _LEGACY.get(key)
    if legacy is None:
        return key, value
    new_key, unit = legacy
    if value.strip().isdigit():
        value = value.strip() + unit
    if new_key != key:
        log.info("translated legacy configuration %s = %s to %s", key, value, new_key)
    return new_key, value


def _with_root_key(values: dict[str, str], source: str) -> dict[str, str]:
    if values.get("zookeeper.root_key") == _RETIRED_ROOT_KEY:
        log.warning(
            "%s: zookeeper root key %s is from MidoNet 1.x and no longer read; using %s",
            source,
            _RETIRED_ROOT_KEY,
            _DEFAULT_ROOT_KEY,
        )
        values["zookeeper.root_key"] = _DEFAULT_ROOT_KEY
    return values
