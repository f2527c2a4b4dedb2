"""A declarative REST resource over one stored kind, and its generic handlers.

A `Resource` names its collection segment, model class, media type, field mapping,
links and event-log names; `crud` registers list/create/get/update/delete routes for
it, and the `children`/`create_child` helpers serve the nested collections.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from midonet.cluster.rest_api import media
from midonet.cluster.rest_api.context import Context, Response, parse_id
from midonet.cluster.rest_api.errors import from_exception, not_found
from midonet.cluster.rest_api.fields import Mapping, merge
from midonet.cluster.rest_api.routing import Routes
from midonet.errors import MidonetError, NotFound
from midonet.model.base import ModelObject
from midonet.store.base import Reader, Transaction

LinkFn = Callable[[Any, Context], dict[str, Any]]
OwnerFn = Callable[[Any, Reader], "str | None"]
PrepareFn = Callable[[dict[str, Any], Context, "ModelObject | None"], dict[str, Any]]
WriteFn = Callable[[Transaction, ModelObject, dict[str, Any]], None]


def _no_links(obj: Any, ctx: Context) -> dict[str, Any]:
    return {}


def tenant_field(obj: Any, reader: Reader) -> str | None:
    tenant: str | None = getattr(obj, "tenant_id", None)
    return tenant


@dataclass(eq=False)
class Resource:
    path: str
    cls: type[ModelObject]
    media: str
    mapping: Mapping
    links: LinkFn = _no_links
    owner: OwnerFn | None = None
    """The tenant owning an object (None: not tenant-scoped, admins write it)."""
    tenant_scoped: bool = False
    """Whether `owner` is the object's own tenant_id (and `?tenant_id=` filters)."""
    prepare: PrepareFn | None = None
    """Adjust the model dict of a create (old is None) or update before it is built."""
    event: tuple[str, str] | None = None
    """(device, id name) for the event log, e.g. ("Router", "routerId")."""
    event_ops: frozenset[str] = frozenset({"CREATE", "UPDATE", "DELETE"})
    write_create: WriteFn | None = None
    """Create inside the transaction instead of a plain `tx.create`."""

    @property
    def item_type(self) -> str:
        return media.item(self.media)

    @property
    def collection_type(self) -> str:
        return media.collection(self.media)

    # --- representation ---------------------------------------------------------------

    def render(self, obj: ModelObject, ctx: Context) -> dict[str, Any]:
        data = self.mapping.to_api(obj.to_dict())
        data["uri"] = ctx.uri(self.path, obj.id)
        data.update(self.links(obj, ctx))
        return data

    def build(self, ctx: Context, body: dict[str, Any], base: dict[str, Any]) -> ModelObject:
        """The object `body` describes, laid over `base` (the stored object's dict for
        an update, the parent's fields for a create)."""
        old = None
        if "id" in base:
            try:
                old = self.cls.from_dict(base)
            except MidonetError:
                old = None
        data = merge(base, self.mapping.from_api(body))
        if old is not None:
            data["id"] = str(old.id)
        if self.prepare is not None:
            data = self.prepare(data, ctx, old)
        try:
            return self.cls.from_dict(data)
        except MidonetError as e:
            raise from_exception(e, self.mapping.api_name) from None

    # --- access -----------------------------------------------------------------------

    def tenant_of(self, obj: ModelObject, reader: Reader) -> str | None:
        return None if self.owner is None else self.owner(obj, reader)

    def check_read(self, ctx: Context, obj: ModelObject) -> None:
        if self.owner is not None and not ctx.identity.is_admin:
            ctx.check_tenant(self.tenant_of(obj, ctx.store))

    def check_write(self, ctx: Context, obj: ModelObject) -> None:
        if ctx.identity.is_admin:
            return
        if self.owner is None:
            ctx.require_admin()
        ctx.check_tenant(self.tenant_of(obj, ctx.store))

    def load(self, ctx: Context, text: str) -> tuple[Any, int]:
        object_id = parse_id(text, self.cls.KIND)
        try:
            obj, version = ctx.store.get(self.cls, object_id)
        except NotFound:
            raise not_found(f"{self.cls.KIND} {object_id} does not exist") from None
        except MidonetError as e:
            raise from_exception(e) from None
        self.check_read(ctx, obj)
        return obj, version

    def visible(self, ctx: Context, objs: Iterable[ModelObject]) -> list[ModelObject]:
        """Objects the caller may see, filtered by `?tenant_id=` when given."""
        wanted = ctx.request.param("tenant_id") if self.tenant_scoped else None
        out = []
        for obj in objs:
            tenant = self.tenant_of(obj, ctx.store)
            if wanted is not None and tenant != wanted:
                continue
            if (
                self.owner is not None
                and not ctx.identity.is_admin
                and (tenant != ctx.identity.tenant_id)
            ):
                continue
            out.append(obj)
        return out

    # --- responses --------------------------------------------------------------------

    def one(self, ctx: Context, obj: ModelObject) -> Response:
        return Response(200, self.render(obj, ctx), self.item_type)

    def many(self, ctx: Context, objs: Iterable[ModelObject]) -> Response:
        items = [self.render(o, ctx) for o in self.visible(ctx, objs)]
        return Response(200, items, self.collection_type)

    def log(self, ctx: Context, event: str, obj: ModelObject, with_data: bool = True) -> None:
        if self.event is None or event not in self.event_ops:
            return
        device, id_name = self.event
        data = self.render(obj, ctx) if with_data else None
        ctx.events.topology(device, event, id_name, obj.id, data)

    # --- generic operations -----------------------------------------------------------

    def create(self, ctx: Context, base: dict[str, Any] | None = None) -> Response:
        body = ctx.body()
        base = dict(base or {})
        if self.tenant_scoped and not ctx.identity.is_admin:
            wanted = body.get("tenantId", body.get("tenant_id"))
            if wanted is None:
                base["tenant_id"] = ctx.identity.tenant_id
        obj = self.build(ctx, body, base)
        self.check_write(ctx, obj)

        def work(tx: Transaction) -> None:
            if self.write_create is not None:
                self.write_create(tx, obj, body)
            else:
                tx.create(obj)

        ctx.transact(work, self.mapping)
        stored = ctx.store.get(self.cls, obj.id).obj
        self.log(ctx, "CREATE", stored)
        uri = ctx.uri(self.path, obj.id)
        return Response(201, self.render(stored, ctx), self.item_type, {"Location": uri})

    def update(self, ctx: Context, id: str) -> Response:
        obj, version = self.load(ctx, id)
        self.check_write(ctx, obj)
        new = self.build(ctx, ctx.body(), obj.to_dict())
        self.check_write(ctx, new)
        ctx.transact(lambda tx: tx.update(new, expected_version=version), self.mapping)
        self.log(ctx, "UPDATE", ctx.store.get(self.cls, new.id).obj)
        return Response(204)

    def delete(self, ctx: Context, id: str) -> Response:
        obj, version = self.load(ctx, id)
        self.check_write(ctx, obj)
        ctx.transact(lambda tx: tx.delete(self.cls, obj.id, expected_version=version), self.mapping)
        self.log(ctx, "DELETE", obj, with_data=False)
        return Response(204)

    def children(self, ctx: Context, ids: Iterable[uuid.UUID]) -> Response:
        objs = []
        for object_id in ids:
            try:
                objs.append(ctx.store.get(self.cls, object_id).obj)
            except NotFound:
                continue  # deleted between the parent's read and ours
        return self.many(ctx, objs)


