"""Whether the API can listen where it is told to, checked before anything is started.

``incentives serve`` (and ``incentives demo``) start or join the database, migrate it and
load data before uvicorn binds its port; a port already taken would only show then. So
they call ``ensure_port_free`` first thing, and the command line turns its error into a
one-line message and exit code 2.
"""

from __future__ import annotations

import errno
import socket


class CannotListen(Exception):
    """The API cannot listen on the host and port it was given; the message says why."""


class PortInUse(CannotListen):
    """Something else is listening on the port."""

    def __init__(self, host: str, port: int) -> None:
        super().__init__(f"port {port} on {host} is in use; set --port or INCENTIVES_PORT")
        self.host = host
        self.port = port


def ensure_port_free(host: str, port: int) -> None:
    """Raise ``PortInUse`` if another socket listens on ``host``:``port`` now (on any
    address the host name stands for), ``CannotListen`` if it cannot be bound otherwise.

    The check binds as uvicorn will (address reuse on, so a connection of a server just
    stopped, still in TIME_WAIT, does not count) and lets go at once.
    """
    try:
        addresses = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise CannotListen(f"cannot listen on {host}: {exc.strerror}") from exc
    for family, kind, proto, _, address in addresses:
        with socket.socket(family, kind, proto) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind(address)
            except OSError as exc:
                if exc.errno == errno.EADDRINUSE:
                    raise PortInUse(host, port) from exc
                raise CannotListen(
                    f"cannot listen on port {port} of {host}: {exc.strerror}"
                ) from exc
