"""The camelCase ↔ snake_case mapping, routing and media types, without HTTP."""

from __future__ import annotations

import pytest

from midonet.cluster.auth.keystone import KeystoneConfig
from midonet.cluster.rest_api import media
from midonet.cluster.rest_api.errors import ApiError
from midonet.cluster.rest_api.fields import Field, Mapping, allows_none, camel, mechanical
from midonet.cluster.rest_api.resources.chains import RULE_FIELDS
from midonet.cluster.rest_api.routing import Routes
from midonet.model import Router, Rule


def test_camel() -> None:
    assert camel("admin_state_up") == "adminStateUp"
    assert camel("id") == "id"
    assert camel("nw_src_address") == "nwSrcAddress"


def test_mechanical_mapping_round_trip() -> None:
    mapping = Mapping(Router, mechanical(Router))
    router = Router(name="r", tenant_id="t", as_number=65000)
    api = mapping.to_api(router.to_dict())
    assert api["adminStateUp"] is True and api["asNumber"] == 65000
    back = mapping.from_api(api)
    assert Router.from_dict(back) == router


def test_null_for_a_field_that_takes_none_clears_it() -> None:
    mapping = Mapping(Router, mechanical(Router))
    assert mapping.from_api({"inboundFilterId": None}) == {"inbound_filter_id": None}
    assert mapping.from_api({"name": None}) == {}  # name takes no None: "not given"
    assert allows_none(Rule, "condition.nw_src_address")
    assert not allows_none(Rule, "condition.cond_invert")


def test_read_only_and_unknown_keys_are_ignored() -> None:
    mapping = Mapping(
        Router, [Field("name", "name"), Field("tenantId", "tenant_id", read_only=True)]
    )
    assert mapping.from_api({"name": "x", "tenantId": "t", "uri": "http://x"}) == {"name": "x"}


def test_rule_condition_fields_are_flat_in_the_api() -> None:
    data = RULE_FIELDS.from_api(
        {
            "type": "accept",
            "nwSrcAddress": "10.0.0.0",
            "nwSrcLength": 8,
            "inPorts": [],
            "dlSrcMask": "ffff.0000.0000",
        }
    )
    assert data["condition"]["nw_src_address"] == "10.0.0.0"
    assert data["condition"]["dl_src_mask"] == 0xFFFF00000000
    assert data["condition"]["in_port_ids"] == []
    assert RULE_FIELDS.api_name("condition.nw_src_length") == "nwSrcLength"
    assert RULE_FIELDS.api_name("condition.in_port_ids[0]") == "inPorts[0]"
    assert RULE_FIELDS.api_name("nat_targets[0].address_from") == "natTargets[0].addressFrom"
    with pytest.raises(ApiError):
        RULE_FIELDS.from_api({"dlSrcMask": "not-a-mask"})


def test_routes_match_404_and_405() -> None:
    routes = Routes()
    routes.add("GET", "/routers/{id}", lambda ctx, id: None)  # type: ignore[arg-type,return-value]
    route, params = routes.match("GET", "/routers/abc")
    assert params == {"id": "abc"} and route.pattern == "/routers/{id}"
    with pytest.raises(ApiError) as e405:
        routes.match("DELETE", "/routers/abc")
    assert e405.value.code == 405 and e405.value.headers["Allow"] == "GET"
    with pytest.raises(ApiError) as e404:
        routes.match("GET", "/routers/abc/nothing")
    assert e404.value.code == 404


def test_media_types() -> None:
    assert media.item("Router-v3") == "application/vnd.org.midonet.Router-v3+json"
    assert media.collection("Router-v3") == (
        "application/vnd.org.midonet.collection.Router-v3+json"
    )
    assert media.is_json("application/json; charset=utf-8")
    assert media.is_json("application/vnd.org.midonet.Bridge-v4+json")
    assert not media.is_json("text/plain")


def test_keystone_url_takes_the_version() -> None:
    assert KeystoneConfig(version=3, url="http://k:5000").base == "http://k:5000/v3"
    assert KeystoneConfig(version=2, url="http://k:5000/v2.0/").base == "http://k:5000/v2.0"
    config = KeystoneConfig.from_config(
        {"cluster.auth.keystone.host": "ks", "cluster.auth.keystone.port": 35357}
    )
    assert config.base == "http://ks:35357/v3"
    assert config.admin_role == "admin"
