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
