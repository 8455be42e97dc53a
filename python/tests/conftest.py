"""Shared fixtures: seeded datasets, the installed ``driftscan`` command, a ``driftscan serve``
on loopback, and Azurite (the Blob Storage stand-in) for ``az://`` stores.

Nothing is skipped: a missing component fails the test that needs it and says why.
"""

from __future__ import annotations

import base64
import datetime as dt
import email.utils
import hashlib
import hmac
import http.client
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any, Iterator

import numpy as np
import pandas as pd
import pytest

REPO = Path(__file__).resolve().parents[2]

#: The scoring date every scan of the suite writes into its result, so documents compare.
DATE = "2026-11-24"


def driftscan_command() -> str:
    """The ``driftscan`` console script of the environment running the tests (the wheel's)."""
    beside = Path(sys.executable).parent / "driftscan"
    if beside.exists():
        return str(beside)
    found = shutil.which("driftscan")
    assert found, "the `driftscan` command is not installed with the wheel"
    return found


def run_cli(*args: str, check: bool = True, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Runs the wheel's ``driftscan`` command."""
    proc = subprocess.run(
        [driftscan_command(), *args],
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, **(env or {})},
    )
    if check:
        assert proc.returncode == 0, f"driftscan {' '.join(args)} exited {proc.returncode}: {proc.stderr}"
    return proc


def cli_scan_json(baseline: str, target: str, *extra: str) -> dict[str, Any]:
    """``driftscan scan --json`` on two locations, as a document."""
    proc = run_cli("scan", "--baseline", baseline, "--target", target, "--json", "--date", DATE, *extra)
    return json.loads(proc.stdout)


# Keys whose values differ from run to run (clock) or name where the data came from.
_VOLATILE = {("run", "started_at"), ("run", "duration_ms"), ("classifier", "duration_ms")}
_PROVENANCE = {"source", "files", "content_hash"}


def comparable(doc: dict[str, Any]) -> dict[str, Any]:
    """A result document without its clock readings and data provenance (source names, file
    counts, content hashes)."""
    doc = json.loads(json.dumps(doc))
    for section, key in _VOLATILE:
        if isinstance(doc.get(section), dict):
            doc[section].pop(key, None)
    for side in ("baseline", "target"):
        for key in _PROVENANCE:
            doc[side].pop(key, None)
    for signal in doc.get("signals", []):
        for side in ("reference", "production"):
            for key in _PROVENANCE:
                signal.get(side, {}).pop(key, None)
    return doc


def frame(rows: int, seed: int, shift: float = 0.0, new_region: float = 0.0,
          missing: float = 0.05) -> pd.DataFrame:
    """A seeded credit-style table: numeric columns of several shapes (with missing values),
    integers, and a categorical column."""
    rng = np.random.default_rng(seed)
    income = rng.lognormal(10.5 + shift, 0.4, rows).round(2)
    income[rng.random(rows) < missing] = np.nan
    regions = np.array(["north", "south", "east", "west"])
    region = regions[rng.integers(0, 4, rows)].astype(object)
    region[rng.random(rows) < new_region] = "overseas"
    return pd.DataFrame(
        {
            "age": rng.integers(18, 80, rows),
            "income": income,
            "utilization": (rng.beta(2, 5, rows) + shift * 0.1).round(4),
            "score": rng.standard_t(5, rows).round(3),
            "region": region,
        }
    )


@pytest.fixture()
def workdir() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="driftscan-py-") as d:
        yield Path(d)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stop_process(proc: subprocess.Popen[Any]) -> None:
    """Asks a helper process to end, and kills it if it has not within 10 s."""
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


