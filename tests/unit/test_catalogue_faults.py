"""What a catalogue or its download service can do wrong, against the loopback server: an error page
served as a success, a product name that is a path, a Retry-After of a day, a tape product that never
comes online, an impossible date, a 401 on search. Each ends in one clear line, quickly, with nothing
bad kept and nothing written outside the download folder.
"""

import json
import logging
import subprocess
import sys
import time

import pytest
import yaml

from dinsar.catalogue import download as dl
from dinsar.catalogue import http, providers
from dinsar.catalogue.credentials import AuthError
from dinsar.catalogue.records import Product, Query
from dinsar.errors import ConfigError, DinsarError
from dinsar.steps import catalogue as steps_catalogue
from tests.catalogue.server import HTML_PAGE, Server, isolate_catalogues
from tests.conftest import ROOT, WORKFLOW

SECRET = "s3cr3t-XYZ"
NAME = "S1A_S4_SLC__1SDV_20160818T014650_20160818T014715_012648_013DB1_0969"


@pytest.fixture(autouse=True)
def loopback_only(monkeypatch):
    isolate_catalogues(monkeypatch)


@pytest.fixture
def server():
    with Server() as s:
        yield s


@pytest.fixture
def zip_bytes(demo_zip):
    return demo_zip.read_bytes()


@pytest.fixture
def no_long_sleep(monkeypatch):
    """Fail at once, rather than hang, where the code under test would sleep for long."""
    real = time.sleep

    def guarded(seconds):
        if seconds > 20:
            raise AssertionError(f"slept {seconds} s")
        real(seconds)

    monkeypatch.setattr(time, "sleep", guarded)


def _provider(name, server, **kw):
    return providers.make(name, http.session(backoff=0.05, jitter=0.0, **kw), server.url)


def _peps_with_file(server, data, faults=None, storage="disk", size=True, checksum=True, **kw):
    server.resto_page_for([(NAME, storage)], files={NAME: data})
    if faults:
        server.state.faults[f"/download/{NAME}.zip"] = list(faults)
    peps = _provider("peps", server, **kw)
    (product,) = peps.search(Query())
    if not size:
        product.size = None
    if not checksum:
        product.checksums = {}
    return peps, product


def _cli(*args, timeout=60):
    return subprocess.run([sys.executable, "-m", "dinsar.cli", *args], capture_output=True, text=True,
                          timeout=timeout, cwd=ROOT)


def _last_line(run) -> str:
    return run.stderr.strip().splitlines()[-1]


def _downloads(server):
    return [r for r in server.state.requests if r[1].startswith("/download/")]


# ------------------------------------------------------------------------- 1. bad content, kept or spliced


def test_html_page_served_as_200_is_not_kept_without_size_or_checksum(server, zip_bytes, tmp_path):
    peps, product = _peps_with_file(server, zip_bytes, ["html"], size=False, checksum=False)
    with pytest.raises(dl.DownloadError) as err:
        dl.download(peps, product, tmp_path, progress=False)
    message = str(err.value)
    assert message.startswith(f"{NAME}: peps served text/html (HTTP 200, starting b'<!DOCTYPE html>")
    assert "\n" not in message and "nothing written" in message
    assert list(tmp_path.iterdir()) == []


def test_html_page_is_not_spliced_onto_a_resume_when_only_the_size_is_known(server, zip_bytes, tmp_path,
                                                                           monkeypatch):
    monkeypatch.setattr(dl, "CHUNK", 4096)
    peps, product = _peps_with_file(server, zip_bytes, ["truncate", "html"], checksum=False)
    with pytest.raises(dl.DownloadError, match=f"^{NAME}: peps served text/html"):
        dl.download(peps, product, tmp_path, progress=False)
    assert not (tmp_path / product.filename).exists()
    part = tmp_path / f"{product.filename}.part"
    assert not part.exists() or zip_bytes.startswith(part.read_bytes())  # what is kept is the zip's start
    path = dl.download(peps, product, tmp_path, progress=False)  # the service is back
    assert path.read_bytes() == zip_bytes


