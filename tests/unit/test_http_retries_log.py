"""A connection retry is one short log line naming host, path, retry count and cause; never the
query (a token) nor urllib3's object reprs."""

import logging
import socket
import threading

import pytest
import requests

from dinsar.catalogue import http

SECRET = "token=s3cr3t-value"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # closed on exit: connecting to it is refused


def _retry_lines(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "urllib3.connectionpool"]


def _check(lines: list[str], path: str, reason: str, retries: int = 3):
    assert len(lines) == retries, lines
    for n, line in enumerate(lines, 1):
        assert line.startswith(f"retrying 127.0.0.1{path} (retry {n}/{retries}): "), line
        assert reason in line, line
        assert "\n" not in line and len(line) < 160, line
        assert "s3cr3t" not in line and "?" not in line and "object at 0x" not in line, line


def test_refused_connection_one_line_per_retry(caplog):
    s = http.session(retries=3, backoff=0, jitter=0)
    with caplog.at_level(logging.WARNING), pytest.raises(requests.ConnectionError):
        s.get(f"http://127.0.0.1:{_free_port()}/odata/Products?{SECRET}", timeout=5)
    _check(_retry_lines(caplog), "/odata/Products", "Connection refused")


@pytest.fixture
def hang_up():
    """A server that accepts each connection and closes it without answering."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(8)
    srv.settimeout(0.2)
    stop = threading.Event()

    def serve():
        while not stop.is_set():
            try:
                conn, _ = srv.accept()
            except OSError:
                continue
            conn.recv(65536)
            conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield srv.getsockname()[1]
    stop.set()
    thread.join()
    srv.close()


def test_dropped_connection_one_line_per_retry(caplog, hang_up):
    s = http.session(retries=3, backoff=0, jitter=0)
    with caplog.at_level(logging.WARNING), pytest.raises(requests.ConnectionError):
        s.get(f"http://127.0.0.1:{hang_up}/download/x.zip?{SECRET}", timeout=5)
    _check(_retry_lines(caplog), "/download/x.zip", "Remote end closed connection")


def test_short_reason_drops_reprs_and_queries():
    from urllib3 import HTTPSConnectionPool
    from urllib3.exceptions import NewConnectionError, ProtocolError, ReadTimeoutError

    err = NewConnectionError(object(), "Failed to establish a new connection: [Errno 111] Connection refused")
    assert http.short_reason(err) == "[Errno 111] Connection refused"
    err = ReadTimeoutError(HTTPSConnectionPool("h"), f"/a?{SECRET}", "Read timed out. (read timeout=60)")
    assert http.short_reason(err) == "Read timed out. (read timeout=60)"
    err = ProtocolError("Connection aborted.", ConnectionResetError(104, "Connection reset by peer"))
    assert http.short_reason(err) == "Connection aborted: [Errno 104] Connection reset by peer"
    assert http.short_reason(ValueError(f"bad https://h/p?{SECRET} here")) == "bad https://h/p here"
    assert len(http.short_reason(ValueError("x" * 500))) == 120


@pytest.fixture
def flaky():
    """A server answering 503 twice, then 200 (urllib3 logs such status retries at debug level only)."""
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    calls = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            calls.append(self.path)
            self.send_response(503 if len(calls) <= 2 else 200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args):
            pass

    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield srv.server_address[1], calls
    srv.shutdown()
    srv.server_close()


def test_server_error_one_line_per_retry(caplog, flaky):
    port, calls = flaky
    s = http.session(retries=3, backoff=0, jitter=0)
    with caplog.at_level(logging.WARNING):
        r = s.get(f"http://127.0.0.1:{port}/odata/Products?{SECRET}", timeout=5)
    assert r.status_code == 200 and len(calls) == 3
    lines = [rec.getMessage() for rec in caplog.records if rec.name == http.__name__]
    assert lines == ["retrying 127.0.0.1/odata/Products (retry 1/3): HTTP 503",
                     "retrying 127.0.0.1/odata/Products (retry 2/3): HTTP 503"], lines
