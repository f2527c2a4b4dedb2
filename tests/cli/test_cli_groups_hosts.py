"""Port groups, IP address groups, tunnel zones and hosts (guide chapters 4-6, 9)."""

from __future__ import annotations

import uuid

from cli_harness import Cli, assert_matches, transcript

from midonet.model import Host
from midonet.model.host import HostInterface, InterfaceEndpoint, InterfaceType


def add_host(cli: Cli, name: str, alive: bool = True) -> None:
    cli.store.create(
        Host(
            id=uuid.uuid4(),
            name=name,
            alive=alive,
            interfaces=(
                HostInterface(
                    name="eth1",
                    mac="00:50:56:93:7c:35",
                    mtu=1500,
                    type=InterfaceType.PHYSICAL,
                    endpoint=InterfaceEndpoint.PHYSICAL,
                ),
            ),
        )
    )


def test_stateful_port_group(cli: Cli) -> None:
    commands, expected = transcript(
        """
midonet> router create name "Edge Router"
router0
midonet> router router0 add port addresses 100.100.100.1/30
router0:port0
midonet> router router0 add port addresses 172.168.0.1/16
router0:port1
midonet> sett 7a4937fa604a425e867f085427cc351e
tenant_id: 7a4937fa604a425e867f085427cc351e
midonet> port-group create name SPG stateful true
pgroup0
midonet> port-group pgroup0 add member port router0:port0
port-group pgroup0 port router0:port0
midonet> port-group pgroup0 add member port router0:port1
port-group pgroup0 port router0:port1
midonet> port-group pgroup0 list member
port-group pgroup0 port router0:port1
port-group pgroup0 port router0:port0
midonet> list port-group
pgroup pgroup0 name SPG stateful true
"""
    )
    result = cli.session(commands)
    assert result.stderr == ""
    assert_matches(result.stdout, expected)


def test_ip_address_group(cli: Cli) -> None:
    commands, expected = transcript(
        """
midonet> ip-address-group create name vtep-hosts
ip-address-group0
midonet> ip-address-group ip-address-group0 add ip address 172.16.0.3
address 172.16.0.3
midonet> chain create name ingress
chain0
midonet> chain chain0 add rule ethertype 2048 ip-address-group-src ip-address-group0 type accept
chain0:rule0
midonet> chain chain0 list rule
rule rule0 ethertype 2048 proto 0 tos 0 ip-address-group-src ip-address-group0 pos 1 type accept
midonet> ip-address-group ip-address-group0 list ip
address 172.16.0.3
"""
    )
    result = cli.session(commands)
    assert result.stderr == ""
    assert_matches(result.stdout, expected)


def test_tunnel_zones_and_hosts(cli: Cli) -> None:
    add_host(cli, "precise64")
    commands, expected = transcript(
        """
midonet> tunnel-zone create name new-tz type vxlan
tzone0
midonet> tunnel-zone create name default_tz type gre
tzone1
midonet> list tunnel-zone
tzone tzone0 name new-tz type vxlan
tzone tzone1 name default_tz type gre
midonet> delete tunnel-zone tzone0
midonet> list tunnel-zone
tzone tzone1 name default_tz type gre
midonet> list host
host host0 name precise64 alive true
midonet> host host0 list interface
iface eth1 host_id host0 status 0 addresses [] mac 00:50:56:93:7c:35 mtu 1500 type \\
Physical endpoint PHYSICAL
midonet> tunnel-zone tzone1 member add host host0 address 172.19.0.2
zone tzone1 host host0 address 172.19.0.2
midonet> tunnel-zone tzone1 list member
zone tzone1 host host0 address 172.19.0.2
midonet> tunnel-zone tzone1 member host host0 show
tunnel-zone-host zone tzone1 host host0 address 172.19.0.2
midonet> tunnel-zone tzone1 member host host0 delete
midonet> tunnel-zone tzone1 list member
midonet> bridge create name External
bridge0
midonet> bridge bridge0 add port
bridge0:port0
midonet> host host0 add binding port bridge0:port0 interface eth1
host host0 interface eth1 port bridge0:port0
midonet> host host0 list binding
host host0 interface eth1 port bridge0:port0
midonet> host host0 set flooding-proxy-weight 5
midonet> host host0 show flooding-proxy-weight
host host0 flooding-proxy-weight 5
"""
    )
    result = cli.session(commands)
    assert result.stderr == ""
    assert_matches(result.stdout, expected)


def test_binding_without_arguments_is_a_syntax_error(cli: Cli) -> None:
    add_host(cli, "h")
    result = cli.session("host host0 add binding\n")
    assert result.stderr.strip() == "Syntax error at: add binding (needs: port interface)"
