"""Catalogue search and download against a real HTTP server on loopback replaying recorded responses.

No test reaches past 127.0.0.1: the connection function of urllib3 refuses any other address.
"""

import json
import logging
import os
import subprocess
import sys
import time

import pytest

from dinsar.catalogue import download as dl
from dinsar.catalogue import http, providers
from dinsar.catalogue.credentials import AuthError, lookup
from dinsar.catalogue.records import Query
from tests.catalogue.server import RECORDED, Server, isolate_catalogues, md5
from tests.conftest import ROOT

SECRET = "s3cr3t-XYZ"


@pytest.fixture(autouse=True)
def loopback_only(monkeypatch):
    isolate_catalogues(monkeypatch)


@pytest.fixture
def server():
    with Server() as s:
        yield s


def _provider(name, server, **kw):
    return providers.make(name, http.session(backoff=0.05, jitter=0.0), server.url, **kw)


def test_peps_records_match_the_recorded_json(server):
    page = json.loads((RECORDED / "peps/resto_search_page1.json").read_text())
    products = _provider("peps", server).search(Query(collection="S2ST", max_results=10))
    assert [p.id for p in products] == [f["id"] for f in page["features"]]
    assert [p.storage for p in products] == ["disk", "tape"]  # one of each in the recording
    for p, f in zip(products, page["features"], strict=True):
        props = f["properties"]
        assert p.name == props["title"] and p.start == props["startDate"]
        assert p.size == props["services"]["download"]["size"]
        assert p.checksums == {"MD5": props["services"]["download"]["checksum"].lower()}
        assert p.url.startswith(server.url) and p.footprint["type"] == f["geometry"]["type"]


def test_cdse_records_and_paging(server):
    page = json.loads((RECORDED / "cdse/odata_products_page1.json").read_text())
    products = _provider("cdse", server).search(Query(box=(137.7, 13.1, 153.7, 23.9), start_date="2020-08-08",
                                                      end_date="2020-08-16", max_results=10))
    assert len(products) == 4  # two recorded pages: the nextLink is followed
    first = products[0]
    v = page["value"][0]
    assert first.id == v["Id"] and first.name == v["Name"].removesuffix(".SAFE")
    assert first.size == v["ContentLength"] and first.online is v["Online"]
    assert first.checksums == {c["Algorithm"]: c["Value"] for c in v["Checksum"]}
    assert first.start == v["ContentDate"]["Start"]
    assert first.url.endswith(f"/odata/v1/Products({v['Id']})/$value")
    sent = [r for r in server.state.requests if r[1].startswith("/odata/v1/Products?")][0][1]
    assert "Intersects" in sent and "ContentDate" in sent


def test_geodes_and_asf_records(server):
    feat = json.loads((RECORDED / "geodes/stac_search.json").read_text())["features"][0]
    (g,) = _provider("geodes", server).search(Query(product_type=None, sensor_mode=None))
    assert g.id == feat["id"] and g.size == 764210185 and g.online is False
    assert g.checksums == {"MD5": "86f828c4c7e921615d1cd0476604f780"} and g.url.startswith(server.url)
    asf = json.loads((RECORDED / "asf/searchapi_geojson_feature_grd.json").read_text())["properties"]
    (a,) = _provider("asf", server).search(Query(product_type="GRD_HD", sensor_mode="IW"))
    assert (a.id, a.name, a.size) == (asf["fileID"], asf["sceneName"], asf["bytes"])
    assert a.checksums == {"MD5": asf["md5sum"]} and a.relative_orbit == asf["pathNumber"]


def test_location_search_needs_a_free_text_provider(server):
    with pytest.raises(providers.CatalogueError, match="cdse: free-text place names are not searchable"):
        _provider("cdse", server).search(Query(location="Piton de la Fournaise"))


