"""One requests session per provider: retries with exponential backoff and jitter on 429/5xx and
connection errors, honouring Retry-After (urllib3's Retry), and timeouts on every call."""

from __future__ import annotations

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

TIMEOUT = (10, 60)  # connect, read (s)


def session(retries: int = 5, backoff: float = 0.5, jitter: float = 0.25) -> requests.Session:
    retry = Retry(
        total=retries, connect=retries, read=retries, status=retries, backoff_factor=backoff,
        backoff_jitter=jitter, status_forcelist=(429, 500, 502, 503, 504),
        allowed_methods=frozenset({"GET", "HEAD", "POST"}), respect_retry_after_header=True,
        raise_on_status=False,
    )
    s = requests.Session()
    adapter = HTTPAdapter(max_retries=retry, pool_maxsize=8)
    s.mount("http://", adapter)
    s.mount("https://", adapter)
    s.headers["User-Agent"] = "dinsar/0.1"
    return s
