"""Login, tokens, the mock and Keystone providers, tenant scoping, system state."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path

import pytest
from api_harness import Client, Running, start, stop
from keystone_fake import FakeKeystone, Keystone, User

from midonet.cluster.auth import KeystoneService, MockAuthService, provider_from_config
from midonet.errors import ConfigError


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


# --- mock provider ----------------------------------------------------------------------


def test_mock_login_answers_a_token_and_cookie(client: Client) -> None:
    reply = client.post(
        "/login", headers={"Authorization": basic("any", "thing"), "X-Auth-Project": "p"}
    )
    assert reply.status == 200
    assert reply.content_type == "application/vnd.org.midonet.Token-v1+json"
    assert reply.body == {"key": "00000000", "expires": None}
    assert reply.headers["set-cookie"].startswith("sessionId=00000000")


@pytest.mark.parametrize("header", [None, "Bearer abc", "Basic !!!", basic("nocolon", "")[:-4]])
def test_login_needs_basic_credentials(client: Client, header: str | None) -> None:
    headers = {"Authorization": header} if header else {}
    reply = client.post("/login", headers=headers)
    assert reply.status == 401
    assert reply.body["code"] == 401
    assert "Basic" in reply.headers["www-authenticate"]


def test_login_only_by_post(client: Client) -> None:
    assert client.get("/login").status == 405


def test_mock_lists_tenants(client: Client) -> None:
    tenants = client.get("/tenants").body
    assert [t["id"] for t in tenants] == ["admin"]
    assert tenants[0]["routers"].endswith("/routers?tenant_id=admin")
    assert client.get("/tenants/admin").body["name"] == "admin"
    assert client.post("/tenants", {}).status == 405


def test_provider_from_config() -> None:
    assert isinstance(provider_from_config({}), MockAuthService)
    keystone = provider_from_config(
        {
            "cluster.auth.provider_class": "org.midonet.cluster.auth.keystone.KeystoneService",
            "cluster.auth.keystone.url": "http://ks:5000",
            "cluster.auth.keystone.version": 2,
        }
    )
    assert isinstance(keystone, KeystoneService)
    assert keystone.config.base == "http://ks:5000/v2.0"
    with pytest.raises(ConfigError, match="unknown provider"):
        provider_from_config({"cluster.auth.provider_class": "nope"})


# --- system state -----------------------------------------------------------------------


def test_read_only_system_state_refuses_writes(client: Client) -> None:
    state = client.get("/system_state")
    assert state.content_type == "application/vnd.org.midonet.SystemState-v2+json"
    assert state.body["availability"] == "READWRITE"
    router = client.create("/routers", {"name": "r"})
    assert client.put("/system_state", {"availability": "READONLY"}).status == 204
    refused = client.post("/routers", {"name": "x"})
    assert refused.status == 503
    assert "READONLY" in refused.body["message"]
    assert client.delete(router["uri"]).status == 503
    assert client.get(router["uri"]).status == 200  # reads still work
    assert client.put("/system_state", {"availability": "READWRITE"}).status == 204
    assert client.post("/routers", {"name": "x"}).status == 201
    assert client.put("/system_state", {"availability": "MAYBE"}).status == 400


# --- Keystone ---------------------------------------------------------------------------


@pytest.fixture
def keystone() -> Iterator[FakeKeystone]:
    ks = Keystone(
        users={
            "alice": User("alice", "pw-a", "project-a", ["member"]),
            "bob": User("bob", "pw-b", "project-b", ["member"]),
            "root": User("root", "pw-r", "admin-project", ["Admin"]),
        },
        projects={"pa": "project-a", "pb": "project-b", "pz": "admin-project"},
    )
    with FakeKeystone(ks) as fake:
        yield fake


@pytest.fixture(params=[2, 3])
def ks_cluster(
    request: pytest.FixtureRequest, keystone: FakeKeystone, tmp_path: Path
) -> Iterator[Running]:
    auth = provider_from_config(
        {
            "cluster.auth.provider_class": "org.midonet.cluster.auth.keystone.KeystoneService",
            "cluster.auth.admin_role": "admin",
            "cluster.auth.keystone.url": keystone.url,
            "cluster.auth.keystone.version": request.param,
            "cluster.auth.keystone.admin_token": "ADMIN",
        }
    )
    running = start(tmp_path, auth)
    yield running
    stop(running)


def login(client: Client, user: str, password: str, project: str) -> str:
    reply = client.post(
        "/login", headers={"Authorization": basic(user, password), "X-Auth-Project": project}
    )
    assert reply.status == 200, reply.body
    assert reply.body["expires"].endswith("GMT")
    return str(reply.body["key"])


def test_keystone_login_and_token(ks_cluster: Running) -> None:
    client = ks_cluster.client
    assert client.get("/routers").status == 401
    assert client.get("/routers", headers={"X-Auth-Token": "bogus"}).status == 401
    bad = client.post(
        "/login", headers={"Authorization": basic("alice", "wrong"), "X-Auth-Project": "project-a"}
    )
    assert bad.status == 401
    token = login(client, "alice", "pw-a", "project-a")
    assert client.get("/routers", headers={"X-Auth-Token": token}).status == 200
    assert client.get("/routers", headers={"Cookie": f"sessionId={token}"}).status == 200
    assert client.get("/midonet-api").status == 200  # the root needs no token


def test_keystone_tenant_scoping(ks_cluster: Running) -> None:
    client = ks_cluster.client
    alice = {"X-Auth-Token": login(client, "alice", "pw-a", "project-a")}
    bob = {"X-Auth-Token": login(client, "bob", "pw-b", "project-b")}
    root = {"X-Auth-Token": login(client, "root", "pw-r", "admin-project")}
    mine = client.post("/routers", {"name": "a1"}, headers=alice)
    assert mine.status == 201
    router = client.get(mine.headers["location"], headers=alice).body
    assert router["tenantId"] == "pa"
    assert client.post("/routers", {"name": "x", "tenantId": "pb"}, headers=alice).status == 403
    assert client.post("/routers", {"name": "b1"}, headers=bob).status == 201
    assert [r["name"] for r in client.get("/routers", headers=alice).body] == ["a1"]
    assert [r["name"] for r in client.get("/routers", headers=bob).body] == ["b1"]
    assert sorted(r["name"] for r in client.get("/routers", headers=root).body) == ["a1", "b1"]
    assert client.get(router["uri"], headers=bob).status == 403
    assert client.put(router["uri"], {"name": "stolen"}, headers=bob).status == 403
    assert client.delete(router["uri"], headers=bob).status == 403
    port = client.post(router["ports"], {}, headers=bob)
    assert port.status == 403
    assert client.post(router["ports"], {}, headers=alice).status == 201
    assert (
        client.post("/tunnel_zones", {"name": "tz", "type": "vxlan"}, headers=alice).status == 403
    )
    assert client.put("/system_state", {"availability": "READONLY"}, headers=alice).status == 403
    tenants = client.get("/tenants", headers=root).body
    assert sorted(t["id"] for t in tenants) == ["pa", "pb", "pz"]
    assert [t["id"] for t in client.get("/tenants", headers=alice).body] == ["pa"]
    assert client.get("/tenants/pb", headers=root).body["name"] == "project-b"
    assert client.get("/tenants/nope", headers=root).status == 404


def test_keystone_admin_by_password(keystone: FakeKeystone, tmp_path: Path) -> None:
    auth = KeystoneService.from_config(
        {
            "cluster.auth.admin_role": "admin",
            "cluster.auth.keystone.url": keystone.url,
            "cluster.auth.keystone.version": 3,
            "cluster.auth.keystone.user_name": "root",
            "cluster.auth.keystone.user_password": "pw-r",
            "cluster.auth.keystone.tenant_name": "admin-project",
        }
    )
    token = auth.authenticate("alice", "pw-a", "project-a").key
    identity = auth.authorize(token)
    assert identity.tenant_id == "pa" and not identity.is_admin
    auth.authorize(token)
    posts = [r for r in keystone.keystone.requests if r.startswith("POST")]
    assert len(posts) == 2  # alice's login, then one admin login kept for later checks


def test_keystone_unreachable_is_503(tmp_path: Path) -> None:
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]
    auth = KeystoneService.from_config(
        {
            "cluster.auth.keystone.url": f"http://127.0.0.1:{closed}",
            "cluster.auth.keystone.admin_token": "ADMIN",
        }
    )
    running = start(tmp_path, auth)
    try:
        client = running.client
        assert client.get("/routers", headers={"X-Auth-Token": "t"}).status == 503
        reply = client.post(
            "/login", headers={"Authorization": basic("a", "b"), "X-Auth-Project": "p"}
        )
        assert reply.status == 503
        assert "cannot be reached" in reply.body["message"]
    finally:
        stop(running)
