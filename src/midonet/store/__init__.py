"""The NSDB: the `Store` protocol (`base`), its embedded SQLite backend (`embedded`),
state tables (`state`) and configuration layers (`config`)."""

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
    """A store from a location: "memory:", "embedded:/path/to/file.db" or a plain path."""
    text = str(url)
    if text in ("memory:", ":memory:"):
        return EmbeddedStore(":memory:")
    if text.startswith("embedded:"):
        text = text.removeprefix("embedded:")
    if "://" in text:
        raise ValueError(f"no store backend for {text!r}")
    return EmbeddedStore(text)
