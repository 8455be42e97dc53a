#!/usr/bin/env python3
"""Benchmark of a rolling reference window: assembled from cached day profiles, or re-read.

Generates seeded daily snapshots (20 numeric columns, 100,000 rows a day by default, 91 days) in a
local store laid out as `data/svc/{yyyy}/{MM}/{dd}/inputs.<format>`, creates a Day detector with a
90-day rolling reference (`P90D` offset `P1D`: the 90 days before the scored day), and times, with
the release binary:

* `detectors run`, cold: no day cached, so the run profiles the 90 reference days (and caches them)
  and the scored day: what re-reading the window costs inside driftscan;
* `detectors run`, cached: the same run again, which merges the 90 cached day profiles and profiles
  only the scored day;
* `scan`: the 90 days' files as the baseline folder and the scored day as the target, what a user
  would run by hand to re-read the window.

For each it prints the best wall time of `--repeat` runs, what was read (MB of data files, or of
cached profiles for the cached run) and its MB/s, and the peak RSS (from `wait4`). The cached run is
checked to give the same coefficient as the cold one.

Usage (from the repository root; scripts/bench.sh --windows builds the binary and sets up the venv):
    python scripts/bench_windows.py [--rows 100000] [--days 90] [--format csv] [--repeat 3]
                                    [--data bench-data/windows]
"""

import argparse
import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

COLUMNS = 20
SERVICE = "svc"
DETECTOR = "rolling90"


def make_day(rows: int, day_index: int) -> pa.Table:
    """20 numeric columns of mixed shapes, drifting slowly with the day."""
    rng = np.random.default_rng(7_000 + day_index)
    cols = {}
    for c in range(COLUMNS):
        kind = c % 4
        if kind == 0:
            v = rng.normal(0.0, 1.0, rows)
        elif kind == 1:
            v = rng.lognormal(0.0, 0.75, rows)
        elif kind == 2:
            v = rng.poisson(4.0, rows).astype(np.float64)
        else:
            v = rng.standard_t(3.0, rows)
        if c in (3, 7, 12):
            v = v + 0.002 * day_index
        cols[f"f{c:02d}"] = np.round(v, 4)
    return pa.table(cols)


def day_folder(store: Path, day: dt.date) -> Path:
    return store / "data" / SERVICE / f"{day:%Y}" / f"{day:%m}" / f"{day:%d}"


def generate(store: Path, first: dt.date, days: int, rows: int, fmt: str) -> list[Path]:
    files = []
    for i in range(days + 1):
        day = first + dt.timedelta(days=i)
        folder = day_folder(store, day)
        path = folder / f"inputs.{fmt}"
        files.append(path)
        if path.exists():
            continue
        folder.mkdir(parents=True, exist_ok=True)
        table = make_day(rows, i)
        tmp = path.with_suffix(path.suffix + ".tmp")
        if fmt == "csv":
            pacsv.write_csv(table, str(tmp))
        else:
            pq.write_table(table, str(tmp), compression="snappy")
        tmp.rename(path)
    return files


def run(args: list[str]) -> tuple[float, int, bytes]:
    """Runs a command, returning its wall time, peak RSS in bytes and stdout."""
    start = time.perf_counter()
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    chunks = []
    while True:
        block = proc.stdout.read(65536)
        if not block:
            break
        chunks.append(block)
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) not in (0, 1):
        sys.exit(f"{' '.join(args)} failed:\n{err.decode()}")
    return wall, usage.ru_maxrss * 1024, b"".join(chunks)


def stored_result(store: Path, day: dt.date) -> dict:
    path = store / "runs" / DETECTOR / SERVICE / f"{day:%Y}" / f"{day:%m}" / f"{day:%d}.json"
    return json.loads(path.read_text())


def coefficient(result: dict) -> float:
    return next(m["value"] for m in result["dataset_metrics"] if m["name"] == "datadrift_coefficient")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--format", choices=["csv", "parquet"], default="csv")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--data", default="bench-data/windows")
    parser.add_argument("--binary", default="target/release/driftscan")
    args = parser.parse_args()

    root = Path(args.data) / f"{args.format}-{args.days}x{args.rows}"
    store = root / "store"
    first = dt.date(2025, 1, 1)
    scored = first + dt.timedelta(days=args.days)
    files = generate(store, first, args.days, args.rows, args.format)
    reference_files = files[:-1]
    data_mb = sum(f.stat().st_size for f in reference_files) / 1e6
    target_mb = files[-1].stat().st_size / 1e6

    definition = {
        "name": DETECTOR,
        "model_name": "m",
        "model_version": 1,
        "services": [SERVICE],
        "snapshots": "data/{service}/{yyyy}/{MM}/{dd}",
        "reference_window": {"lookback_window_size": f"P{args.days}D", "lookback_window_offset": "P1D"},
    }
    (root / "detector.json").write_text(json.dumps(definition))
    shutil.rmtree(store / "detectors", ignore_errors=True)
    run([args.binary, "detectors", "create", str(root / "detector.json"), "--store", str(store)])
    command = [args.binary, "detectors", "run", DETECTOR, "--date", scored.isoformat(), "--store", str(store)]
    profiles = store / "profiles" / DETECTOR

    rows = []
    cold = []
    for _ in range(args.repeat):
        shutil.rmtree(profiles, ignore_errors=True)
        cold.append(run(command)[:2])
    cold_result = stored_result(store, scored)
    assert cold_result["run"]["status"] == "succeeded", cold_result["run"]
    rows.append(("run, cold (profiles 90 days)", min(w for w, _ in cold), data_mb + target_mb, max(r for _, r in cold)))

    cached = [run(command)[:2] for _ in range(args.repeat)]
    cached_result = stored_result(store, scored)
    assert coefficient(cached_result) == coefficient(cold_result), (cached_result, cold_result)
    profile_mb = sum(p.stat().st_size for p in profiles.rglob("*.profile")) / 1e6
    # Read: the cached profiles of the 90 reference days (not the scored day's) and the scored day's data.
    scored_profile = profiles / SERVICE / f"{scored:%Y}" / f"{scored:%m}" / f"{scored:%d}.profile"
    reference_profile_mb = profile_mb - scored_profile.stat().st_size / 1e6
    rows.append(("run, cached day profiles", min(w for w, _ in cached), reference_profile_mb + target_mb, max(r for _, r in cached)))

    baseline = root / "by-hand"
    if not baseline.exists():
        baseline.mkdir()
        for f in reference_files:
            os.link(f, baseline / f"{f.parent.parent.parent.name}-{f.parent.parent.name}-{f.parent.name}.{args.format}")
    scan = [args.binary, "scan", "--baseline", str(baseline), "--target", str(files[-1]), "--json"]
    scans = [run(scan)[:2] for _ in range(args.repeat)]
    rows.append(("scan, re-reading 90 days", min(w for w, _ in scans), data_mb + target_mb, max(r for _, r in scans)))

    print(
        f"{args.days}-day reference, {args.rows:,} rows x {COLUMNS} columns a day ({args.format}): "
        f"{data_mb:,.0f} MB of reference data, {reference_profile_mb:,.1f} MB of cached day profiles"
    )
    header = f"{'case':<32} {'wall s':>8} {'MB read':>9} {'MB/s':>8} {'peak RSS MB':>12}"
    print(header)
    print("-" * len(header))
    for name, wall, mb, rss in rows:
        print(f"{name:<32} {wall:>8.2f} {mb:>9,.0f} {mb / wall:>8,.0f} {rss / 1e6:>12,.0f}")


if __name__ == "__main__":
    main()