def test_part_that_is_not_the_start_of_a_zip_is_not_resumed(server, zip_bytes, tmp_path, caplog):
    peps, product = _peps_with_file(server, zip_bytes, checksum=False)
    (tmp_path / f"{product.filename}.part").write_bytes(HTML_PAGE)  # left by an earlier run
    with caplog.at_level(logging.WARNING):
        path = dl.download(peps, product, tmp_path, progress=False)
    assert path.read_bytes() == zip_bytes
    assert [r[2].get("Range") for r in _downloads(server)] == [None]  # started over
    assert "is not the start of a zip" in caplog.text


def test_error_page_kept_as_the_zip_by_an_earlier_run_is_downloaded_again(server, zip_bytes, tmp_path):
    peps, product = _peps_with_file(server, zip_bytes, size=False, checksum=False)
    (tmp_path / product.filename).write_bytes(HTML_PAGE)
    path = dl.download(peps, product, tmp_path, progress=False)
    assert path.read_bytes() == zip_bytes and len(_downloads(server)) == 1


def test_cut_zip_without_size_or_checksum_is_not_kept(server, zip_bytes, tmp_path):
    peps, product = _peps_with_file(server, zip_bytes[: len(zip_bytes) // 2], size=False, checksum=False)
    with pytest.raises(dl.DownloadError, match=f"^{NAME}: the \\d+ bytes downloaded are not a whole zip archive"):
        dl.download(peps, product, tmp_path, progress=False)
    assert list(tmp_path.iterdir()) == []


# ------------------------------------------------------------------------- 2. catalogue names that are paths


@pytest.mark.parametrize("name", ["../../escaped", "/tmp/escaped", "sub/escaped", "escaped\x00", "..", ".",
                                  ".hidden", "two\nlines", "", "back\\slash", "C:escaped"])
def test_a_name_that_is_not_a_plain_file_name_is_refused(name):
    with pytest.raises(DinsarError) as err:
        _ = Product(provider="peps", id="x", name=name, start="2016-08-18").filename
    message = str(err.value)
    assert message.startswith(f"{name!r}: the catalogue gave a product name that is not a plain file name")
    assert "\n" not in message


@pytest.mark.parametrize("name", [NAME, "S1_136231_IW2_20200604T022312_VV_7C85-BURST",
                                  "S1A_OPER_AUX_POEORB_OPOD_20221008T081542_V20220917T225942_20220919T005942"])
def test_real_product_names_are_plain(name):
    assert Product(provider="asf", id="x", name=name, start="2016-08-18").filename == f"{name}.zip"


@pytest.mark.parametrize("hostile", ["../escaped", "{tmp}/absolute"])
def test_download_writes_nothing_outside_the_download_folder(server, zip_bytes, tmp_path, hostile):
    peps, product = _peps_with_file(server, zip_bytes)
    product.name = hostile.format(tmp=tmp_path)
    dest = tmp_path / "w"
    with pytest.raises(DinsarError, match="not a plain file name"):
        dl.download(peps, product, dest, progress=False)
    assert sorted(p.name for p in tmp_path.rglob("*")) == [] and _downloads(server) == []


def test_dry_run_refuses_a_name_that_is_a_path(server, zip_bytes, tmp_path):
    server.resto_page_for([(NAME, "disk")], files={NAME: zip_bytes})
    server.state.resto_pages[0]["features"][0]["properties"]["title"] = "../../../tmp/escaped"
    run = _cli("download", "--provider", "peps", "--url", server.url, "-w", str(tmp_path / "w"), "-n")
    assert run.returncode == 1 and "-o ../" not in run.stdout
    assert _last_line(run) == ("dinsar: '../../../tmp/escaped': the catalogue gave a product name that is not a "
                               "plain file name (letters, digits, '_', '-', '.'); refused: as a path it could "
                               "lead outside the download folder")


def test_workflow_steps_refuse_a_name_that_is_a_path(server, zip_bytes, tmp_path):
    server.resto_page_for([(NAME, "disk")], files={NAME: zip_bytes})
    hostile = "../escaped"
    record = _provider("peps", server).search(Query())[0].to_json()
    found = tmp_path / "search.json"
    found.write_text(json.dumps({"provider": "peps", "products": [dict(record, name=hostile)]}))
    dst = tmp_path / "results" / "downloads" / "escaped.zip"
    with pytest.raises(DinsarError, match="^'../escaped': the catalogue gave a product name"):
        steps_catalogue.download_product(found, {"url": server.url}, hostile, dst)
    assert not list(tmp_path.rglob("*.zip")) and _downloads(server) == []
    server.state.resto_pages[0]["features"][0]["properties"]["title"] = hostile
    with pytest.raises(DinsarError, match="^'../escaped': the catalogue gave a product name"):
        steps_catalogue.search({"provider": "peps", "url": server.url}, {"master": "2016-08-18",
                               "slave": "2016-08-18"}, tmp_path / "chosen.json")
    assert not (tmp_path / "chosen.json").exists()


# ------------------------------------------------------------------------- 3. waits that do not end


def test_retry_after_beyond_the_cap_stops_at_once(server, zip_bytes, tmp_path, no_long_sleep):
    peps, product = _peps_with_file(server, zip_bytes, ["429:100000"])  # the default cap: 300 s
    t0 = time.monotonic()
    with pytest.raises(DinsarError) as err:  # not a sleep of 27 h (no_long_sleep fails that at once)
        dl.download(peps, product, tmp_path, progress=False)
    assert time.monotonic() - t0 < 10 and type(err.value).__name__ == "WaitError"
    assert str(err.value) == (f"127.0.0.1/download/{NAME}.zip: the server asks to wait 100000 s before retrying "
                              "(Retry-After, HTTP 429), more than the 300 s allowed (max_retry_after_s); try "
                              "again later")
    assert not list(tmp_path.glob("*.zip"))


def test_retry_after_cap_is_configurable_and_a_shorter_wait_is_announced(server, zip_bytes, tmp_path, caplog):
    peps, product = _peps_with_file(server, zip_bytes, ["429:2"], max_retry_after_s=1)
    t0 = time.monotonic()
    with pytest.raises(http.WaitError, match="asks to wait 2 s before retrying"):
        dl.download(peps, product, tmp_path, progress=False)
    assert time.monotonic() - t0 < 1.5
    server.state.faults[f"/download/{NAME}.zip"] = ["429:1"]
    with caplog.at_level(logging.WARNING):
        path = dl.download(peps, product, tmp_path, progress=False)
    assert path.read_bytes() == zip_bytes
    assert f"127.0.0.1/download/{NAME}.zip: HTTP 429, waiting 1 s as the server asks (Retry-After)" in caplog.text


def test_search_answered_with_a_day_of_retry_after_ends_quickly(server):
    server.state.search_faults = ["429:100000"]
    t0 = time.monotonic()
    run = _cli("search", "--provider", "peps", "--url", server.url, timeout=30)
    assert run.returncode == 1 and time.monotonic() - t0 < 30
    assert _last_line(run).startswith("dinsar: 127.0.0.1/resto/api/collections/S1/search.json: the server asks "
                                      "to wait 100000 s before retrying")


def test_tape_product_that_never_comes_online_stops_at_the_staging_cap(server, zip_bytes, tmp_path, caplog):
    peps, product = _peps_with_file(server, zip_bytes, storage="tape")
    server.state.tape_polls[NAME] = 10**9
    t0 = time.monotonic()
    with caplog.at_level(logging.WARNING), pytest.raises(providers.CatalogueError) as err:
        dl.download(peps, product, tmp_path, progress=False, poll_s=0.05, staging_wait_s=0.3)
    assert time.monotonic() - t0 < 5
    assert str(err.value).startswith(f"peps: {NAME} still on tape after 0 s (")
    assert "staging_wait_s 0.3 s" in str(err.value)
    assert f"peps: {NAME} is on tape; staging asked for, checking every 0.05 s for up to 0.3 s" in caplog.text
    assert not list(tmp_path.glob("*.zip"))


def test_staging_cap_from_the_command_line(server, zip_bytes, tmp_path):
    server.resto_page_for([(NAME, "tape")], files={NAME: zip_bytes})
    server.state.tape_polls[NAME] = 10**9
    run = _cli("download", "--provider", "peps", "--url", server.url, "-w", str(tmp_path), "--staging_wait_s", "0",
               timeout=30)
    assert run.returncode == 1, run.stderr
    assert f"WARNING dinsar.catalogue.peps: peps: {NAME} is on tape; staging asked for" in run.stderr
    assert _last_line(run).startswith(f"dinsar: peps: {NAME} still on tape after")


def test_staging_cap_from_the_site_config(server, zip_bytes, tmp_path, no_long_sleep):
    server.resto_page_for([(NAME, "tape")], files={NAME: zip_bytes})
    server.state.tape_polls[NAME] = 10**9
    record = _provider("peps", server).search(Query())[0].to_json()
    found = tmp_path / "search.json"
    found.write_text(json.dumps({"provider": "peps", "products": [record]}))
    with pytest.raises(providers.CatalogueError, match=f"^peps: {NAME} still on tape after"):
        steps_catalogue.download_product(found, {"url": server.url, "staging_wait_s": 0}, NAME,
                                         tmp_path / f"{NAME}.zip")
    schema = yaml.safe_load((WORKFLOW / "schemas" / "config.schema.yaml").read_text())
    search = schema["properties"]["search"]["properties"]
    assert search["staging_wait_s"]["default"] == providers.STAGING_WAIT_S
    assert search["max_retry_after_s"]["default"] == http.MAX_RETRY_AFTER_S


# ------------------------------------------------------------------------- 4. impossible dates


@pytest.mark.parametrize("option, date", [("-d", "2016-13-45"), ("-f", "2016-02-30"), ("-d", "2016-1-5"),
                                          ("-f", "yesterday")])
def test_impossible_date_stops_before_any_request(server, option, date):
    run = _cli("search", "--provider", "peps", "--url", server.url, option, date, timeout=30)
    long = {"-d": "--start_date", "-f": "--end_date"}[option]
    assert run.returncode != 0
    assert _last_line(run).endswith(f"error: argument {option}/{long}: {date!r} is not a date YYYY-MM-DD")
    assert server.state.requests == []


def test_impossible_date_in_the_site_config():
    with pytest.raises(ConfigError, match=r"^search.start_date: '2016-13-45' is not a date YYYY-MM-DD$"):
        steps_catalogue.query_from_config({"start_date": "2016-13-45"})


# ------------------------------------------------------------------------- 5. 401 on search


def test_search_401_says_where_credentials_were_looked_for(server, monkeypatch):
    monkeypatch.setenv("DINSAR_PEPS_USERNAME", "someone")
    monkeypatch.setenv("DINSAR_PEPS_PASSWORD", SECRET)
    server.state.search_faults = ["401"]
    with pytest.raises(AuthError) as err:
        _provider("peps", server).search(Query())
    assert str(err.value) == (
        f"peps: search refused (401) by {server.url}; dinsar sends no credentials with a search (check the "
        "catalogue URL); credentials for downloads: found in environment; looked in: "
        "DINSAR_PEPS_USERNAME/DINSAR_PEPS_PASSWORD; no auth file given (-a, search.auth)")


def test_search_401_from_the_command_line_names_the_auth_file_and_no_secret(server, tmp_path):
    auth = tmp_path / "peps.txt"
    auth.write_text(f"user {SECRET}\n")
    server.state.search_faults = ["401"]
    run = _cli("search", "--provider", "peps", "--url", server.url, "-a", str(auth), timeout=30)
    assert run.returncode == 1 and SECRET not in run.stdout + run.stderr
    assert _last_line(run).startswith("dinsar: peps: search refused (401) by")
    assert _last_line(run).endswith(f"credentials for downloads: found in auth file {auth}; looked in: auth file "
                                    f"{auth}")
    server.state.search_faults = ["401"]
    run = _cli("search", "--provider", "peps", "--url", server.url, timeout=30)
    assert _last_line(run).endswith("credentials for downloads: none found; looked in: DINSAR_PEPS_USERNAME/"
                                    "DINSAR_PEPS_PASSWORD; /nonexistent/netrc (machine 127.0.0.1); no auth file "
                                    "given (-a, search.auth)")


def test_geodes_401_names_its_api_key_not_its_value(server, monkeypatch):
    monkeypatch.setenv("DINSAR_GEODES_API_KEY", SECRET)
    server.state.search_faults = ["401"]
    with pytest.raises(AuthError) as err:
        _provider("geodes", server).search(Query(product_type=None, sensor_mode=None))
    assert str(err.value) == (f"geodes: search refused (401) by {server.url}; dinsar sends the API key of "
                              "DINSAR_GEODES_API_KEY, which is set")
