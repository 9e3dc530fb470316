"""`python -m chalicelib.cli check-port --host H --port P`: what `make run` asks before
starting `chalice local`, so a busy port is one line naming the port and `PORT=`
instead of chalice's 20-line `OSError: [Errno 98] Address already in use` traceback."""
from __future__ import annotations

import socket
import sys


def check_port(host: str, port: int) -> int:
    """0 when `chalice local` can listen on host:port, else 1 with the one-line reason."""
    try:
        addresses = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as error:
        print(f"make run: cannot listen on HOST={host}: {error.strerror}", file=sys.stderr)
        return 1
    family, kind, proto, _, address = addresses[0]
    with socket.socket(family, kind, proto) as probe:
        # As http.server, which chalice local uses: a port in TIME_WAIT is not "in use".
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as error:
            reason = "is already in use (another server?)" if error.errno == 98 else \
                f"cannot be opened ({error.strerror})"
            print(f"make run: port {port} on {host} {reason}; choose another with "
                  f"`make run PORT=8080` (and HOST=... for another address)", file=sys.stderr)
            return 1
    return 0
