"""A loopback HTTP server replaying the recorded catalogue responses and serving product zips,
with injectable faults: 401, 429 + Retry-After (any value), 500, 503, a reset halfway, a wrong
checksum, a truncated body, an HTML error page with status 200, tape products that come online
after N polls, several pages; and faults on the search answers themselves (401, 429)."""

from __future__ import annotations

import copy
import hashlib
import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlparse

from tests.conftest import DATA

RECORDED = DATA / "catalog_responses"
HTML_PAGE = (b"<!DOCTYPE html>\n<html><head><title>Service maintenance</title></head>\n"
             b"<body><p>The download service is under maintenance.</p></body></html>\n")
HOST_RE = re.compile(r"https://[a-z0-9.-]+\.(?:fr|eu|edu|gov)")


def guard_loopback(monkeypatch) -> None:
    """Make any connection to a host other than this machine fail the test."""
    import urllib3.util.connection

    real = urllib3.util.connection.create_connection

    def guarded(address, *args, **kwargs):
        if address[0] not in ("127.0.0.1", "localhost"):
            raise AssertionError(f"a test tried to reach {address[0]}")
        return real(address, *args, **kwargs)

    monkeypatch.setattr(urllib3.util.connection, "create_connection", guarded)


def isolate_catalogues(monkeypatch) -> None:
    """Loopback only, and none of the user's catalogue credentials (env, API key, ~/.netrc) in reach."""
    guard_loopback(monkeypatch)
    for name in ("CDSE", "ASF", "GEODES", "PEPS"):
        monkeypatch.delenv(f"DINSAR_{name}_USERNAME", raising=False)
        monkeypatch.delenv(f"DINSAR_{name}_PASSWORD", raising=False)
    monkeypatch.delenv("DINSAR_GEODES_API_KEY", raising=False)
    monkeypatch.setenv("NETRC", "/nonexistent/netrc")


def recorded(name: str, base: str) -> dict:
    """A recorded response with its absolute hosts pointed at `base`."""
    return json.loads(HOST_RE.sub(base, (RECORDED / name).read_text()))


class State:
    def __init__(self):
        self.files: dict[str, bytes] = {}  # path -> bytes served
        self.faults: dict[str, list[str]] = {}  # path -> faults to apply, one per request, in order
        self.requests: list[tuple[str, str, dict]] = []  # method, path, headers
        self.tape_polls: dict[str, int] = {}  # product name -> polls before it is on disk
        self.search_faults: list[str] = []  # faults of the next catalogue (non-file) answers, in order
        self.resto_pages: list[dict] = []
        self.orbits: list[dict] = []  # CDSE OData records of orbit files (Name, Id, ContentDate, ...)
        self.token = "tok-123"
        self.password = "s3cr3t-XYZ"


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):  # keep test output clean
        pass

    @property
    def state(self) -> State:
        return self.server.state

    def _json(self, obj, status=200):
        body = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _status(self, status, headers=None):
        self.send_response(status)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_POST(self):
        length = int(self.headers.get("Content-Length", 0))
        form = parse_qs(self.rfile.read(length).decode())
        self.state.requests.append(("POST", self.path, dict(self.headers)))
        if self.path.endswith("/protocol/openid-connect/token"):
            if form.get("grant_type") == ["password"] and form.get("password") != [self.state.password]:
                return self._status(401)
            return self._json({"access_token": self.state.token, "refresh_token": "ref", "expires_in": 600})
        self._status(404)

    def do_GET(self):
        url = urlparse(self.path)
        q = parse_qs(url.query)
        self.state.requests.append(("GET", self.path, dict(self.headers)))
        base = f"http://127.0.0.1:{self.server.server_port}"
        if url.path not in self.state.files and self.state.search_faults:
            fault = self.state.search_faults.pop(0)
            if fault == "401":
                return self._status(401)
            if fault.startswith("429"):
                return self._status(429, {"Retry-After": fault.partition(":")[2] or "1"})
        if url.path.startswith("/resto/api/collections/") and url.path.endswith("/search.json"):
            if "identifier" in q:  # a tape product's status poll
                name = q["identifier"][0]
                left = self.state.tape_polls.get(name, 0)
                self.state.tape_polls[name] = max(0, left - 1)
                page = copy.deepcopy(self.state.resto_pages[0])
                page["features"] = [f for f in page["features"] if f["properties"]["title"] == name]
                for f in page["features"]:
                    f["properties"]["storage"]["mode"] = "tape" if left > 0 else "disk"
                return self._json(page)
            if self.state.resto_pages:
                k = int(q.get("page", ["1"])[0]) - 1
                return self._json(self.state.resto_pages[k])
            page = recorded("peps/resto_search_page1.json", base)
            if int(q.get("page", ["1"])[0]) > 1:  # the recording has one page: the next ones are empty
                page["features"] = []
            return self._json(page)
        if url.path == "/odata/v1/Products" and "AUX_" in q.get("$filter", [""])[0]:
            return self._json({"value": self._orbit_query(q["$filter"][0])})
        if url.path == "/odata/v1/Products":
            page = recorded("cdse/odata_products_page1.json", base)
            if "$skip" in url.query or "skip=2" in url.query:
                page["value"] = [dict(v, Id=v["Id"] + "-2", Name="P2" + v["Name"]) for v in page["value"]]
                page.pop("@odata.nextLink", None)
            else:
                page["@odata.nextLink"] = f"{base}/odata/v1/Products?$skip=2"
            return self._json(page)
        if url.path.startswith("/api/stac/collections/"):
            page = recorded("geodes/stac_search.json", base)
            if int(q.get("page", ["1"])[0]) > 1:
                page["features"] = []
            return self._json(page)
        if url.path == "/services/search/param":
            return self._json(recorded("asf/searchapi_geojson_feature_grd.json", base))
        if url.path in self.state.files:
            return self._file(url.path)
        self._status(404)

    def _orbit_query(self, flt: str) -> list[dict]:
        """The orbit records matching a CDSE filter: mission + kind prefix, validity around the times."""
        prefix = re.search(r"startswith\(Name,'([^']+)'\)", flt).group(1)
        before = re.search(r"ContentDate/Start lt ([0-9T:.-]+)Z", flt).group(1)
        after = re.search(r"ContentDate/End gt ([0-9T:.-]+)Z", flt).group(1)
        return [r for r in self.state.orbits if r["Name"].startswith(prefix)
                and r["ContentDate"]["Start"][:-1] < before and r["ContentDate"]["End"][:-1] > after]

    def _file(self, path):
        faults = self.state.faults.get(path, [])
        fault = faults.pop(0) if faults else None
        data = self.state.files[path]
        if fault == "401":
            return self._status(401)
        if fault and fault.startswith("429"):  # "429" or "429:<Retry-After>"
            return self._status(429, {"Retry-After": fault.partition(":")[2] or "1"})
        if fault in ("500", "503"):
            return self._status(int(fault))
        if fault == "tape":
            return self._status(202)
        if fault == "html":  # a maintenance page answered as a success, whatever the Range asked
            page = HTML_PAGE
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(page)))
            self.end_headers()
            self.wfile.write(page)
            return
        if fault == "wrong":  # a byte flipped in transit: still a zip's first bytes, a wrong checksum
            mid = len(data) // 2
            data = data[:mid] + bytes([data[mid] ^ 0xFF]) + data[mid + 1:]
        start = 0
        rng = self.headers.get("Range")
        if rng:
            start = int(re.match(r"bytes=(\d+)-", rng).group(1))
        body = data[start:]
        self.send_response(206 if rng else 200)
        if rng:
            self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Accept-Ranges", "bytes")
        self.end_headers()
        if fault in ("reset", "truncate"):
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            self.close_connection = True
            if fault == "reset":
                self.connection.shutdown(2)
            return
        self.wfile.write(body)


