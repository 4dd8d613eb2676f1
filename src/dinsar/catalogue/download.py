"""Downloads that do not lose data.

Each product goes to <name>.zip.part, resumes with an HTTP Range after an interruption,
is checked (size, and MD5 or BLAKE3 when the provider gives one) and renamed atomically;
a lock file keeps two runs from writing the same product; a complete file is skipped.
What is served must look like a zip from its first bytes on (an error page answered with
status 200 is refused before anything is written), and a .part is resumed only if it starts
like one. Status retries (429/5xx with Retry-After, connection errors) are urllib3's; a body
cut halfway is resumed here, a bounded number of times. Progress: a tqdm bar on a terminal, else
(inside a Snakemake rule, whose log is a file) an INFO line every ~10 %.
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import os
import sys
import time
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests
from tqdm import tqdm

from dinsar.catalogue import providers
from dinsar.catalogue.http import TIMEOUT
from dinsar.catalogue.providers import Provider
from dinsar.catalogue.records import Product
from dinsar.errors import DinsarError

log = logging.getLogger(__name__)
CHUNK = 1 << 16  # what a cut connection can lose before the resume
ZIP_MAGIC = b"PK\x03\x04"  # a zip's first local file header
# what catalogues answer instead of a product (maintenance, login or quota pages), whatever the status
NOT_A_PRODUCT = ("text/", "application/json", "application/xml", "application/xhtml")
# an unzipped orbit file is XML itself (text/xml or application/xml): only pages are refused then
NOT_A_FILE = ("text/html", "application/json", "application/xhtml")
PROGRESS_MIN_BYTES = 10_000_000  # smaller files (orbits) get no progress lines
UNSIZED_STEP = 500_000_000  # without a catalogue size: a line every this many bytes


class DownloadError(DinsarError):
    """A product could not be downloaded intact."""


def _hasher(algorithm: str):
    if algorithm == "MD5":
        return hashlib.md5()
    if algorithm == "BLAKE3":
        try:
            import blake3
        except ImportError:
            return None
        return blake3.blake3()
    return None


def verify(path: Path, product: Product, expect_zip: bool = True) -> None:
    """Size, checksum and (`expect_zip`) zip structure of a finished download; raise DownloadError
    (and remove it) on mismatch."""
    size = path.stat().st_size
    if product.size and size != product.size:
        path.unlink(missing_ok=True)
        raise DownloadError(f"{product.name}: downloaded {size} bytes, the catalogue says {product.size}")
    for algorithm, expected in product.checksums.items():
        h = _hasher(algorithm)
        if h is None:
            continue
        with open(path, "rb") as f:
            for block in iter(lambda: f.read(CHUNK), b""):
                h.update(block)
        if h.hexdigest().lower() != expected.lower():
            path.unlink(missing_ok=True)
            raise DownloadError(f"{product.name}: {algorithm} checksum mismatch; the partial file was removed")
        break  # one verified checksum is enough
    # without size and checksum, only the central directory at the end tells a whole zip from a cut one
    if expect_zip and not zipfile.is_zipfile(path):
        path.unlink(missing_ok=True)
        raise DownloadError(f"{product.name}: the {size} bytes downloaded are not a whole zip archive; removed")


def _starts_like_zip(path: Path) -> bool:
    with open(path, "rb") as f:
        return f.read(len(ZIP_MAGIC)) == ZIP_MAGIC


def _refuse_content(product: Product, provider: Provider, r, head: bytes | None, expect_zip: bool = True) -> None:
    """DownloadError when the answer is not the product: a text/JSON/HTML type (only HTML/JSON when the
    file may come unzipped), or (`head`, the first bytes of a body that starts the file) no zip signature.
    Raised before anything is written."""
    ctype = (r.headers.get("Content-Type") or "").split(";")[0].strip().lower()
    refused = NOT_A_PRODUCT if expect_zip else NOT_A_FILE
    if ctype.startswith(refused) or (head is not None and not head.startswith(ZIP_MAGIC)):
        start = f", starting {head[:48]!r}" if head else ""
        raise DownloadError(f"{product.name}: {provider.name} served {ctype or 'no Content-Type'} (HTTP "
                            f"{r.status_code}{start}), not the product zip; nothing written")


def _terminal() -> bool:
    return sys.stderr.isatty()


def _bytes(n: float) -> str:
    for unit in ("B", "kB", "MB", "GB"):
        if n < 1000:
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n:.1f} TB"


class _Progress:
    """Where one download stands. A bar (tqdm) redraws itself with carriage returns, which a rule's
    log file keeps as one endless line: off a terminal, or with `bar` False, an INFO line every
    ~10 % instead (`<file>: 40 % of 4.1 GB`), each decile once even across resumes."""

    def __init__(self, name: str, total: int | None, bar: bool):
        self.name, self.total, self.done, self.logged = name, total, 0, 0
        self.bar = tqdm(total=total, unit="B", unit_scale=True, desc=name[:40], leave=False) if bar else None
        self.lines = not bar and (not total or total >= PROGRESS_MIN_BYTES)

    def start(self, have: int) -> None:
        """A new attempt, from byte `have` on."""
        self.done = 0
        if self.bar is not None:
            self.bar.reset(total=self.total)
        self.update(have)

    def update(self, n: int) -> None:
        self.done += n
        if self.bar is not None:
            self.bar.update(n)
        if not self.lines or not n:
            return
        if self.total:
            step = min(10, self.done * 10 // self.total)
            if step > self.logged:
                log.info("%s: %d %% of %s", self.name, step * 10, _bytes(self.total))
        else:
            step = self.done // UNSIZED_STEP
            if step > self.logged:
                log.info("%s: %s so far", self.name, _bytes(self.done))
        self.logged = max(self.logged, step)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


class _Lock:
    def __init__(self, path: Path):
        self.path = path

    def __enter__(self):
        self.fd = os.open(self.path, os.O_CREAT | os.O_RDWR, 0o644)
        try:
            fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(self.fd)
            raise DownloadError(f"{self.path.with_suffix('')}: another run is downloading it (lock held)") from None
        return self

    def __exit__(self, *exc):
        fcntl.flock(self.fd, fcntl.LOCK_UN)
        os.close(self.fd)
        self.path.unlink(missing_ok=True)


def download(provider: Provider, product: Product, dest: str | Path, resumes: int = 5,
             progress: bool = True, poll_s: float = 60.0, max_polls: int | None = None,
             staging_wait_s: float = providers.STAGING_WAIT_S, expect_zip: bool = True) -> Path:
    """Download one product into `dest`; returns the final path (skipped when already complete).
    A tape product is waited for `staging_wait_s` at most; `expect_zip` False for a file that may come
    unzipped (orbit files). `progress`: a bar when stderr is a terminal; without one (or with
    `progress` False) progress is logged (INFO) every ~10 % for files of 10 MB or more."""
    dest = Path(dest)
    final = dest / product.filename  # refuses a name that is not a plain file name
    if final.resolve().parent != dest.resolve():
        raise DownloadError(f"{product.name}: would be written to {final.resolve()}, outside {dest}")
    dest.mkdir(parents=True, exist_ok=True)
    if final.exists() and (not product.size or final.stat().st_size == product.size):
        if not expect_zip or _starts_like_zip(final):
            log.info("%s already complete", final)
            return final
        log.warning("%s is not a zip (an error page kept by an earlier run?); downloading it again", final)
    with _Lock(final.with_name(final.name + ".lock")):
        product = provider.ensure_online(product, poll_s=poll_s, max_polls=max_polls,
                                         staging_wait_s=staging_wait_s)
        part = final.with_name(final.name + ".part")
        bar = _Progress(product.filename, product.size, bar=progress and _terminal())
        try:
            for attempt in range(resumes + 1):
                have = part.stat().st_size if part.exists() else 0
                if have and expect_zip and not _starts_like_zip(part):
                    log.warning("%s is not the start of a zip; starting the download again", part)
                    part.unlink()
                    have = 0
                if product.size and have >= product.size:
                    break
                url, headers, auth = provider.request(product)
                headers = dict(headers)
                if have:
                    headers["Range"] = f"bytes={have}-"
                try:
                    with provider.session.get(url, headers=headers, auth=auth, stream=True, timeout=TIMEOUT) as r:
                        if r.status_code == 401:
                            raise provider.auth_error(f"download of {product.name}")
                        if r.status_code == 416:  # nothing left beyond what we have
                            break
                        if r.status_code >= 400:
                            raise DownloadError(f"{product.name}: HTTP {r.status_code} from {provider.name}")
                        mode = "ab" if have and r.status_code == 206 else "wb"
                        blocks = r.iter_content(CHUNK)
                        head = b""
                        if mode == "wb":  # the file's first bytes: they must be a zip's
                            for block in blocks:
                                head += block
                                if len(head) >= len(ZIP_MAGIC):
                                    break
                        _refuse_content(product, provider, r, head if mode == "wb" and expect_zip else None, expect_zip)
                        bar.start(have if mode == "ab" else 0)
                        with open(part, mode) as f:
                            f.write(head)
                            bar.update(len(head))
                            for block in blocks:
                                f.write(block)
                                bar.update(len(block))
                    if not product.size:
                        break
                except (requests.ConnectionError, requests.exceptions.ChunkedEncodingError,
                        requests.Timeout) as e:
                    log.warning("%s: interrupted (%s), resuming (%d/%d)", product.name, type(e).__name__,
                                attempt + 1, resumes)
                    time.sleep(min(2**attempt, 30) * 0.1)
                    continue
                if part.exists() and product.size and part.stat().st_size < product.size:
                    log.warning("%s: body ended at %d of %d bytes, resuming", product.name, part.stat().st_size,
                                product.size)
                    continue
                break
            else:
                raise DownloadError(f"{product.name}: still incomplete after {resumes} resumes")
            if not part.exists():
                raise DownloadError(f"{product.name}: nothing was downloaded")
            verify(part, product, expect_zip)
            os.replace(part, final)
        finally:
            bar.close()
    log.info("downloaded %s (%s bytes)", final, final.stat().st_size)
    return final


def download_all(provider: Provider, products: list[Product], dest: str | Path, parallel: int = 2,
                 progress: bool = True, **kw) -> list[Path]:
    """Bounded parallel downloads with an overall progress bar; the first failure is raised."""
    with ThreadPoolExecutor(max_workers=max(1, parallel)) as pool, \
            tqdm(total=len(products), desc="products", disable=not (progress and _terminal())) as overall:
        futures = [pool.submit(download, provider, p, dest, progress=progress, **kw) for p in products]
        paths = []
        for f in futures:
            paths.append(f.result())
            overall.update(1)
    return paths
