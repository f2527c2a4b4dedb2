"""The agent's flow state: connection tracking and NAT entries (`flow_state`) and
the source ports dynamic SNAT may use, leased in blocks through the NSDB
(`nat_allocator`)."""