def crud(
    routes: Routes,
    res: Resource,
    *,
    listing: bool = True,
    create: bool = True,
    update: bool = True,
    delete: bool = True,
) -> None:
    """Register the top-level collection and item routes of `res`."""
    top, item = f"/{res.path}", f"/{res.path}/{{id}}"
    if listing:
        routes.add(
            "GET",
            top,
            lambda ctx: res.many(ctx, ctx.store.list(res.cls)),
            summary=f"List {res.path}",
        )
    if create:
        routes.add(
            "POST",
            top,
            res.create,
            media=res.item_type,
            resource=res,
            summary=f"Create a {res.cls.KIND}",
        )
    routes.add(
        "GET",
        item,
        lambda ctx, id: res.one(ctx, res.load(ctx, id)[0]),
        summary=f"Get a {res.cls.KIND}",
    )
    if update:
        routes.add(
            "PUT",
            item,
            res.update,
            media=res.item_type,
            resource=res,
            summary=f"Update a {res.cls.KIND}",
        )
    if delete:
        routes.add("DELETE", item, res.delete, summary=f"Delete a {res.cls.KIND}")


def nested(
    routes: Routes,
    parent: Resource,
    child: Resource,
    segment: str,
    ids: Callable[[Any, Context], Iterable[uuid.UUID]],
    *,
    parent_field: str | None = None,
) -> None:
    """GET /parent/{id}/segment lists `ids(parent)`; with `parent_field`, POST creates
    a child whose `parent_field` is the parent's id."""
    pattern = f"/{parent.path}/{{id}}/{segment}"

    def listing(ctx: Context, id: str) -> Response:
        obj, _ = parent.load(ctx, id)
        return child.children(ctx, ids(obj, ctx))

    routes.add("GET", pattern, listing, summary=f"List the {segment} of a {parent.cls.KIND}")
    if parent_field is None:
        return
    field_name = parent_field

    def creating(ctx: Context, id: str) -> Response:
        obj, _ = parent.load(ctx, id)
        parent.check_write(ctx, obj)
        return child.create(ctx, {field_name: str(obj.id)})

    routes.add(
        "POST",
        pattern,
        creating,
        media=child.item_type,
        resource=child,
        summary=f"Create a {child.cls.KIND} in a {parent.cls.KIND}",
    )
