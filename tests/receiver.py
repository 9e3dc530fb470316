"""A real webhook receiver on 127.0.0.1: a ThreadingHTTPServer in a daemon thread
that verifies each request with `standardwebhooks` and keeps what it got.

`stop()` closes the socket (a receiver that is down: connections are refused);
`start()` listens again on the same port."""
from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks.webhooks import Webhook


class Receiver:
    def __init__(self, secret: str | None = None, port: int = 0, tls: tuple | None = None):
        self.secret = secret
        self.tls = tls                      # (certificate file, key file): https
        self.hold = threading.Event()       # cleared: requests wait before answering
        self.hold.set()
        self.received: list[dict] = []      # verified events, in arrival order
        self.requests: list[tuple[dict, bytes]] = []   # every request (headers, body)
        self.refused: list[str] = []        # verification failures
        self.status = 204
        self.arrived = threading.Condition()
        self.port = port
        self._server = None
        self.start()

    @property
    def url(self) -> str:
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.port}/hook"

    def start(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                headers = {k.lower(): v for k, v in self.headers.items()}
                with receiver.arrived:
                    receiver.requests.append((headers, body))
                    if receiver.secret:
                        try:
                            event = Webhook(receiver.secret).verify(body, headers)
                        except Exception as error:
                            receiver.refused.append(str(error))
                            event = None
                    else:
                        event = json.loads(body)
                    if event is not None and receiver.status < 300:
                        receiver.received.append({"headers": headers, "event": event})
                    receiver.arrived.notify_all()
                receiver.hold.wait(60)
                self.send_response(receiver.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        if self.tls:
            import ssl
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(*self.tls)
            self._server.socket = context.wrap_socket(self._server.socket, server_side=True)
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def wait_for_requests(self, count: int, timeout: float = 30) -> None:
        with self.arrived:
            self.arrived.wait_for(lambda: len(self.requests) >= count, timeout)

    def wait_for(self, count: int, timeout: float = 30) -> list[dict]:
        """Block until `count` verified events arrived (or timeout); the events."""
        with self.arrived:
            self.arrived.wait_for(lambda: len(self.received) >= count, timeout)
            return list(self.received)
