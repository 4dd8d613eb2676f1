"""Off a terminal (a Snakemake rule logs to a file) a download reports its progress as ~10 log
lines, `<file>: 40 % of 12.0 MB`, each decile once even when the transfer is cut and resumed."""

import io
import logging
import re
import zipfile

import pytest
import requests

from dinsar.catalogue import download as dl
from dinsar.catalogue.records import Product


def _zip(size: int) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as z:
        z.writestr("S1A_TEST.SAFE/measurement/s1a.tiff", bytes(range(256)) * (size // 256))
    return buf.getvalue()


class _Response:
    def __init__(self, body: bytes, status: int, cut_at: int | None):
        self.body, self.status_code, self.cut_at = body, status, cut_at
        self.headers = {"Content-Type": "application/zip"}

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def iter_content(self, chunk: int):
        for i in range(0, len(self.body), chunk):
            if self.cut_at is not None and i >= self.cut_at:
                raise requests.exceptions.ChunkedEncodingError("cut")
            yield self.body[i:i + chunk]


class _Provider:
    """Serves `body`, honouring Range; the first answer is cut at `cut_at` bytes."""

    name = "fake"

    def __init__(self, body: bytes, cut_at: int | None = None):
        self.body, self.cut_at, self.session = body, cut_at, self

    def ensure_online(self, product, **kw):
        return product

    def request(self, product):
        return "http://127.0.0.1/x.zip", {}, None

    def get(self, url, headers, **kw):
        start = int(re.match(r"bytes=(\d+)-", headers["Range"]).group(1)) if "Range" in headers else 0
        cut, self.cut_at = self.cut_at, None
        return _Response(self.body[start:], 206 if start else 200, cut)


def _progress_lines(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == dl.log.name and " % of " in r.getMessage()]


@pytest.mark.parametrize("cut_at", [None, 5_432_100])
def test_about_ten_lines_off_a_terminal(tmp_path, caplog, monkeypatch, cut_at):
    monkeypatch.setattr(dl, "_terminal", lambda: False)  # as in a rule, even under `pytest -s`
    body = _zip(12_000_000)
    product = Product(provider="fake", id="1", name="S1A_TEST", start="2016-08-18", size=len(body))
    with caplog.at_level(logging.INFO, logger=dl.log.name):
        path = dl.download(_Provider(body, cut_at), product, tmp_path)
    assert path.read_bytes() == body
    lines = _progress_lines(caplog)
    assert lines == [f"S1A_TEST.zip: {p} % of 12.0 MB" for p in range(10, 101, 10)]


def test_no_lines_with_a_bar_or_for_small_files(tmp_path, caplog, monkeypatch):
    monkeypatch.setattr(dl, "_terminal", lambda: False)
    body = _zip(1_000_000)  # an orbit file's size: below PROGRESS_MIN_BYTES
    product = Product(provider="fake", id="1", name="S1A_TEST", start="2016-08-18", size=len(body))
    with caplog.at_level(logging.INFO, logger=dl.log.name):
        dl.download(_Provider(body), product, tmp_path)
    assert _progress_lines(caplog) == []
    big = _zip(12_000_000)
    product.size = len(big)
    monkeypatch.setattr(dl, "_terminal", lambda: True)  # a terminal: the tqdm bar, no log lines
    with caplog.at_level(logging.INFO, logger=dl.log.name):
        dl.download(_Provider(big), product, tmp_path / "tty")
    assert _progress_lines(caplog) == []


def test_unsized_download_logs_by_volume(caplog, monkeypatch):
    monkeypatch.setattr(dl, "UNSIZED_STEP", 1_000_000)
    progress = dl._Progress("x.zip", None, bar=False)
    with caplog.at_level(logging.INFO, logger=dl.log.name):
        for _ in range(50):
            progress.update(65_536)
    assert [r.getMessage() for r in caplog.records] == [f"x.zip: {n}.0 MB so far" for n in (1, 2, 3)]
