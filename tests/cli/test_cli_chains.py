"""Chapter 7 of the guide: chains, rules, filters, NAT rules."""

from __future__ import annotations

from cli_harness import Cli, assert_matches, transcript


def test_drop_not_src_chain(cli: Cli) -> None:
    commands, expected = transcript(
        """
midonet> chain create name "drop_not_src_mynetwork_INBOUND"
chain0
midonet> chain chain0 add rule ethertype 2048 src !10.0.0.0/16 type drop
chain0:rule0
midonet> chain chain0 add rule ethertype 2048 dst 10.0.5.0/24 pos 2 type \\
accept
chain0:rule1
midonet> chain chain0 list rule
rule rule0 ethertype 2048 src !10.0.0.0/16 proto 0 tos 0 pos 1 type drop
rule rule1 ethertype 2048 dst 10.0.5.0/24 proto 0 tos 0 pos 2 type accept
midonet> list chain
chain chain0 name drop_not_src_mynetwork_INBOUND
"""
    )
    result = cli.session(commands)
    assert result.stderr == ""
    assert_matches(result.stdout, expected)


def test_port_inbound_chain_and_filters(cli: Cli) -> None:
    commands, expected = transcript(
        """
midonet> chain create name "OS_PORT_INBOUND"
chain0
midonet> chain create name "OS_SG_EGRESS"
chain1
midonet> chain chain0 add rule ethertype 2048 src !172.16.3.3 type drop
chain0:rule0
midonet> chain chain0 add rule hw-src !fa:16:3e:fb:19:07 pos 2 type drop
chain0:rule1
midonet> chain chain0 add rule flow return-flow pos 3 type accept
chain0:rule2
midonet> chain chain0 add rule pos 4 type jump jump-to chain1
chain0:rule3
midonet> chain chain0 add rule ethertype !2054 pos 5 type drop
chain0:rule4
midonet> chain chain1 add rule ethertype 2048 src 0.0.0.0/0 proto 6 dst-port 22 type accept
chain1:rule0
midonet> chain chain0 list rule
rule rule0 ethertype 2048 src !172.16.3.3 proto 0 tos 0 pos 1 type drop
rule rule1 hw-src !fa:16:3e:fb:19:07 proto 0 tos 0 pos 2 type drop
rule rule2 proto 0 tos 0 flow return-flow pos 3 type accept
rule rule3 proto 0 tos 0 pos 4 type jump jump-to chain1
rule rule4 ethertype !2054 proto 0 tos 0 pos 5 type drop
midonet> chain chain1 list rule
rule rule0 ethertype 2048 src 0.0.0.0/0 proto 6 tos 0 dst-port 22 pos 1 type accept
midonet> bridge create name br
bridge0
midonet> bridge bridge0 add port
bridge0:port0
midonet> bridge bridge0 port port0 set infilter chain0
midonet> bridge bridge0 list port
port port0 device bridge0 state up infilter chain0
midonet> bridge bridge0 port port0 clear infilter
midonet> bridge bridge0 list port
port port0 device bridge0 state up
"""
    )
    result = cli.session(commands)
    assert result.stderr == ""
    assert_matches(result.stdout, expected)


def test_nat_rules(cli: Cli) -> None:
    commands, expected = transcript(
        """
midonet> router create name "tenant-router"
router0
midonet> router router0 add port addresses 198.51.100.2/24
router0:port0
midonet> chain create name pre
chain0
midonet> chain create name post
chain1
midonet> router router0 set infilter chain0 outfilter chain1
midonet> list router
router router0 name tenant-router state up infilter chain0 outfilter chain1
midonet> chain chain0 add rule dst 198.51.100.3 in-ports router0:port0 type dnat \\
action accept target 172.16.3.3
chain0:rule0
midonet> chain chain0 add rule dst 198.51.100.2 in-ports router0:port0 pos 2 \\
type rev_snat action accept
chain0:rule1
midonet> chain chain1 add rule src 172.16.3.3 out-ports router0:port0 type snat \\
action accept target 198.51.100.3
chain1:rule0
midonet> chain chain1 add rule out-ports router0:port0 pos 2 type snat action accept \\
target 198.51.100.2:1024-65535
chain1:rule1
midonet> chain chain0 list rule
rule rule0 dst 198.51.100.3 proto 0 tos 0 in-ports router0:port0 pos 1 type dnat \\
action accept target 172.16.3.3
rule rule1 dst 198.51.100.2 proto 0 tos 0 in-ports router0:port0 pos 2 type rev_snat \\
action accept
midonet> chain chain1 list rule
rule rule0 src 172.16.3.3 proto 0 tos 0 out-ports router0:port0 pos 1 type snat \\
action accept target 198.51.100.3
rule rule1 proto 0 tos 0 out-ports router0:port0 pos 2 type snat action accept \\
target 198.51.100.2:1024-65535
"""
    )
    result = cli.session(commands)
    assert result.stderr == ""
    assert_matches(result.stdout, expected)


def test_every_condition_attribute_round_trips(cli: Cli) -> None:
    commands, expected = transcript(
        """
midonet> chain create name all
chain0
midonet> chain create name other
chain1
midonet> router create name r
router0
midonet> router router0 add port addresses 10.0.0.1/24
router0:port0
midonet> port-group create name pg
pgroup0
midonet> chain chain0 add rule ethertype 2048 hw-src 02:00:00:00:00:01 \\
hw-src-mask ffff.ff00.0000 hw-dst !02:00:00:00:00:02 src 10.0.0.0/8 \\
dst !192.168.0.1 proto 17 tos 4 src-port 1000:2000 dst-port !53 \\
in-ports router0:port0 port-group pgroup0 fragment-policy unfragmented type reject
chain0:rule0
midonet> chain chain0 add rule out-ports !router0:port0 flow forward-flow \\
fragment-policy nonheader type jump jump-to chain1
chain0:rule1
midonet> chain chain0 add rule pos 1 type dnat action continue target 10.1.1.1-10.1.1.9:80-90
chain0:rule2
midonet> chain chain0 list rule
rule rule0 ethertype 2048 hw-src 02:00:00:00:00:01 hw-src-mask ffff.ff00.0000 \\
hw-dst !02:00:00:00:00:02 src 10.0.0.0/8 dst !192.168.0.1 proto 17 tos 4 \\
src-port 1000:2000 dst-port !53 in-ports router0:port0 port-group pgroup0 \\
fragment-policy unfragmented pos 3 type reject
rule rule1 proto 0 tos 0 out-ports !router0:port0 fragment-policy nonheader \\
flow forward-flow pos 2 type jump jump-to chain1
rule rule2 proto 0 tos 0 pos 1 type dnat action continue target 10.1.1.1-10.1.1.9:80-90
"""
    )
    result = cli.session(commands)
    assert result.stderr == ""
    assert_matches(result.stdout, expected)
