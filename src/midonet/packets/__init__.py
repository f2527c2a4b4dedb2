"""The packet codec: typed, frozen headers parsed from and serialized to wire bytes."""
