"""Chapters 4-5 of the guide: routers, bridges, ports, peers and routes."""

from __future__ import annotations

from cli_harness import Cli, assert_matches, transcript


def test_routers_ports_and_peers(cli: Cli) -> None:
    commands, expected = transcript(
        """
midonet> router create name "test-router"
router0
midonet> router create name "test-router2"
router1
midonet> bridge create name "net"
bridge0
midonet> bridge bridge0 add port
bridge0:port0
midonet> router router0 add port addresses 10.100.1.1/24
router0:port0
midonet> router router0 add port addresses 10.100.1.2/24
router0:port1
midonet> router router1 add port addresses 10.100.1.128/24
router1:port0
midonet> router router0 port port0 set peer bridge0:port0
midonet> list router
router router0 name test-router state up
router router1 name test-router2 state up
midonet> router router1 list port
port port0 device router1 state up mac {mac} addresses 10.100.1.128/24
midonet> router router0 port port1 set peer router1:port0
midonet> router router0 list port
port port0 device router0 state up mac {mac} addresses 10.100.1.1/24 peer bridge0:port0
port port1 device router0 state up mac {mac} addresses 10.100.1.2/24 peer router1:port0
"""
    )
    result = cli.session(commands)
    assert result.stderr == ""
    assert_matches(result.stdout, expected)


def test_routes_added_listed_and_deleted(cli: Cli) -> None:
    commands, expected = transcript(
        """
midonet> router create name "router2"
router0
midonet> router router0 add port addresses 169.254.255.3/30
router0:port0
midonet> router router0 list route
route route0 type normal src 0.0.0.0/0 dst 169.254.255.3 port router0:port0 weight 0
route route1 type normal src 0.0.0.0/0 dst 169.254.255.0/30 port router0:port0 weight 0
midonet> router router0 route add src 0.0.0.0/0 dst 10.0.0.0/8 port router0:port0 type normal \
gw 169.254.255.1 weight 100
router0:route2
midonet> router router0 delete route route0
midonet> router router0 route route2 show
route route2 type normal src 0.0.0.0/0 dst 10.0.0.0/8 gw 169.254.255.1 port router0:port0 weight 100
midonet> router router0 delete route route2
midonet> router router0 list route
route route1 type normal src 0.0.0.0/0 dst 169.254.255.0/30 port router0:port0 weight 0
"""
    )
    result = cli.session(commands)
    assert result.stderr == ""
    assert_matches(result.stdout, expected)
