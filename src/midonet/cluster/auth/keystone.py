"""The Keystone provider (KeystoneService): tokens and tenants from OpenStack Keystone.

Speaks the identity API v2.0 (`POST /v2.0/tokens`, `GET /v2.0/tokens/{token}`,
`/v2.0/tenants`) or v3 (`POST /v3/auth/tokens` answering the token in
`X-Subject-Token`, `GET /v3/auth/tokens` validating the `X-Subject-Token`,
`/v3/projects`). Validation and tenant listing use an administrative token: the
configured `admin_token`, or one obtained with the configured user and password
(kept until it expires). A role named `cluster.auth.admin_role` makes an identity
admin; other identities are confined to their tenant.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from midonet.cluster.auth.base import (
    ADMIN,
    TENANT_ADMIN,
    TENANT_USER,
    AuthError,
    AuthUnavailable,
    Tenant,
    Token,
    UserIdentity,
)

_TIMEOUT = 10.0


@dataclass(frozen=True, slots=True)
class KeystoneConfig:
    version: int = 3
    url: str = "http://localhost:35357"
    admin_token: str = ""
    user_name: str = ""
    user_password: str = ""
    tenant_name: str = ""
    domain_id: str = "default"
    domain_name: str = ""
    admin_role: str = "admin"
    tenant_admin_role: str = ""
    tenant_user_role: str = ""

    @classmethod
    def from_config(cls, config: Mapping[str, object]) -> KeystoneConfig:
        def get(key: str, default: object) -> Any:
            return config.get(f"cluster.auth.{key}", default)

        url = str(get("keystone.url", "") or "")
        if not url:
            url = (
                f"{get('keystone.protocol', 'http')}://{get('keystone.host', 'localhost')}"
                f":{get('keystone.port', 35357)}"
            )
        return cls(
            version=int(get("keystone.version", 3)),
            url=url,
            admin_token=str(get("keystone.admin_token", "")),
            user_name=str(get("keystone.user_name", "")),
            user_password=str(get("keystone.user_password", "")),
            tenant_name=str(get("keystone.tenant_name", "")),
            domain_id=str(get("keystone.domain_id", "default")),
            domain_name=str(get("keystone.domain_name", "")),
            admin_role=str(get("admin_role", "") or "admin"),
            tenant_admin_role=str(get("tenant_admin_role", "")),
            tenant_user_role=str(get("tenant_user_role", "")),
        )

    @property
    def base(self) -> str:
        """The versioned end-point: a configured URL may already name the version."""
        root = self.url.rstrip("/")
        suffix = "/v2.0" if self.version == 2 else "/v3"
        return root if root.endswith(suffix) else root + suffix


@dataclass(frozen=True, slots=True)
class _Auth:
    """A validated token: who, which project, which roles, until when."""

    token: str
    expires: dt.datetime | None
    project_id: str
    project_name: str
    user_id: str
    roles: tuple[str, ...]


def _expiry(text: object) -> dt.datetime | None:
    if not isinstance(text, str) or not text:
        return None
    try:
        return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


class KeystoneService:
    def __init__(self, config: KeystoneConfig) -> None:
        if config.version not in (2, 3):
            raise ValueError(f"Keystone version must be 2 or 3, got {config.version}")
        self.config = config
        self._admin: _Auth | None = None
        self._lock = threading.Lock()

    @classmethod
    def from_config(cls, config: Mapping[str, object]) -> KeystoneService:
        return cls(KeystoneConfig.from_config(config))

    # --- AuthService ------------------------------------------------------------------

    def authenticate(self, username: str, password: str, project: str | None) -> Token:
        project = project or self.config.tenant_name
        if not project:
            raise AuthError("Project missing: send it in the X-Auth-Project header")
        auth = self._password_auth(username, password, project)
        return Token(auth.token, auth.expires)

    def authorize(self, token: str | None) -> UserIdentity:
        if not token:
            raise AuthError("No token was passed in")
        auth = self._validate(token)
        roles = {r for r in map(self._role, auth.roles) if r}
        return UserIdentity(
            auth.project_id, auth.project_name, auth.user_id, token, frozenset(roles)
        )

    def tenants(self, token: str | None) -> list[Tenant]:
        if self.config.version == 2:
            body = self._get(self._admin_token(), "tenants")
            items = body.get("tenants", [])
        else:
            body = self._get(self._admin_token(), "projects")
            items = body.get("projects", [])
        return [_tenant(t) for t in items if isinstance(t, dict)]

    def tenant(self, token: str | None, tenant_id: str) -> Tenant:
        path = "tenants" if self.config.version == 2 else "projects"
        quoted = urllib.parse.quote(tenant_id, safe="")
        try:
            body = self._get(self._admin_token(), f"{path}/{quoted}")
        except _HttpError as e:
            if e.code == 404:
                raise LookupError(f"tenant {tenant_id} does not exist") from None
            raise AuthError(str(e)) from None
        item = body.get("tenant" if self.config.version == 2 else "project")
        if not isinstance(item, dict):
            raise AuthError("Keystone answered a tenant without its data")
        return _tenant(item)

    # --- internals --------------------------------------------------------------------

    def _role(self, name: str) -> str | None:
        lower = name.lower()
        c = self.config
        if lower == c.admin_role.lower():
            return ADMIN
        if c.tenant_admin_role and lower == c.tenant_admin_role.lower():
            return TENANT_ADMIN
        if c.tenant_user_role and lower == c.tenant_user_role.lower():
            return TENANT_USER
        return None

    def _password_auth(self, username: str, password: str, project: str) -> _Auth:
        if self.config.version == 2:
            body = {
                "auth": {
                    "tenantName": project,
                    "passwordCredentials": {"username": username, "password": password},
                }
            }
            answer, _ = self._request("POST", "tokens", body=body)
            return _v2_auth(answer)
        domain = (
            {"id": self.config.domain_id}
            if self.config.domain_id
            else {"name": self.config.domain_name}
        )
        body = {
            "auth": {
                "identity": {
                    "methods": ["password"],
                    "password": {
                        "user": {"name": username, "password": password, "domain": domain}
                    },
                },
                "scope": {"project": {"name": project, "domain": domain}},
            }
        }
        answer, headers = self._request("POST", "auth/tokens", body=body)
        return _v3_auth(answer, headers.get("X-Subject-Token", ""))

    def _admin_token(self) -> str:
        if self.config.admin_token:
            return self.config.admin_token
        with self._lock:
            admin = self._admin
            now = dt.datetime.now(dt.UTC)
            if admin is None or (admin.expires is not None and admin.expires <= now):
                admin = self._password_auth(
                    self.config.user_name, self.config.user_password, self.config.tenant_name
                )
                self._admin = admin
            return admin.token

    def _validate(self, token: str) -> _Auth:
        admin = self._admin_token()
        try:
            if self.config.version == 2:
                quoted = urllib.parse.quote(token, safe="")
                answer, _ = self._request("GET", f"tokens/{quoted}", token=admin)
                return _v2_auth(answer)
            answer, _ = self._request(
                "GET", "auth/tokens", token=admin, extra={"X-Subject-Token": token}
            )
            return _v3_auth(answer, token)
        except _HttpError as e:
            if e.code in (401, 403, 404):
                raise AuthError("Authentication error: the token is not valid") from None
            raise AuthError(str(e)) from None

    def _get(self, token: str, path: str) -> dict[str, Any]:
        answer, _ = self._request("GET", path, token=token)
        return answer

    def _request(
        self,
        method: str,
        path: str,
        *,
        body: object = None,
        token: str | None = None,
        extra: Mapping[str, str] | None = None,
    ) -> tuple[dict[str, Any], Mapping[str, str]]:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(f"{self.config.base}/{path}", data=data, method=method)
        request.add_header("Accept", "application/json")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        if token:
            request.add_header("X-Auth-Token", token)
        for key, value in (extra or {}).items():
            request.add_header(key, value)
        try:
            with urllib.request.urlopen(request, timeout=_TIMEOUT) as response:
                raw = response.read()
                headers = response.headers
        except urllib.error.HTTPError as e:
            if e.code in (401, 403) and method == "POST":
                raise AuthError("Authentication error: Keystone refused the credentials") from None
            raise _HttpError(e.code, f"Keystone answered {e.code} to {method} {path}") from None
        except (urllib.error.URLError, OSError) as e:
            raise AuthUnavailable(
                f"Keystone at {self.config.base} cannot be reached: {e}"
            ) from None
        try:
            answer = json.loads(raw) if raw else {}
        except ValueError:
            raise AuthUnavailable(f"Keystone answered {method} {path} with invalid JSON") from None
        if not isinstance(answer, dict):
            raise AuthUnavailable(f"Keystone answered {method} {path} with an unexpected body")
        return answer, dict(headers.items())


class _HttpError(AuthError):
    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code


def _v2_auth(answer: dict[str, Any]) -> _Auth:
    access = answer.get("access")
    if not isinstance(access, dict):
        raise AuthError("Keystone v2 answered without an access object")
    token = access.get("token") or {}
    tenant = token.get("tenant") or {}
    user = access.get("user") or {}
    roles = tuple(str(r.get("name", "")) for r in user.get("roles") or [] if isinstance(r, dict))
    return _Auth(
        token=str(token.get("id", "")),
        expires=_expiry(token.get("expires")),
        project_id=str(tenant.get("id", "")),
        project_name=str(tenant.get("name", "")),
        user_id=str(user.get("id", "")),
        roles=roles,
    )


def _v3_auth(answer: dict[str, Any], token_id: str) -> _Auth:
    token = answer.get("token")
    if not isinstance(token, dict):
        raise AuthError("Keystone v3 answered without a token object")
    if not token_id:
        raise AuthError("Keystone v3 answered without an X-Subject-Token header")
    project = token.get("project") or {}
    user = token.get("user") or {}
    roles = tuple(str(r.get("name", "")) for r in token.get("roles") or [] if isinstance(r, dict))
    return _Auth(
        token=token_id,
        expires=_expiry(token.get("expires_at")),
        project_id=str(project.get("id", "")),
        project_name=str(project.get("name", "")),
        user_id=str(user.get("id", "")),
        roles=roles,
    )


def _tenant(item: dict[str, Any]) -> Tenant:
    return Tenant(
        id=str(item.get("id", "")),
        name=str(item.get("name", "")),
        description=str(item.get("description") or ""),
        enabled=bool(item.get("enabled", True)),
    )
