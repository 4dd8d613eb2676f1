"""Orbit files from the public s1-orbits bucket (no account), CDSE kept: S3 ListBucketResult pages
written here, served by a fake session; the EOF served is the real Azores restituted orbit."""

import numpy as np
import pytest
import requests

from dinsar.catalogue import providers
from dinsar.catalogue.orbits import OrbitBucket, fetch_orbit
from dinsar.catalogue.providers import CatalogueError
from dinsar.io.eof import read_eof
from tests.conftest import AZORES_EOF

BUCKET, CDSE = "http://s1-orbits.test", "http://cdse.test"
PRODUCT = "S1A_IW_SLC__1SDV_20220918T074921_20220918T074946_045056_056232_0063"  # 07:49:21 .. 07:49:46
S3_NS = "http://s3.amazonaws.com/doc/2006-03-01/"

# by creation time, as the bucket lists them; only the names say what they cover
POE_OLD = "S1A_OPER_AUX_POEORB_OPOD_20221008T081542_V20220917T225942_20220919T005942.EOF"  # covers
POE_NEW = "S1A_OPER_AUX_POEORB_OPOD_20221009T081000_V20220917T225942_20220919T005942.EOF"  # covers, newer
POE_BEFORE = "S1A_OPER_AUX_POEORB_OPOD_20221007T081542_V20220916T225942_20220918T005942.EOF"  # ends too early
POE_B = "S1B_OPER_AUX_POEORB_OPOD_20221008T081542_V20220917T225942_20220919T005942.EOF"  # other satellite
RES = "S1A_OPER_AUX_RESORB_OPOD_20220918T093241_V20220918T053155_20220918T084925.EOF"  # covers
RES_EDGE = "S1A_OPER_AUX_RESORB_OPOD_20220918T080000_V20220918T044000_20220918T075000.EOF"  # stops 14 s after


class Response:
    def __init__(self, body):
        self.status_code, self.content = (body, b"") if isinstance(body, int) else (200, body)

    def json(self):
        import json

        return json.loads(self.content)


class Session:
    """url -> bytes, an HTTP status, an exception, or a function of the query parameters."""

    def __init__(self, files):
        self.files, self.calls = files, []

    def get(self, url, params=None, timeout=None, **kw):
        self.calls.append((url, dict(params or {})))
        body = self.files.get(url, 404)
        body = body(dict(params or {})) if callable(body) else body
        if isinstance(body, Exception):
            raise body
        return Response(body)


def listing(keys, truncated=False) -> bytes:
    contents = "".join(f"<Contents><Key>{k}</Key><Size>4000</Size></Contents>" for k in keys)
    return (f'<?xml version="1.0" encoding="UTF-8"?><ListBucketResult xmlns="{S3_NS}"><Name>s1-orbits</Name>'
            f"<IsTruncated>{str(truncated).lower()}</IsTruncated>{contents}</ListBucketResult>").encode()


def bucket_files(poeorb, resorb, pages=None):
    """The bucket: a listing per kind (S3 answers keys after `marker`, by name), the EOF files."""
    keys = {"AUX_POEORB": sorted(f"AUX_POEORB/{n}" for n in poeorb),
            "AUX_RESORB": sorted(f"AUX_RESORB/{n}" for n in resorb)}

    def answer(params):
        kind = params["prefix"].split("/")[0]
        after = [k for k in keys[kind] if k.startswith(params["prefix"]) and k > params["marker"]]
        n = pages or len(after) or 1
        return listing(after[:n], truncated=len(after) > n)

    files = {f"{BUCKET}/": answer}
    files.update({f"{BUCKET}/{k}": AZORES_EOF.read_bytes() for ks in keys.values() for k in ks})
    return files


@pytest.fixture(autouse=True)
def no_credentials(monkeypatch):
    monkeypatch.delenv("DINSAR_CDSE_USERNAME", raising=False)
    monkeypatch.delenv("DINSAR_CDSE_PASSWORD", raising=False)
    monkeypatch.delenv("DINSAR_ORBIT_BUCKET_URL", raising=False)
    monkeypatch.setenv("NETRC", "/nonexistent/netrc")


def sources(files, cdse_files=None):
    aws, cdse = Session(files), Session(cdse_files or {})
    return aws, cdse, OrbitBucket(aws, BUCKET), providers.Cdse(cdse, CDSE, identity_url=CDSE, download_url=CDSE)


