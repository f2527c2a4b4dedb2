"""BGP (chapter 6, with the guide's timers), mirrors, QoS policies and the system state
(backup chapter)."""

from __future__ import annotations

from cli_harness import Cli, assert_matches, transcript


def test_bgp_peers_and_networks(cli: Cli) -> None:
    commands, expected = transcript(
        """
midonet> router create name edge asn 64512
router0
midonet> router router0 add bgp-peer asn 64513 address 198.51.100.1
router0:peer0
midonet> router router0 add bgp-peer asn 64514 address 203.0.113.1
router0:peer1
midonet> router router0 list bgp-peer
peer peer0 asn 64513 address 198.51.100.1
peer peer1 asn 64514 address 203.0.113.1
midonet> router router0 bgp-peer peer0 set password BGP_PASSWORD
midonet> router router0 bgp-peer peer0 set connect-retry 10
midonet> router router0 bgp-peer peer0 set hold-time 5
midonet> router router0 bgp-peer peer0 set keep-alive 5
midonet> router router0 list bgp-peer
peer peer0 asn 64513 address 198.51.100.1 keep-alive 5 hold-time 5 connect-retry 10
peer peer1 asn 64514 address 203.0.113.1
midonet> router router0 add bgp-network net 192.0.2.0/24
router0:net0
midonet> router router0 list bgp-network
net net0 net 192.0.2.0/24
"""
    )
    result = cli.session(commands)
    assert result.stderr == ""
    assert_matches(result.stdout, expected)


def test_mirrors_qos_and_system_state(cli: Cli) -> None:
    commands, expected = transcript(
        """
midonet> bridge create name a-tenant
bridge0
midonet> bridge bridge0 add port
bridge0:port0
midonet> mirror create to-port bridge0:port0
mirror0
midonet> bridge bridge0 set in-mirrors mirror0
midonet> bridge bridge0 show
bridge bridge0 name a-tenant state up in-mirrors mirror0
midonet> bridge bridge0 clear in-mirrors
midonet> bridge bridge0 show
bridge bridge0 name a-tenant state up
midonet> qos-policy create name gold
qos-policy0
midonet> qos-policy qos-policy0 bw-limit-rule create max-kbps 100 max-burst-kb 10
qos-policy0:bw-limit-rule0
midonet> qos-policy qos-policy0 list bw-limit-rule
bw-limit-rule bw-limit-rule0 max-kbps 100 max-burst-kb 10
midonet> set system-state availability READONLY
midonet> show system-state
system-state state ACTIVE availability READONLY
midonet> set system-state availability READWRITE
midonet> show system-state
system-state state ACTIVE availability READWRITE
"""
    )
    result = cli.session(commands)
    assert result.stderr == ""
    assert_matches(result.stdout, expected)
