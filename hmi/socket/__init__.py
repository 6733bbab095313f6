"""The station socket: newline-JSON over a Unix socket, its server and the client link (docs/SOCKET.md)."""