class Server:
    """``driftscan serve`` on a loopback port, stopped at the end of the test."""

    def __init__(self, store: Path | str, env: dict[str, str] | None = None) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc = subprocess.Popen(
            [driftscan_command(), "serve", "--store", str(store), "--port", str(self.port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            env={**os.environ, **(env or {})},
        )
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(self.url + "/", timeout=2) as r:
                    if r.status == 200:
                        return
            except OSError:
                pass
            if self.proc.poll() is not None:
                raise AssertionError(f"driftscan serve exited: {self.proc.stderr.read().decode()}")
            assert time.monotonic() < deadline, "driftscan serve did not answer within 30 s"
            time.sleep(0.1)

    def stop(self) -> None:
        stop_process(self.proc)


@pytest.fixture()
def serve() -> Iterator[Any]:
    servers: list[Server] = []

    def start(store: Path | str, env: dict[str, str] | None = None) -> Server:
        s = Server(store, env)
        servers.append(s)
        return s

    yield start
    for s in servers:
        s.stop()


# -- Azurite ---------------------------------------------------------------------------------------

AZURITE_ACCOUNT = "devstoreaccount1"
# The documented, public key of Azurite's development account.
AZURITE_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="


class Azurite:
    """Azurite's blob service on a free loopback port, data in a temporary folder."""

    def __init__(self, binary: str) -> None:
        self.port = free_port()
        self.dir = tempfile.TemporaryDirectory(prefix="driftscan-azurite-")
        self.endpoint = f"http://127.0.0.1:{self.port}/{AZURITE_ACCOUNT}"
        self.proc = subprocess.Popen(
            [binary, "--blobHost", "127.0.0.1", "--blobPort", str(self.port),
             "--location", self.dir.name, "--skipApiVersionCheck", "--loose", "--disableTelemetry"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                assert self.proc.poll() is None, f"Azurite `{binary}` exited before listening"
                assert time.monotonic() < deadline, "Azurite did not listen within 30 s"
                time.sleep(0.1)

    @property
    def connection_string(self) -> str:
        return (
            f"DefaultEndpointsProtocol=http;AccountName={AZURITE_ACCOUNT};"
            f"AccountKey={AZURITE_KEY};BlobEndpoint={self.endpoint};"
        )

    def create_container(self, name: str) -> None:
        """One Shared-Key-signed ``PUT ?restype=container`` (the store cannot create
        containers)."""
        self._signed_put(f"{name}?restype=container", f"/{name}\nrestype:container", b"", {}, what=f"creating container {name}")

    def put_blob(self, container: str, key: str, data: bytes) -> None:
        """One Shared-Key-signed ``Put Blob`` (a block blob) of ``data`` under ``key``."""
        self._signed_put(f"{container}/{key}", f"/{container}/{key}", data, {"x-ms-blob-type": "BlockBlob"},
                         what=f"putting {container}/{key}")

    def _signed_put(self, path: str, resource: str, body: bytes, ms_headers: dict[str, str], what: str) -> None:
        """A ``PUT`` signed with the account's Shared Key: the string to sign is the verb, the
        content length (empty for 0), the ``x-ms-*`` headers in order and the canonical resource.
        http.client sends only these headers (urllib would add a Content-Type, which is signed)."""
        headers = {**ms_headers, "x-ms-date": email.utils.formatdate(usegmt=True), "x-ms-version": "2021-08-06"}
        length = str(len(body)) if body else ""
        canonical = "".join(f"{k}:{v}\n" for k, v in sorted(headers.items()))
        to_sign = f"PUT\n\n\n{length}\n\n\n\n\n\n\n\n\n{canonical}/{AZURITE_ACCOUNT}/{AZURITE_ACCOUNT}{resource}"
        secret = base64.b64decode(AZURITE_KEY)
        sig = base64.b64encode(hmac.new(secret, to_sign.encode(), hashlib.sha256).digest()).decode()
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        conn.request("PUT", f"/{AZURITE_ACCOUNT}/{path}", body=body, headers={
            **headers, "Content-Length": str(len(body)), "Authorization": f"SharedKey {AZURITE_ACCOUNT}:{sig}",
        })
        response = conn.getresponse()
        assert response.status == 201, f"{what}: HTTP {response.status} {response.read()!r}"
        conn.close()

    def stop(self) -> None:
        stop_process(self.proc)
        self.dir.cleanup()


@pytest.fixture(scope="session")
def azurite() -> Iterator[Azurite]:
    binary = os.environ.get("DRIFTSCAN_AZURITE_BIN") or str(
        REPO / ".tools" / "node_modules" / ".bin" / "azurite-blob"
    )
    if not os.path.exists(binary):
        pytest.fail(
            f"Azurite is needed for az:// stores and was not found at `{binary}` "
            "(scripts/test.sh installs it; or set DRIFTSCAN_AZURITE_BIN)"
        )
    az = Azurite(binary)
    yield az
    az.stop()


def today() -> dt.date:
    return dt.datetime.now(dt.timezone.utc).date()