def test_reunion_listing_like_peps_download(server, tmp_path, monkeypatch):
    """`dinsar download -n` with the seed's options lists the recorded Reunion products as
    peps_download did: name and disk/tape, with a curl command each and no secret."""
    listing = (RECORDED / "peps/reunion_sm_2016_listing.txt").read_text().split("\n")
    entries = [tuple(line.split()) for line in listing if line.strip()]
    server.resto_page_for(entries, per_page=2)  # three pages
    auth = tmp_path / "peps.txt"
    auth.write_text(f"user {SECRET}\n")
    cmd = [sys.executable, "-m", "dinsar.cli", "download", "--provider", "peps", "--url", server.url, "-a", str(auth),
           "-c", "S1", "-p", "SLC", "-m", "SM", "-d", "2016-08-15", "-f", "2016-10-01", "--latmin", "-21.5",
           "--latmax", "-21.25", "--lonmin", "55.5", "--lonmax", "55.7", "-n", "--json", str(tmp_path / "s.json")]
    run = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    listed = [line for line in run.stdout.splitlines() if not line.startswith("    ")]
    assert listed == [f"{n} {s}" for n, s in entries]
    assert all("curl" in line and "--netrc" in line for line in run.stdout.splitlines() if line.startswith("    "))
    assert SECRET not in run.stdout + run.stderr
    saved = json.loads((tmp_path / "s.json").read_text())
    assert [r["name"] for r in saved] == [n for n, _ in entries] and saved[0]["swath"] == "S4"
    first = [r for r in server.state.requests if "search.json" in r[1]][0][1]
    assert "box=55.5%2C-21.5%2C55.7%2C-21.25" in first and "sensorMode=SM" in first


@pytest.fixture
def zip_bytes(demo_zip):
    return demo_zip.read_bytes()


def _peps_with_file(server, zip_bytes, faults=None, storage="disk"):
    name = "S1A_S4_SLC__1SDV_20160818T014650_20160818T014715_012648_013DB1_0969"
    server.resto_page_for([(name, storage)], files={name: zip_bytes})
    if faults:
        server.state.faults[f"/download/{name}.zip"] = list(faults)
    peps = _provider("peps", server)
    (product,) = peps.search(Query())
    return peps, product


@pytest.mark.parametrize("faults", [[], ["reset"], ["truncate", "reset"], ["500", "503"]])
def test_download_survives_faults_byte_identical(server, zip_bytes, tmp_path, faults, monkeypatch):
    monkeypatch.setattr(dl, "CHUNK", 4096)  # the test zip is ~100 kB: keep what arrives before a cut
    peps, product = _peps_with_file(server, zip_bytes, faults)
    path = dl.download(peps, product, tmp_path, progress=False)
    assert path.read_bytes() == zip_bytes and md5(path.read_bytes()) == product.checksums["MD5"]
    assert not list(tmp_path.glob("*.part")) and not list(tmp_path.glob("*.lock"))
    ranges = [r[2].get("Range") for r in server.state.requests if r[1].startswith("/download/")]
    if "reset" in faults or "truncate" in faults:
        assert any(rng and rng.startswith("bytes=") for rng in ranges)  # resumed, not restarted


def test_download_honours_retry_after(server, zip_bytes, tmp_path):
    peps, product = _peps_with_file(server, zip_bytes, ["429"])
    t0 = time.monotonic()
    path = dl.download(peps, product, tmp_path, progress=False)
    assert time.monotonic() - t0 >= 0.9 and path.read_bytes() == zip_bytes


def test_wrong_checksum_leaves_nothing(server, zip_bytes, tmp_path):
    peps, product = _peps_with_file(server, zip_bytes, ["wrong"])
    with pytest.raises(dl.DownloadError, match="MD5 checksum mismatch"):
        dl.download(peps, product, tmp_path, progress=False)
    assert list(tmp_path.iterdir()) == []


def test_401_names_the_provider_and_where_credentials_were_looked_for(server, zip_bytes, tmp_path, monkeypatch,
                                                                      caplog):
    monkeypatch.setenv("DINSAR_PEPS_USERNAME", "someone")
    monkeypatch.setenv("DINSAR_PEPS_PASSWORD", SECRET)
    peps, product = _peps_with_file(server, zip_bytes, ["401"])
    with caplog.at_level(logging.DEBUG), pytest.raises(AuthError) as err:
        dl.download(peps, product, tmp_path, progress=False)
    message = str(err.value)
    assert message.startswith("peps: download of") and "refused (401)" in message
    assert "credentials used: environment" in message and "DINSAR_PEPS_USERNAME" in message
    assert SECRET not in message and SECRET not in caplog.text
    assert not list(tmp_path.glob("*.zip"))


