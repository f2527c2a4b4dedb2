"""A request as the handlers see it, the response they return, and the per-request
context (store, identity, URIs, event log)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from midonet.cluster.auth.base import AuthService, UserIdentity
from midonet.cluster.events import EventLog
from midonet.cluster.rest_api import media
from midonet.cluster.rest_api.errors import (
    ApiError,
    bad_request,
    forbidden,
    from_exception,
    not_found,
)
from midonet.errors import MidonetError
from midonet.store.base import Store, Transaction

if TYPE_CHECKING:
    from midonet.cluster.rest_api.fields import Mapping as FieldMapping

R = TypeVar("R")


@dataclass
class Request:
    method: str
    path: str
    """Below the API root, starting with "/" ("/" for the root itself)."""
    query: Mapping[str, list[str]]
    headers: Mapping[str, str]
    """Header names in lower case."""
    body: bytes = b""

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    def param(self, name: str) -> str | None:
        values = self.query.get(name)
        return values[0] if values else None


@dataclass
class Response:
    status: int
    body: Any = None
    media_type: str | None = None
    headers: dict[str, str] = field(default_factory=dict)


class Context:
    def __init__(
        self,
        request: Request,
        *,
        store: Store,
        auth: AuthService,
        events: EventLog,
        base_uri: str,
        identity: UserIdentity,
    ) -> None:
        self.request = request
        self.store = store
        self.auth = auth
        self.events = events
        self.base_uri = base_uri.rstrip("/")
        self.identity = identity

    def uri(self, *segments: object) -> str:
        return "/".join([self.base_uri, *(str(s) for s in segments)])

    def link(self, collection: str, object_id: object) -> str | None:
        """The URI of an object referred to by id, None when the id is unset."""
        return None if object_id is None else self.uri(collection, object_id)

    def body(self) -> dict[str, Any]:
        """The request's JSON object."""
        raw = self.request.body
        content_type = self.request.header("content-type") or media.JSON
        if not media.is_json(content_type):
            raise ApiError(415, f"Unsupported media type {content_type!r}; send JSON")
        try:
            data = json.loads(raw.decode("utf-8")) if raw.strip() else None
        except (UnicodeDecodeError, ValueError) as e:
            raise bad_request(f"Malformed JSON in the request body: {e}") from None
        except RecursionError:
            raise bad_request("Malformed JSON in the request body: nested too deeply") from None
        if not isinstance(data, dict):
            raise bad_request("The request body must be a JSON object")
        return data

    def require_admin(self) -> None:
        if not self.identity.is_admin:
            raise forbidden("Only an admin may change this resource")

    def check_tenant(self, tenant: str | None) -> None:
        """A non-admin may only touch its own tenant's objects."""
        if self.identity.is_admin:
            return
        if tenant is None or tenant != self.identity.tenant_id:
            raise forbidden()

    def transact(self, work: Callable[[Transaction], R], mapping: FieldMapping | None = None) -> R:
        """Run `work` in one store transaction, turning store errors into API errors."""
        try:
            with self.store.transaction() as tx:
                return work(tx)
        except MidonetError as e:
            raise from_exception(e, mapping.api_name if mapping else None) from None


def parse_id(text: str, what: str = "resource") -> uuid.UUID:
    try:
        return uuid.UUID(text)
    except ValueError:
        raise not_found(f"{what} {text} does not exist: not a UUID") from None
