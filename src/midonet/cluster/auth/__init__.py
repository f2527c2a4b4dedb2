"""Authentication providers for the REST API (MidoNet's AuthService).

`provider_from_config` picks one by `cluster.auth.provider_class`: the mock provider
(`mock.MockAuthService`, any credentials, admin) or Keystone (`keystone`, v2 or v3).
"""

from __future__ import annotations

from collections.abc import Mapping

from midonet.cluster.auth.base import (
    ADMIN,
    TENANT_ADMIN,
    TENANT_USER,
    AuthError,
    AuthService,
    AuthUnavailable,
    Tenant,
    Token,
    UserIdentity,
)
from midonet.cluster.auth.keystone import KeystoneService
from midonet.cluster.auth.mock import MockAuthService
from midonet.errors import ConfigError

__all__ = [
    "ADMIN",
    "TENANT_ADMIN",
    "TENANT_USER",
    "AuthError",
    "AuthService",
    "AuthUnavailable",
    "KeystoneService",
    "MockAuthService",
    "Tenant",
    "Token",
    "UserIdentity",
    "provider_from_config",
]

_MOCK = ("org.midonet.cluster.auth.MockAuthService", "mock")
_KEYSTONE = (
    "org.midonet.cluster.auth.keystone.KeystoneService",
    "org.midonet.cluster.auth.keystone.v2_0.KeystoneService",
    "keystone",
)


def provider_from_config(config: Mapping[str, object]) -> AuthService:
    """The provider named by `cluster.auth.provider_class` in `config` (dotted keys)."""
    name = str(config.get("cluster.auth.provider_class", _MOCK[0]))
    if name in _MOCK:
        return MockAuthService()
    if name in _KEYSTONE:
        return KeystoneService.from_config(config)
    raise ConfigError(
        f"cluster.auth.provider_class: unknown provider {name!r}; use {_MOCK[0]} or {_KEYSTONE[0]}"
    )