def test_tape_product_is_staged_then_downloaded(server, zip_bytes, tmp_path):
    peps, product = _peps_with_file(server, zip_bytes, storage="tape")
    assert product.storage == "tape"
    server.state.tape_polls[product.name] = 3
    path = dl.download(peps, product, tmp_path, progress=False, poll_s=0.01, max_polls=10)
    assert path.read_bytes() == zip_bytes
    polls = [r for r in server.state.requests if "identifier=" in r[1]]
    assert len(polls) == 4  # tape, tape, tape, disk


def test_complete_file_is_skipped_and_a_lock_refuses_a_second_writer(server, zip_bytes, tmp_path):
    peps, product = _peps_with_file(server, zip_bytes)
    dl.download(peps, product, tmp_path, progress=False)
    n = len(server.state.requests)
    dl.download(peps, product, tmp_path, progress=False)
    assert len(server.state.requests) == n  # nothing fetched again
    (tmp_path / product.filename).unlink()
    with dl._Lock(tmp_path / f"{product.filename}.lock"):
        with pytest.raises(dl.DownloadError, match="another run is downloading it"):
            dl.download(peps, product, tmp_path, progress=False)


def test_cdse_token_and_download(server, zip_bytes, tmp_path, monkeypatch):
    monkeypatch.setenv("DINSAR_CDSE_USERNAME", "me")
    monkeypatch.setenv("DINSAR_CDSE_PASSWORD", server.state.password)
    cdse = providers.Cdse(http.session(backoff=0.05), server.url, identity_url=server.url, download_url=server.url)
    (product, *_) = cdse.search(Query())
    product.size, product.checksums = len(zip_bytes), {"MD5": md5(zip_bytes)}
    server.add_file(f"/odata/v1/Products({product.id})/$value", zip_bytes)
    path = dl.download(cdse, product, tmp_path, progress=False)
    assert path.read_bytes() == zip_bytes
    got = [r[2].get("Authorization") for r in server.state.requests if "$value" in r[1]]
    assert got == [f"Bearer {server.state.token}"]
    monkeypatch.setenv("DINSAR_CDSE_PASSWORD", "wrong")
    other = providers.Cdse(http.session(backoff=0.05), server.url, identity_url=server.url, download_url=server.url)
    with pytest.raises(AuthError, match="cdse: token request refused") as err:
        other.token()
    assert "wrong" not in str(err.value) and server.state.password not in str(err.value)


def test_credentials_sources(tmp_path, monkeypatch):
    auth = tmp_path / "auth.txt"
    auth.write_text(f"alice {SECRET}\n")
    c = lookup("peps", "peps.example", auth)
    assert (c.username, c.password, c.source) == ("alice", SECRET, f"auth file {auth}")
    assert SECRET not in repr(c)
    netrc = tmp_path / "netrc"
    netrc.write_text(f"machine peps.example login bob password {SECRET}\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    c = lookup("peps", "peps.example")
    assert (c.username, c.source) == ("bob", f"netrc {netrc}")
    monkeypatch.setenv("DINSAR_PEPS_USERNAME", "carol")
    monkeypatch.setenv("DINSAR_PEPS_PASSWORD", SECRET)
    assert lookup("peps", "peps.example").username == "carol"


def test_search_help_documents_every_option():
    run = subprocess.run([sys.executable, "-m", "dinsar.cli", "download", "--help"], capture_output=True, text=True)
    for option in ("-c", "-p", "-m", "-d", "-f", "--lat", "--lon", "--latmin", "--latmax", "--lonmin", "--lonmax",
                   "-l", "-o", "-w", "-a", "-n", "--json", "--provider", "--pol", "--direction", "--max"):
        assert f" {option}" in run.stdout, option
    assert os.path.isdir(ROOT)
