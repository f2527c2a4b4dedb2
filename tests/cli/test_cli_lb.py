"""Chapter 7's load balancing walk-through."""

from __future__ import annotations

from cli_harness import Cli, assert_matches, transcript


def test_load_balancer_pool_members_vip_monitor(cli: Cli) -> None:
    commands, expected = transcript(
        """
midonet> router create name "Tenant Router"
router0
midonet> load-balancer create
lb0
midonet> router router0 set load-balancer lb0
midonet> list router
router router0 name Tenant Router state up load-balancer lb0
midonet> load-balancer lb0 create pool lb-method ROUND_ROBIN
lb0:pool0
midonet> load-balancer lb0 pool pool0 show
pool pool0 load-balancer lb0 lb-method ROUND_ROBIN protocol TCP state up
midonet> load-balancer lb0 pool pool0 create member address 192.168.100.100 \\
protocol-port 80
lb0:pool0:pm0
midonet> load-balancer lb0 pool pool0 create member address 192.168.100.101 \\
protocol-port 80
lb0:pool0:pm1
midonet> load-balancer lb0 pool pool0 member pm0 show
pm pm0 address 192.168.100.100 protocol-port 80 weight 1 state up
midonet> load-balancer lb0 pool pool0 list vip
midonet> load-balancer lb0 pool pool0 create vip address 203.0.113.2 \\
persistence SOURCE_IP protocol-port 8080
lb0:pool0:vip0
midonet> load-balancer lb0 pool pool0 vip vip0 show
vip vip0 load-balancer lb0 address 203.0.113.2 protocol-port 8080 \\
persistence SOURCE_IP state up
midonet> health-monitor list
midonet> health-monitor create type TCP delay 100 max-retries 50 timeout 500
hm0
midonet> load-balancer lb0 pool pool0 set health-monitor hm0
midonet> load-balancer lb0 pool pool0 show health-monitor
pool pool0 health-monitor hm0
midonet> health-monitor list
hm hm0 type TCP delay 100 timeout 500 max-retries 50 state up
"""
    )
    result = cli.session(commands)
    assert result.stderr == ""
    assert_matches(result.stdout, expected)
