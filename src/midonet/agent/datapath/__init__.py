"""The agent's user-space datapath: host interfaces opened with AF_PACKET sockets
(`packet_socket`), offload metadata and checksum completion (`offload`), and the
table of datapath ports bound to virtual ports (`datapath`)."""
