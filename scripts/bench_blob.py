#!/usr/bin/env python3
"""Benchmark of a detector run reading its snapshot from Blob Storage (Azurite on loopback).

One day of 1,000,000 rows x 20 columns as CSV is uploaded three ways: one file, four files and ten
files (the same rows split evenly). For each, `driftscan detectors run` scores the day against a
saved baseline profile in the same container, reading the snapshot through the store's ranged
GETs. The table shows the run's wall time and peak RSS (from wait4), the domain classifier's share
(`classifier.duration_ms` of the stored result) and, beside it, the time the Azure SDK for Python
(azure-storage-blob, `max_concurrency=4`) takes just to download the same blobs. Best of
`--repeat` runs each. The column "local file, same" is the same scan, without the classifier, of
the same files on the local disk: the work itself, which the download hides behind when it is
faster than the parsing.

Usage (from the repository root; scripts/bench.sh --blob runs it):
    python scripts/bench_blob.py [--rows 1000000] [--repeat 3] [--data bench-data]
"""

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pyarrow.csv as pacsv

sys.path.insert(0, str(Path(__file__).parent))
from bench import write_dataset  # noqa: E402

KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
DAY = "2026/11/16"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_azurite(tools: Path, workdir: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    proc = subprocess.Popen(
        [str(tools / "node_modules/.bin/azurite-blob"), "--blobHost", "127.0.0.1", "--blobPort", str(port),
         "--location", str(workdir), "--skipApiVersionCheck", "--loose", "--disableTelemetry"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.05)
    else:
        proc.kill()
        sys.exit("Azurite did not start")
    endpoint = f"http://127.0.0.1:{port}/devstoreaccount1"
    cs = (f"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={KEY};"
          f"BlobEndpoint={endpoint};")
    return proc, cs


def split_csv(source: Path, parts: int, out_dir: Path) -> list[Path]:
    """The rows of `source` in `parts` CSV files of (nearly) equal length, each with the header."""
    out_dir.mkdir(parents=True, exist_ok=True)
    files = sorted(out_dir.glob("part-*.csv"))
    if len(files) == parts:
        return files
    for f in files:
        f.unlink()
    table = pacsv.read_csv(source)
    step = -(-table.num_rows // parts)
    paths = []
    for i in range(parts):
        p = out_dir / f"part-{i:02d}.csv"
        pacsv.write_csv(table.slice(i * step, step), p)
        paths.append(p)
    return paths


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--binary", default="target/release/driftscan")
    ap.add_argument("--data", default="bench-data")
    ap.add_argument("--tools", default=".tools")
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--prepare-only", action="store_true", help="write the data sets and stop")
    args = ap.parse_args()

    if not args.prepare_only:
        # Prepare in a child process: on Linux a child's peak RSS starts at its parent's RSS at
        # fork, so a parent grown by reading the CSV to split it would inflate every measured peak.
        subprocess.run([sys.executable, *sys.argv, "--prepare-only"], check=True)

    data = Path(args.data)
    data.mkdir(parents=True, exist_ok=True)
    base = write_dataset(data / f"baseline_{args.rows}", args.rows, seed=1, shift=0.0)
    targ = write_dataset(data / f"target_{args.rows}", args.rows, seed=2, shift=0.25)
    profile = data / f"baseline_{args.rows}.profile"
    if not profile.exists():
        subprocess.run([args.binary, "profile", "--input", str(base["csv"]), "--out", str(profile)], check=True)
    split = {parts: split_csv(targ["csv"], parts, data / f"target_{args.rows}_x{parts}") for parts in (4, 10)}
    if args.prepare_only:
        return

    from azure.storage.blob import BlobServiceClient

    workdir = Path(tempfile.mkdtemp(prefix="bench-azurite-"))
    azurite, cs = start_azurite(Path(args.tools), workdir)
    try:
        service = BlobServiceClient.from_connection_string(cs)
        container = service.create_container("bench")
        with open(profile, "rb") as f:
            container.upload_blob("baselines/train.profile", f, overwrite=True)
        layouts = []
        for parts in (1, 4, 10):
            files = [targ["csv"]] if parts == 1 else split[parts]
            prefix = f"snapshots/x{parts}"
            for f in files:
                with open(f, "rb") as fh:
                    container.upload_blob(f"{prefix}/{DAY}/{f.name}", fh, overwrite=True, max_concurrency=4)
            layouts.append((parts, prefix, files))

        env = dict(os.environ, AZURE_STORAGE_CONNECTION_STRING=cs, DRIFTSCAN_METRICS_FILE="off", RUST_LOG="error")
        header = (f"{'snapshot':<16} {'MB':>6} {'run wall s':>11} {'peak RSS MB':>12} {'classifier s':>13} "
                  f"{'run w/o classifier s':>21} {'local file, same s':>17} {'SDK download s':>15} {'ratio':>6}")
        print(header)
        print("-" * len(header))
        for parts, prefix, files in layouts:
            name = f"blob{parts}"
            definition = {
                "name": name, "model_name": "bench", "model_version": 1, "services": ["svc"],
                "baseline": "baselines/train.profile", "snapshots": f"{prefix}/{{yyyy}}/{{MM}}/{{dd}}/",
            }
            definition_file = workdir / f"{name}.json"
            definition_file.write_text(json.dumps(definition))
            subprocess.run([args.binary, "detectors", "create", str(definition_file), "--store", "az://bench"],
                           env=env, check=True, stdout=subprocess.DEVNULL)
            size_mb = sum(f.stat().st_size for f in files) / 1e6
            best = None
            for _ in range(args.repeat):
                start = time.perf_counter()
                proc = subprocess.Popen(
                    [args.binary, "detectors", "run", name, "--store", "az://bench", "--date", DAY.replace("/", "-")],
                    env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
                out = proc.stdout.read()
                err = proc.stderr.read()
                _, status, usage = os.wait4(proc.pid, 0)
                wall = time.perf_counter() - start
                if os.waitstatus_to_exitcode(status) != 0:
                    sys.exit(f"detectors run failed: {err.decode().strip()}")
                stored = container.download_blob(f"runs/{name}/svc/{DAY}.json").readall()
                result = json.loads(stored)
                if result["run"]["status"] != "succeeded":
                    sys.exit(f"run did not succeed: {result['run']}")
                clf = (result.get("classifier") or {}).get("duration_ms", 0) / 1000.0
                row = (wall, usage.ru_maxrss * 1024, clf)
                best = row if best is None or row[0] < best[0] else best
            sdk = None
            for _ in range(args.repeat):
                start = time.perf_counter()
                # Into /dev/null (seekable, as parallel downloads need): the bytes are fetched and
                # dropped, and this process does not grow.
                with open(os.devnull, "wb") as sink:
                    for f in files:
                        container.download_blob(f"{prefix}/{DAY}/{f.name}", max_concurrency=4).readinto(sink)
                took = time.perf_counter() - start
                sdk = took if sdk is None else min(sdk, took)
            # The same scan on the same files from the local disk: what reading from Blob Storage
            # adds to the work itself (parsing and profiling the CSV).
            local_target = str(files[0]) if parts == 1 else str(files[0].parent)
            local = None
            for _ in range(args.repeat):
                start = time.perf_counter()
                out = subprocess.run(
                    [args.binary, "scan", "--baseline", str(profile), "--target", local_target, "--json"],
                    env=env, check=True, capture_output=True).stdout
                took = time.perf_counter() - start - json.loads(out)["classifier"]["duration_ms"] / 1000.0
                local = took if local is None else min(local, took)
            wall, rss, clf = best
            print(f"{f'{parts} file(s)':<16} {size_mb:>6.0f} {wall:>11.2f} {rss / 1e6:>12.0f} {clf:>13.2f} "
                  f"{wall - clf:>21.2f} {local:>17.2f} {sdk:>15.2f} {(wall - clf) / sdk:>6.2f}")
    finally:
        azurite.kill()
        azurite.wait()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