class Server:
    def __init__(self):
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.state = State()
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_port}"

    @property
    def state(self) -> State:
        return self.httpd.state

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()

    def add_file(self, path: str, data: bytes) -> str:
        self.state.files[path] = data
        return f"{self.url}{path}"

    def add_orbit(self, eof_name: str, data: bytes, zipped: bool = True) -> None:
        """An orbit file in the CDSE catalogue (a record in the recorded OData schema) and its $value."""
        import io
        import zipfile

        template = recorded("cdse/odata_products_page1.json", self.url)["value"][0]
        body = data
        if zipped:
            buf = io.BytesIO()
            with zipfile.ZipFile(buf, "w") as z:
                z.writestr(eof_name, data)
            body = buf.getvalue()
        ident = f"orbit-{len(self.state.orbits)}"
        start, stop = eof_name.split("_V")[1].removesuffix(".EOF").split("_")

        def iso(t):
            return f"{t[:4]}-{t[4:6]}-{t[6:8]}T{t[9:11]}:{t[11:13]}:{t[13:15]}.000000Z"

        record = dict(copy.deepcopy(template), Id=ident, Name=eof_name, ContentLength=len(body), Online=True,
                      Checksum=[{"Algorithm": "MD5", "Value": hashlib.md5(body).hexdigest()}],
                      ContentDate={"Start": iso(start), "End": iso(stop)}, Attributes=[])
        self.state.orbits.append(record)
        self.add_file(f"/odata/v1/Products({ident})/$value", body)

    def resto_page_for(self, names_storage: list[tuple[str, str]], files: dict[str, bytes] | None = None,
                       per_page: int = 0) -> None:
        """resto pages in the recorded schema listing `names_storage`, split into pages of per_page."""
        template = recorded("peps/resto_search_page1.json", self.url)
        feature = template["features"][0]
        feats = []
        for k, (name, storage) in enumerate(names_storage):
            f = copy.deepcopy(feature)
            f["id"] = f"id-{k}"
            p = f["properties"]
            p.update(title=name, productIdentifier=name, collection="S1", productType="SLC", sensorMode="SM",
                     startDate=f"{name[17:21]}-{name[21:23]}-{name[23:25]}T{name[26:28]}:{name[28:30]}:00Z",
                     relativeOrbitNumber=151, platform=name[:3])
            p["storage"] = {"mode": storage}
            data = (files or {}).get(name)
            dl = p["services"]["download"]
            dl["url"] = self.add_file(f"/download/{name}.zip", data) if data else f"{self.url}/download/{name}.zip"
            dl["size"] = len(data) if data else 1000
            dl["checksum"] = hashlib.md5(data).hexdigest().upper() if data else "0" * 32
            feats.append(f)
        per_page = per_page or len(feats) or 1
        pages = [feats[i:i + per_page] for i in range(0, max(len(feats), 1), per_page)]
        self.state.resto_pages = []
        for i, chunk in enumerate(pages):
            page = copy.deepcopy(template)
            page["features"] = chunk
            page["properties"]["totalResults"] = len(feats)
            links = [lk for lk in page["properties"]["links"] if lk["rel"] not in ("next", "last")]
            if i + 1 < len(pages):
                links.append({"rel": "next", "href": f"{self.url}/resto/api/collections/S1/search.json?page={i + 2}"})
            page["properties"]["links"] = links
            self.state.resto_pages.append(page)


def md5(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


def read(path: Path) -> bytes:
    return Path(path).read_bytes()
