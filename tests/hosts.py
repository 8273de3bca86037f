"""Many web hosts for fetch tests: one HTTP server per port on 127.0.0.1 (a host to the fetcher,
which keeps its limits and robots.txt per scheme, host and port)."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

Reply = tuple[int, dict[str, str], bytes]
"""Status, headers and body of a response."""


class Hosts:
    """``count`` servers, each answering ``respond(host_number, path, request_headers)``; use as
    a context manager. ``log`` records (host number, path, If-None-Match) of every request."""

    def __init__(self, count: int, respond: Callable[[int, str, Message], Reply]) -> None:
        self.respond = respond
        self.log: list[tuple[int, str, str | None]] = []
        self._lock = threading.Lock()
        self._servers = [_Server(self, number) for number in range(count)]
        self._threads = [
            threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1})
            for server in self._servers
        ]

    def url(self, host: int, path: str) -> str:
        return f"http://127.0.0.1:{self._servers[host].server_port}{path}"

    def record(self, host: int, path: str, etag: str | None) -> None:
        with self._lock:
            self.log.append((host, path, etag))

    def __enter__(self) -> Hosts:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        for server in self._servers:
            server.shutdown()
            server.server_close()
        for thread in self._threads:
            thread.join(timeout=10)


def closed_port_url(path: str = "/") -> str:
    """A URL on 127.0.0.1 where nothing listens (connections are refused)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}{path}"


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, hosts: Hosts, number: int) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.hosts, self.number = hosts, number


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_GET(self) -> None:
        hosts, number = self.server.hosts, self.server.number
        hosts.record(number, self.path, self.headers.get("If-None-Match"))
        status, headers, body = hosts.respond(number, self.path, self.headers)
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def send_response(self, code: int, message: str | None = None) -> None:
        """Without the Server and Date headers, so a response has only the headers given."""
        self.log_request(code)
        self.send_response_only(code, message)

    def log_message(self, format: str, *args: object) -> None:
        pass
