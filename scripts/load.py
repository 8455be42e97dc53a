#!/usr/bin/env python3
"""Bounded load on `driftscan serve` over loopback, with wrk.

Prepares a local store with a detector and a year of daily results (copies of one real result of
20 features, dates changed), starts the release server, and measures with wrk (2 threads, 16
connections, `--duration` seconds each): `GET /`, `GET .../output` of one day and of 30 days. Then
eight runs of a detector whose baseline is a 140 MB CSV (1,000,000 rows x 20 columns) are started
at once, each for another day. Prints requests/s, p50/p99 latency and the server's peak RSS
(VmHWM) after each phase.

Usage (from the repository root; scripts/load.sh installs wrk and builds the binary):
    python scripts/load.py [--duration 10] [--data bench-data]
"""

import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from bench import write_dataset  # noqa: E402


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def wrk(url: str, duration: int) -> tuple[float, str, str]:
    out = subprocess.run(["wrk", "-t2", "-c16", f"-d{duration}s", "--latency", url],
                         capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p50 = re.search(r"\s50%\s+(\S+)", out).group(1)
    p99 = re.search(r"\s99%\s+(\S+)", out).group(1)
    if "Non-2xx" in out:
        sys.exit(f"wrk saw errors on {url}:\n{out}")
    return rps, p50, p99


def post(url: str, body: dict) -> dict:
    req = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                 headers={"content-type": "application/json"})
    with urllib.request.urlopen(req, timeout=600) as r:
        return json.loads(r.read())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--binary", default="target/release/driftscan")
    ap.add_argument("--data", default="bench-data")
    ap.add_argument("--duration", type=int, default=10)
    args = ap.parse_args()

    data = Path(args.data)
    data.mkdir(parents=True, exist_ok=True)
    base = write_dataset(data / "baseline_1000000", 1_000_000, seed=1, shift=0.0)
    targ = write_dataset(data / "target_100000", 100_000, seed=2, shift=0.25)
    store = Path(tempfile.mkdtemp(prefix="load-store-"))
    try:
        # One real result, copied to every day of a year.
        result = json.loads(subprocess.run(
            [args.binary, "scan", "--baseline", str(targ["csv"]), "--target", str(targ["csv"]), "--json"],
            capture_output=True, check=True).stdout)
        result["detector"], result["service_name"] = "load", "svc"
        first = date(2025, 1, 1)
        for i in range(365):
            d = first + timedelta(days=i)
            result["datetime"] = d.isoformat()
            folder = store / "runs/load/svc" / f"{d:%Y/%m}"
            folder.mkdir(parents=True, exist_ok=True)
            (folder / f"{d:%d}.json").write_text(json.dumps(result))
        size_kb = len(json.dumps(result)) / 1000
        (store / "detectors").mkdir()
        (store / "detectors/load.json").write_text(json.dumps({
            "name": "load", "model_name": "m", "model_version": 1, "services": ["svc"],
            "baseline": "training/base.csv"}))
        (store / "training").mkdir()
        shutil.copy(base["csv"], store / "training/base.csv")
        (store / "detectors/big.json").write_text(json.dumps({
            "name": "big", "model_name": "m", "model_version": 1, "services": ["svc"],
            "baseline": "training/base.csv", "snapshots": "days/{yyyy}/{MM}/{dd}/"}))
        run_days = [date(2026, 11, 1) + timedelta(days=i) for i in range(8)]
        for d in run_days:
            folder = store / f"days/{d:%Y/%m/%d}"
            folder.mkdir(parents=True)
            shutil.copy(targ["csv"], folder / "data.csv")

        port = free_port()
        server = subprocess.Popen([args.binary, "serve", "--port", str(port), "--store", str(store)],
                                  env=dict(os.environ, DRIFTSCAN_METRICS_FILE="off", RUST_LOG="error"),
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            base_url = f"http://127.0.0.1:{port}"
            for _ in range(200):
                try:
                    urllib.request.urlopen(base_url + "/", timeout=1).read()
                    break
                except OSError:
                    time.sleep(0.05)
            print(f"history: 365 results of {size_kb:.0f} kB each; wrk -t2 -c16 -d{args.duration}s")
            header = f"{'case':<44} {'requests/s':>11} {'p50':>9} {'p99':>9} {'server peak RSS MB':>19}"
            print(header)
            print("-" * len(header))
            for name, path in [
                ("GET /", "/"),
                ("GET output, 1 day (year stored)", "/api/detectors/load/output?start=2025-06-15&end=2025-06-15"),
                ("GET output, 30 days (year stored)", "/api/detectors/load/output?start=2025-06-01&end=2025-06-30"),
            ]:
                rps, p50, p99 = wrk(base_url + path, args.duration)
                print(f"{name:<44} {rps:>11,.0f} {p50:>9} {p99:>9} {peak_rss_mb(server.pid):>19.0f}")

            # Eight runs at once against the 140 MB baseline (the first one profiles and caches it).
            errors, took = [], []

            def one(d: date) -> None:
                start = time.perf_counter()
                try:
                    out = post(f"{base_url}/api/detectors/big/run", {"target_date": d.isoformat()})
                    if out["runs"][0]["status"] != "succeeded":
                        errors.append(out)
                except Exception as e:  # noqa: BLE001 - reported below
                    errors.append(str(e))
                took.append(time.perf_counter() - start)

            start = time.perf_counter()
            threads = [threading.Thread(target=one, args=(d,)) for d in run_days]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            wall = time.perf_counter() - start
            if errors:
                sys.exit(f"runs failed: {errors}")
            mb = base["csv"].stat().st_size / 1e6
            print(f"{f'8 concurrent runs, {mb:.0f} MB baseline':<44} {8 / wall:>11.2f} "
                  f"{sorted(took)[3]:>8.1f}s {max(took):>8.1f}s {peak_rss_mb(server.pid):>19.0f}")
        finally:
            server.kill()
            server.wait()
    finally:
        shutil.rmtree(store, ignore_errors=True)


if __name__ == "__main__":
    main()
