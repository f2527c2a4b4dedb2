"""MidoNet's vendor media types (MidonetMediaTypes.scala).

Every resource answers in its vendor type and accepts it or plain `application/json`
in requests. A collection's type is the item's with `collection.` after the vendor
prefix.
"""

from __future__ import annotations

VENDOR = "application/vnd.org.midonet."
JSON = "application/json"

APPLICATION = VENDOR + "Application-v5+json"
ERROR = VENDOR + "Error-v1+json"
TOKEN = VENDOR + "Token-v1+json"
SYSTEM_STATE = VENDOR + "SystemState-v2+json"
PORT_LINK = VENDOR + "PortLink-v1+json"
OPENAPI = "application/vnd.oai.openapi+json"


def item(name: str) -> str:
    """`item("Router-v3")` → application/vnd.org.midonet.Router-v3+json."""
    return f"{VENDOR}{name}+json"


def collection(name: str) -> str:
    return f"{VENDOR}collection.{name}+json"


def is_json(content_type: str) -> bool:
    """A request body type we accept: plain JSON or any MidoNet vendor JSON type."""
    base = content_type.split(";", 1)[0].strip().lower()
    return base == JSON or (base.startswith(VENDOR.lower()) and base.endswith("+json"))
