"""What every authentication provider offers, and the identities it hands out."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from midonet.cluster.auth.tokens import Token
from midonet.errors import MidonetError

__all__ = [
    "ADMIN",
    "TENANT_ADMIN",
    "TENANT_USER",
    "AuthError",
    "AuthService",
    "AuthUnavailable",
    "Tenant",
    "Token",
    "UserIdentity",
]

ADMIN = "admin"
TENANT_ADMIN = "tenant_admin"
TENANT_USER = "tenant_user"


class AuthError(MidonetError):
    """Bad credentials, a missing or unknown token, or a provider that cannot answer."""


class AuthUnavailable(AuthError):
    """The identity service cannot be reached or answers nonsense (503, not 401)."""


@dataclass(frozen=True, slots=True)
class UserIdentity:
    tenant_id: str
    tenant_name: str
    user_id: str
    token: str
    roles: frozenset[str] = field(default_factory=frozenset)

    @property
    def is_admin(self) -> bool:
        return ADMIN in self.roles


@dataclass(frozen=True, slots=True)
class Tenant:
    id: str
    name: str
    description: str = ""
    enabled: bool = True


class AuthService(Protocol):
    def authenticate(self, username: str, password: str, project: str | None) -> Token:
        """A token for the credentials; `AuthError` when they are refused."""
        ...

    def authorize(self, token: str | None) -> UserIdentity:
        """The identity behind `token`; `AuthError` when it is missing or unknown."""
        ...

    def tenants(self, token: str | None) -> list[Tenant]: ...

    def tenant(self, token: str | None, tenant_id: str) -> Tenant:
        """One tenant; `AuthError` if the provider cannot tell, LookupError if unknown."""
        ...