def test_precise_from_the_bucket_without_an_account(tmp_path):
    aws, cdse, bucket, provider = sources(bucket_files([POE_BEFORE, POE_OLD, POE_NEW, POE_B], [RES]))
    path = fetch_orbit(PRODUCT, tmp_path, provider, bucket)
    assert path.name == POE_NEW  # covers the product ±60 s, the newest of the two that do
    assert path.read_bytes() == AZORES_EOF.read_bytes() and len(read_eof(path).time) > 8
    assert not cdse.calls  # no credentials: the bucket first, and it had the orbit
    (url, params), _ = aws.calls
    assert url == f"{BUCKET}/" and params["prefix"] == "AUX_POEORB/S1A_OPER_AUX_POEORB_OPOD_"
    assert params["marker"] == "AUX_POEORB/S1A_OPER_AUX_POEORB_OPOD_20220917T074921"  # a day before the start
    n = len(aws.calls)
    assert fetch_orbit(PRODUCT, tmp_path, provider, bucket) == path and len(aws.calls) == n  # cached


def test_restituted_when_no_precise_covers(tmp_path):
    aws, cdse, bucket, provider = sources(bucket_files([POE_BEFORE, POE_B], [RES_EDGE, RES]))
    path = fetch_orbit(PRODUCT, tmp_path, provider, bucket)
    assert path.name == RES  # RES_EDGE stops 14 s after the product: less than the 60 s margin
    kinds = [p["prefix"].split("/")[0] for u, p in aws.calls if u == f"{BUCKET}/"]
    assert kinds == ["AUX_POEORB", "AUX_RESORB"]


def test_listing_pages_are_followed(tmp_path):
    early = [f"S1A_OPER_AUX_POEORB_OPOD_202209{d:02d}T081542_V202208{d:02d}T225942_202208{d + 2:02d}T005942.EOF"
             for d in range(18, 28)]  # created after the marker, covering August: not this product
    aws, _, bucket, provider = sources(bucket_files([*early, POE_OLD], [], pages=4))
    assert fetch_orbit(PRODUCT, tmp_path, provider, bucket).name == POE_OLD
    markers = [p["marker"] for u, p in aws.calls if u == f"{BUCKET}/"]
    assert len(markers) == 3 and markers[1] == f"AUX_POEORB/{sorted(early)[3]}"


def test_cdse_first_with_credentials_then_the_bucket(tmp_path, monkeypatch):
    monkeypatch.setenv("DINSAR_CDSE_USERNAME", "me")
    monkeypatch.setenv("DINSAR_CDSE_PASSWORD", "pw")
    aws, cdse, bucket, provider = sources(bucket_files([POE_OLD], []), {f"{CDSE}/odata/v1/Products": 500})
    path = fetch_orbit(PRODUCT, tmp_path, provider, bucket)
    assert path.name == POE_OLD
    assert cdse.calls[0][0] == f"{CDSE}/odata/v1/Products" and "AUX_POEORB" in cdse.calls[0][1]["$filter"]
    assert len(cdse.calls) == 1  # CDSE down: asked once, then the bucket served


def test_no_orbit_anywhere_is_one_line(tmp_path):
    late = PRODUCT.replace("20220918T0749", "20220925T0749")
    empty = {f"{CDSE}/odata/v1/Products": b'{"value": []}'}
    aws, cdse, bucket, provider = sources(bucket_files([POE_OLD], [RES]), empty)
    with pytest.raises(CatalogueError) as e:
        fetch_orbit(late, tmp_path, provider, bucket)
    msg = str(e.value)
    assert "\n" not in msg and msg.startswith("no S1A orbit file (precise or restituted) covers S1A_IW")
    assert msg.endswith("on s1-orbits or cdse") and str(np.datetime64("2022-09-25T07:49:21", "ns")) in msg
    bucket.session.files[f"{BUCKET}/"] = requests.ConnectionError("no route")  # the bucket unreachable too
    with pytest.raises(CatalogueError) as e:
        fetch_orbit(late, tmp_path / "b", provider, bucket)
    msg = str(e.value)
    assert "\n" not in msg and "s1-orbits: listing failed (ConnectionError" in msg and BUCKET in msg


def test_error_page_from_the_bucket_is_not_kept(tmp_path):
    files = bucket_files([POE_OLD], [])
    files[f"{BUCKET}/AUX_POEORB/{POE_OLD}"] = b"<html>SlowDown</html>"
    aws, _, bucket, provider = sources(files, {f"{CDSE}/odata/v1/Products": b'{"value": []}'})
    with pytest.raises(CatalogueError, match=r"the downloaded orbit file is not usable"):
        fetch_orbit(PRODUCT, tmp_path, provider, bucket)
    assert not list((tmp_path / "orbits").glob("*.EOF")) and not list((tmp_path / "orbits" / "downloads").glob("*"))
