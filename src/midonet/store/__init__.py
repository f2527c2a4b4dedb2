"""The NSDB: the `Store` protocol (`base`), its embedded SQLite backend (`embedded`),
its ZooKeeper backend (`zookeeper`), state tables (`state`) and configuration layers
(`config`)."""

from __future__ import annotations

from pathlib import Path

from midonet.store.base import Create, Delete, Op, Store, Transaction, Update, Versioned
from midonet.store.embedded import EmbeddedStore

__all__ = [
    "Create",
    "Delete",
    "EmbeddedStore",
    "Op",
    "Store",
    "Transaction",
    "Update",
    "Versioned",
    "open_store",
]


def open_store(url: str | Path) -> Store:
    """A store from a location: "memory:", "embedded:/path/to/file.db", a plain path,
    or "zk://HOST:PORT[,HOST:PORT]/ROOT" (ZooKeeper)."""
    text = str(url)
    if text.startswith("zk://"):
        from midonet.store.zookeeper import ZooKeeperStore  # noqa: PLC0415 - kazoo only when used

        return ZooKeeperStore.from_url(text)
    if text in ("memory:", ":memory:"):
        return EmbeddedStore(":memory:")
    if text.startswith("embedded:"):
        text = text.removeprefix("embedded:")
    if "://" in text:
        raise ValueError(f"no store backend for {text!r}")
    return EmbeddedStore(text)
