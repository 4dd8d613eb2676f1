"""One requests session per provider: retries with exponential backoff and jitter on 429/5xx and
connection errors, honouring Retry-After (urllib3's Retry) up to a cap, and timeouts on every call."""

from __future__ import annotations

import logging
import time

import requests
from requests.adapters import HTTPAdapter
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


def session(retries: int = 5, backoff: float = 0.5, jitter: float = 0.25,
            max_retry_after_s: float = MAX_RETRY_AFTER_S) -> requests.Session:
    retry = CappedRetry(
        total=retries, connect=retries, read=retries, status=retries, backoff_factor=backoff,
        backoff_jitter=jitter, status_forcelist=(429, 500, 502, 503, 504),
        allowed_methods=frozenset({"GET", "HEAD", "POST"}), respect_retry_after_header=True,
        raise_on_status=False, max_retry_after_s=max_retry_after_s,
    )
    s = requests.Session()
    adapter = HTTPAdapter(max_retries=retry, pool_maxsize=8)
    s.mount("http://", adapter)
    s.mount("https://", adapter)
    s.headers["User-Agent"] = "dinsar/0.1"
    return s
