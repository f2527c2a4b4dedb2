"""The embedded backend's own behaviour (the shared contract is in tests/contract)."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from store_models import Box, Item, Label, open_test_store

from midonet.errors import ConcurrentModification, NotFound, ReferenceConflict, StoreUnavailable
from midonet.model.base import ModelObject
from midonet.store import open_store
from midonet.store.base import Create, Delete, Update
from midonet.store.embedded import EmbeddedStore
from midonet.store.watch import wait_until


def test_versions_grow_and_survive_reopen(tmp_path: Path) -> None:
    path = tmp_path / "nsdb.db"
    box = Box(name="a")
    with open_test_store(path) as store:
        v1 = store.create(box)
        v2 = store.update(box.replace(name="b"), expected_version=v1)
        assert v2 > v1
    with open_test_store(path) as store:
        assert store.get(Box, box.id) == (box.replace(name="b"), v2)
        store.delete(Box, box.id)
        # Re-created objects continue above every version they ever had.
        assert store.create(box) > v2


def test_transaction_reads_its_own_writes_and_rolls_back_on_error(mem: EmbeddedStore) -> None:
    box = Box()
    with pytest.raises(RuntimeError), mem.transaction() as tx:
        tx.create(box)
        assert tx.exists(Box, box.id)
        assert tx.get(Box, box.id).version == 0  # not stored yet
        assert [b.id for b in tx.list(Box)] == [box.id]
        raise RuntimeError("abort")
    assert not mem.exists(Box, box.id)


def test_store_calls_inside_a_transaction_are_refused(mem: EmbeddedStore) -> None:
    with pytest.raises(RuntimeError, match="already open"), mem.transaction():
        mem.create(Box())


def test_a_transaction_cannot_be_used_after_its_block(mem: EmbeddedStore) -> None:
    with mem.transaction() as tx:
        pass
    with pytest.raises(RuntimeError, match="ended"):
        tx.create(Box())


def test_commit_reports_every_write_including_consequences(mem: EmbeddedStore) -> None:
    box, item = Box(), Item()
    mem.create(box)
    done = mem.commit([Update(box.replace(name="n")), Create(item.replace(box_id=box.id))])
    assert set(done) == {("Item", item.id), ("Box", box.id)}
    assert mem.get(Box, box.id).obj == box.replace(name="n", item_ids=(item.id,))
    done = mem.commit([Delete(Box, box.id)])
    assert done == {("Box", box.id): None, ("Item", item.id): None}


def test_list_by_ids_and_where(mem: EmbeddedStore) -> None:
    box = Box()
    mem.create(box)
    items = [Item(name=f"i{n}", box_id=box.id if n % 2 else None) for n in range(6)]
    mem.commit([Create(i) for i in items])
    in_box = mem.list(Item, where={"box_id": box.id})
    assert sorted(i.name for i in in_box) == ["i1", "i3", "i5"]
    by_ids = mem.list(Item, ids=mem.get(Box, box.id).obj.item_ids)
    assert [i.name for i in by_ids] == ["i1", "i3", "i5"]  # in the order asked
    assert sorted(i.id for i in in_box) == [i.id for i in in_box]  # by id
    assert mem.list(Box, where={"item_ids": items[1].id}) == [mem.get(Box, box.id).obj]
    with pytest.raises(NotFound):
        mem.list(Item, ids=[uuid.uuid4()])
    with pytest.raises(ValueError, match="no field colour"):
        mem.list(Item, where={"colour": "red"})


def test_unknown_kind_is_refused(mem: EmbeddedStore) -> None:
    class Stranger(ModelObject):
        KIND = "Stranger"

    with pytest.raises(TypeError, match="not a kind of this store"):
        mem.exists(Stranger, uuid.uuid4())


def test_watch_resynchronises_after_the_log_was_pruned(tmp_path: Path) -> None:
    path = tmp_path / "nsdb.db"
    # The watcher's feed only polls when told to, so the log can be pruned under it.
    lazy = open_test_store(path, poll_interval=3600, max_poll_interval=3600)
    with lazy as watcher, open_test_store(path) as writer:
        keep, gone = Label(text="keep"), Label(text="gone")
        writer.commit([Create(keep), Create(gone)])
        w = watcher.watch(Label)
        w.wait_until(lambda v: len(v) == 2)
        writer.commit([Update(keep.replace(text="kept")), Delete(Label, gone.id)])
        writer.prune_changelog(keep=0)
        watcher._feed.poll()
        assert w.wait_until(lambda v: len(v) == 1) == {keep.id: keep.replace(text="kept")}


def test_an_update_from_a_stale_read_rewrites_bindings(mem: EmbeddedStore) -> None:
    """ZOOM semantics: an update states the whole object, back-references included.
    Writers must update from a fresh read (or name the version they read)."""
    box, item = Box(), Item()
    mem.create(box)
    mem.create(item.replace(box_id=box.id))
    mem.update(box.replace(name="stale"))
    assert mem.get(Item, item.id).obj.box_id is None


def test_the_change_log_is_bounded(tmp_path: Path) -> None:
    with open_test_store(tmp_path / "nsdb.db", changelog_keep=10) as store:
        box = Box()
        store.create(box)
        for i in range(100):
            store.update(box.replace(name=str(i)))

        def log_size() -> int:
            row = store._db.query_one("SELECT count(*) FROM changes", ())
            assert row is not None
            return int(row[0])

        wait_until(lambda: log_size() <= 10, timeout=10)
        with store.watch(Box) as w:
            assert w.wait_until(lambda v: box.id in v)[box.id].name == "99"


def test_reference_conflict_leaves_nothing_behind(mem: EmbeddedStore) -> None:
    box = Box()
    with pytest.raises(ReferenceConflict):
        mem.commit([Create(box), Create(Item(box_id=uuid.uuid4()))])
    assert mem.list(Box) == []


def test_stale_expected_version_in_a_transaction(mem: EmbeddedStore) -> None:
    box = Box()
    v = mem.create(box)
    mem.update(box.replace(name="other"))
    with pytest.raises(ConcurrentModification), mem.transaction() as tx:
        tx.update(box.replace(name="mine"), expected_version=v)
    assert mem.get(Box, box.id).obj.name == "other"


def test_closing_the_store_ends_its_watches() -> None:
    store = open_test_store()
    w = store.watch(Box)
    store.create(Box())
    store.close()
    assert len(list(w)) == 1
    assert w.closed


def test_a_file_that_is_not_a_store_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "junk.db"
    path.write_bytes(b"not a database at all" * 100)
    with pytest.raises(StoreUnavailable, match=r"not a (usable store|database)"):
        open_test_store(path)


def test_open_store_urls(tmp_path: Path) -> None:
    store = open_store("memory:")
    assert isinstance(store, EmbeddedStore)
    store.close()
    store = open_store(f"embedded:{tmp_path / 'x.db'}")
    assert isinstance(store, EmbeddedStore)
    store.close()
    with pytest.raises(ValueError, match="no store backend"):
        open_store("etcd://localhost:2379")  # zk:// is the ZooKeeper backend
