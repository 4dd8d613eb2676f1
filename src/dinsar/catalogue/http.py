"""One requests session per provider: retries with exponential backoff and jitter on 429/5xx and
connection errors, honouring Retry-After (urllib3's Retry) up to a cap, and timeouts on every call.
Each retry (connection error or HTTP status) is logged as one short line, without the URL's query."""

from __future__ import annotations

import logging
import re
import time

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import ProtocolError
from urllib3.util.retry import Retry

from dinsar.errors import DinsarError

log = logging.getLogger(__name__)

TIMEOUT = (10, 60)  # connect, read (s)
MAX_RETRY_AFTER_S = 300.0  # the schema's search.max_retry_after_s


class WaitError(DinsarError):
    """A server asks to wait longer than allowed."""


class CappedRetry(Retry):
    """urllib3's Retry, but a Retry-After longer than `max_retry_after_s` stops at once with a
    WaitError, and a shorter one is announced: urllib3 alone sleeps through any value silently
    (up to its own 6 h clamp)."""

    def __init__(self, *args, max_retry_after_s: float = MAX_RETRY_AFTER_S, **kw):
        super().__init__(*args, **kw)
        self.max_retry_after_s = max_retry_after_s

    def new(self, **kw) -> CappedRetry:  # urllib3 rebuilds the Retry after each attempt
        retry = super().new(**kw)
        retry.max_retry_after_s = self.max_retry_after_s
        return retry

    def increment(self, method=None, url=None, response=None, error=None, _pool=None, _stacktrace=None):
        retry = super().increment(method, url, response, error, _pool, _stacktrace)
        # urllib3 logs a status retry (429/5xx) at debug level only: a user would see a download stall.
        # A Retry-After is announced by sleep_for_retry instead
        if response is not None and error is None and not response.headers.get("Retry-After"):
            log.warning("retrying %s%s (retry %s): HTTP %s", getattr(_pool, "host", ""), str(url or "").split("?")[0],
                        retry_count(retry), response.status)
        return retry

    def sleep_for_retry(self, response) -> bool:
        wait = self.get_retry_after(response)
        if not wait:
            return False
        pool = getattr(response, "_pool", None)  # the host: response.url is the path (and query) only
        where = f"{getattr(pool, 'host', '')}{(getattr(response, 'url', None) or '').split('?')[0]}" or "server"
        if wait > self.max_retry_after_s:
            raise WaitError(f"{where}: the server asks to wait {response.headers.get('Retry-After')!s} s before "
                            f"retrying (Retry-After, HTTP {response.status}), more than the "
                            f"{self.max_retry_after_s:g} s allowed (max_retry_after_s); try again later")
        log.warning("%s: HTTP %s, waiting %.0f s as the server asks (Retry-After)", where, response.status, wait)
        time.sleep(wait)
        return True


class RetryLine(logging.Filter):
    """urllib3 logs each connection retry as `Retrying (Retry(total=4, connect=None, read=None, ...))
    after connection broken by 'NewConnectionError("<urllib3.connection.HTTPSConnection object at
    0x7f..>: Failed to establish a new connection: ...")': /path?query` - hard to read in a rule's
    log, and a query may carry a token. Rewritten in place to
    `retrying host/path (retry 1/5): Connection refused`."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not (isinstance(record.msg, str) and record.msg.startswith("Retrying (")
                and isinstance(record.args, tuple) and len(record.args) == 3):
            return True
        retries, err, url = record.args
        host = (getattr(record, "__urllib3-retry-warning", None) or {}).get("host", "")
        record.msg = "retrying %s%s (retry %s): %s"
        record.args = (host, str(url or "").split("?")[0], retry_count(retries), short_reason(err))
        return True


def retry_count(retry) -> str:
    """`2/5`: the retries made so far of all allowed (`2` when the total is not a count)."""
    done = len(getattr(retry, "history", ()) or ())
    left = getattr(retry, "total", None)
    return f"{done}/{done + left}" if isinstance(left, int) and not isinstance(left, bool) else str(done)


def short_reason(err: BaseException | object) -> str:
    """`Connection refused`, `Connection aborted: Remote end closed connection without response`,
    `Read timed out. (read timeout=60)`: the cause, without urllib3's object reprs and pool names."""
    args = getattr(err, "args", ())
    if isinstance(err, ProtocolError) and len(args) == 2 and isinstance(args[1], BaseException):
        text = f"{str(args[0]).rstrip('.')}: {args[1]}"
    else:
        text = str(err)
    text = re.sub(r"^(?:<[^>]*>|\w+\(host=[^)]*\)):\s*", "", text)
    text = text.replace("Failed to establish a new connection: ", "")
    text = re.sub(r"\?\S*", "", " ".join(text.split()))  # a URL's query (a token) never reaches the log
    return text if len(text) <= 120 else text[:117] + "..."


_RETRY_LINE = RetryLine()


def session(retries: int = 5, backoff: float = 0.5, jitter: float = 0.25,
            max_retry_after_s: float = MAX_RETRY_AFTER_S) -> requests.Session:
    retry = CappedRetry(
        total=retries, connect=retries, read=retries, status=retries, backoff_factor=backoff,
        backoff_jitter=jitter, status_forcelist=(429, 500, 502, 503, 504),
        allowed_methods=frozenset({"GET", "HEAD", "POST"}), respect_retry_after_header=True,
        raise_on_status=False, max_retry_after_s=max_retry_after_s,
    )
    pool_log = logging.getLogger("urllib3.connectionpool")
    if _RETRY_LINE not in pool_log.filters:
        pool_log.addFilter(_RETRY_LINE)
    s = requests.Session()
    adapter = HTTPAdapter(max_retries=retry, pool_maxsize=8)
    s.mount("http://", adapter)
    s.mount("https://", adapter)
    s.headers["User-Agent"] = "dinsar/0.1"
    return s
