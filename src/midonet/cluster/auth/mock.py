"""The mock provider (MockAuthService): any credentials, any token, always admin."""

from __future__ import annotations

from midonet.cluster.auth.base import ADMIN, Tenant, Token, UserIdentity

ADMIN_TOKEN = "00000000"
ADMIN_TENANT = Tenant("admin", "admin", "Admin Tenant", True)


class MockAuthService:
    """For development and tests, as MidoNet's: every request is the admin tenant's."""

    def __init__(self) -> None:
        self._tenants: dict[str, Tenant] = {ADMIN_TENANT.id: ADMIN_TENANT}

    def add_tenant(self, tenant_id: str, name: str) -> None:
        self._tenants[tenant_id] = Tenant(tenant_id, name, name, True)

    def authenticate(self, username: str, password: str, project: str | None) -> Token:
        return Token(ADMIN_TOKEN, None)

    def authorize(self, token: str | None) -> UserIdentity:
        return UserIdentity(
            ADMIN_TENANT.id,
            ADMIN_TENANT.name,
            ADMIN_TENANT.id + "-user",
            token or "",
            frozenset({ADMIN}),
        )

    def tenants(self, token: str | None) -> list[Tenant]:
        return sorted(self._tenants.values(), key=lambda t: t.id)

    def tenant(self, token: str | None, tenant_id: str) -> Tenant:
        return self._tenants.get(tenant_id) or Tenant(tenant_id, tenant_id, tenant_id, True)
