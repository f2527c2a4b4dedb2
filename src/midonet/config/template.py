"""The configuration templates MidoNet 5.4 ships for sizing agents.

The guide's resource protection section recommends them: compute hosts and gateway
hosts, medium and large, differ in simulation threads, flow table size, datapath
buffers, token bucket sizes and flow state storage. An operator assigns one to a
host with `mn-conf template-set`; the "default" template still applies beneath it.
"""

from __future__ import annotations

from types import MappingProxyType

from midonet.config.layer import ConfigLayer, template_layer
from midonet.errors import ConfigError

BUILTIN_TEMPLATES = MappingProxyType({
    "agent-compute-medium": """
        agent.midolman { simulation_threads = 2, output_channels = 2 }
        agent.datapath {
            max_flow_count = 350000
            send_buffer_pool_max_size = 16384
            send_buffer_pool_initial_size = 4096
        }
    """,
    "agent-compute-large": """
        agent.midolman { simulation_threads = 2, output_channels = 2 }
        agent.datapath {
            max_flow_count = 1500000
            send_buffer_pool_max_size = 16384
            send_buffer_pool_initial_size = 4096
        }
    """,
    "agent-gateway-medium": """
        agent.midolman { simulation_threads = 4, output_channels = 2 }
        agent.datapath {
            max_flow_count = 1500000
            send_buffer_pool_max_size = 24576
            send_buffer_pool_initial_size = 4096
            global_incoming_burst_capacity = 512
            tunnel_incoming_burst_capacity = 256
            vm_incoming_burst_capacity = 256
            vtep_incoming_burst_capacity = 256
        }
        agent.minions.flow_state { block_size = 1048576, blocks_per_port = 1024 }
    """,
    "agent-gateway-large": """
        agent.midolman { simulation_threads = 4, output_channels = 2 }
        agent.datapath {
            max_flow_count = 2500000
            send_buffer_pool_max_size = 24576
            send_buffer_pool_initial_size = 4096
            global_incoming_burst_capacity = 1024
            tunnel_incoming_burst_capacity = 512
            vm_incoming_burst_capacity = 512
            vtep_incoming_burst_capacity = 512
        }
        agent.minions.flow_state { block_size = 1048576, blocks_per_port = 2048 }
    """,
})  # fmt: skip


def builtin_template(name: str) -> ConfigLayer:
    """The shipped template `name` as a layer named `template:<name>`."""
    text = BUILTIN_TEMPLATES.get(name)
    if text is None:
        raise ConfigError(f"no built-in template {name!r} (known: {', '.join(BUILTIN_TEMPLATES)})")
    return ConfigLayer.from_hocon(template_layer(name), text)
