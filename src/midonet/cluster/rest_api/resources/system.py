"""System state (SystemState-v2), tenants (Tenant-v2, from the auth provider) and the
login end-point (Token-v1)."""

from __future__ import annotations

import base64
import binascii
from typing import Any

from midonet.cluster.auth.base import AuthError, AuthUnavailable, Tenant
from midonet.cluster.rest_api import media
from midonet.cluster.rest_api.context import Context, Response
from midonet.cluster.rest_api.errors import ApiError, bad_request, from_exception, not_found
from midonet.cluster.rest_api.routing import Routes
from midonet.errors import MidonetError, NotFound
from midonet.model.system_state import SYSTEM_STATE_ID, Availability, SystemState
from midonet.store.base import Reader, Transaction

API_VERSION = "v5.0"
_STATE_VERSION = "5.0.0"


def system_state(reader: Reader) -> SystemState:
    try:
        return reader.get(SystemState, SYSTEM_STATE_ID).obj
    except NotFound:
        return SystemState()


def _render_state(ctx: Context, state: SystemState) -> dict[str, Any]:
    return {
        "state": "ACTIVE",
        "availability": state.availability.value,
        "version": _STATE_VERSION,
        "information": None,
        "uri": ctx.uri("system_state"),
    }


def _get_state(ctx: Context) -> Response:
    return Response(200, _render_state(ctx, system_state(ctx.store)), media.SYSTEM_STATE)


def _put_state(ctx: Context) -> Response:
    ctx.require_admin()
    body = ctx.body()
    value = body.get("availability")
    allowed = [a.value for a in Availability]
    if value not in allowed:
        raise bad_request(
            f"Validation error: availability: must be one of {', '.join(allowed)}",
            [("availability", f"must be one of {', '.join(allowed)}, got {value!r}")],
        )
    new = SystemState(availability=Availability(value))

    def work(tx: Transaction) -> None:
        if tx.exists(SystemState, SYSTEM_STATE_ID):
            tx.update(new)
        else:
            tx.create(new)

    ctx.transact(work)
    return Response(204)


# --- tenants --------------------------------------------------------------------------


def _render_tenant(ctx: Context, tenant: Tenant) -> dict[str, Any]:
    query = f"?tenant_id={tenant.id}"
    return {
        "id": tenant.id,
        "name": tenant.name,
        "description": tenant.description,
        "enabled": tenant.enabled,
        "uri": ctx.uri("tenants", tenant.id),
        "routers": ctx.uri("routers") + query,
        "bridges": ctx.uri("bridges") + query,
        "chains": ctx.uri("chains") + query,
        "portGroups": ctx.uri("port_groups") + query,
    }


def _auth_call(work: Any) -> Any:
    try:
        return work()
    except AuthUnavailable as e:
        raise ApiError(503, str(e)) from None
    except AuthError as e:
        raise ApiError(401, str(e)) from None


def _list_tenants(ctx: Context) -> Response:
    tenants = _auth_call(lambda: ctx.auth.tenants(ctx.identity.token))
    if not ctx.identity.is_admin:
        tenants = [t for t in tenants if t.id == ctx.identity.tenant_id]
    body = [_render_tenant(ctx, t) for t in tenants]
    return Response(200, body, media.collection("Tenant-v2"))


def _get_tenant(ctx: Context, id: str) -> Response:
    if not ctx.identity.is_admin and id != ctx.identity.tenant_id:
        raise ApiError(403, "Not authorized to access this tenant")
    try:
        tenant = _auth_call(lambda: ctx.auth.tenant(ctx.identity.token, id))
    except LookupError:
        raise not_found(f"Tenant {id} does not exist") from None
    return Response(200, _render_tenant(ctx, tenant), media.item("Tenant-v2"))


# --- login ----------------------------------------------------------------------------


def credentials(authorization: str | None) -> tuple[str, str]:
    """User and password of an HTTP Basic `Authorization` header."""
    if not authorization:
        raise ApiError(401, "Authorization header is not set.")
    scheme, _, encoded = authorization.partition(" ")
    if scheme.lower() != "basic":
        raise ApiError(401, "Authorization header does not contain Basic.")
    try:
        text = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise ApiError(401, "Authorization header is not valid") from None
    user, sep, password = text.partition(":")
    if not sep:
        raise ApiError(401, "Authorization header is not valid")
    return user, password


def login(ctx: Context) -> Response:
    user, password = credentials(ctx.request.header("authorization"))
    project = (ctx.request.header("x-auth-project") or "").strip() or None
    token = _auth_call(lambda: ctx.auth.authenticate(user, password, project))
    return Response(200, token.to_json(), media.TOKEN, {"Set-Cookie": token.cookie()})


def register(routes: Routes) -> None:
    routes.add("GET", "/system_state", _get_state, summary="Get the system state")
    routes.add(
        "PUT",
        "/system_state",
        _put_state,
        media=media.SYSTEM_STATE,
        summary="Set the system state (READONLY or READWRITE)",
    )
    routes.add("GET", "/tenants", _list_tenants, summary="List the tenants")
    routes.add("GET", "/tenants/{id}", _get_tenant, summary="Get a tenant")


def is_read_only(reader: Reader) -> bool:
    try:
        return system_state(reader).read_only
    except MidonetError as e:
        raise from_exception(e) from None
