#!/usr/bin/env python3
"""Benchmark of `driftscan scan`: wall time, rows/s, MB/s and peak RSS.

Generates seeded numeric datasets (20 columns; 1,000,000 rows per side, and a 10,000,000-row target to
show that memory does not grow with rows) as CSV and as Parquet, runs the release binary on each pair
several times, and prints one row per case (one case has a 30-row target, so the classifier runs at 30
rows per side with its permutation null). The classifier (cross-fitting and calibration) runs after both
sides are read and profiled; its time comes from the result JSON
(`classifier.duration_ms`), and the table shows the scan's wall time with and without it.

Usage (from the repository root; scripts/bench.sh builds the binary and sets up the venv):
    python scripts/bench.py [--rows 1000000] [--big-rows 10000000] [--repeat 3] [--data bench-data]
"""

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

COLUMNS = 20


def make_table(rows: int, seed: int, shift: float) -> pa.Table:
    """20 numeric columns of mixed shapes; `shift` moves a few of them (the drift to find)."""
    rng = np.random.default_rng(seed)
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
            v = v + shift
        # Four decimals: about 8 bytes per CSV field, like typical exported feature tables.
        cols[f"f{c:02d}"] = np.round(v, 4)
    return pa.table(cols)


def write_dataset(path_base: Path, rows: int, seed: int, shift: float) -> dict:
    """Writes `<base>.csv` and `<base>.parquet` once, in chunks so memory stays modest."""
    out = {"csv": path_base.with_suffix(".csv"), "parquet": path_base.with_suffix(".parquet")}
    if all(p.exists() for p in out.values()):
        return out
    chunk = 1_000_000
    csv_tmp = out["csv"].with_suffix(".csv.tmp")
    pq_tmp = out["parquet"].with_suffix(".parquet.tmp")
    writer_csv = None
    writer_pq = None
    for i, start in enumerate(range(0, rows, chunk)):
        t = make_table(min(chunk, rows - start), seed * 1000 + i, shift)
        if writer_csv is None:
            writer_csv = pacsv.CSVWriter(str(csv_tmp), t.schema)
            writer_pq = pq.ParquetWriter(str(pq_tmp), t.schema, compression="snappy")
        writer_csv.write_table(t)
        writer_pq.write_table(t, row_group_size=chunk)
    writer_csv.close()
    writer_pq.close()
    csv_tmp.rename(out["csv"])
    pq_tmp.rename(out["parquet"])
    return out


def run_measured(binary: str, baseline: Path, target: Path) -> tuple[float, int, dict]:
    start = time.perf_counter()
    proc = subprocess.Popen(
        [binary, "scan", "--baseline", str(baseline), "--target", str(target), "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    chunks = []
    while True:
        data = proc.stdout.read(1 << 16)
        if not data:
            break
        chunks.append(data)
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        sys.exit(f"driftscan failed on {baseline} vs {target}: {err.decode().strip()}")
    return wall, usage.ru_maxrss * 1024, json.loads(b"".join(chunks))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--binary", default="target/release/driftscan")
    ap.add_argument("--data", default="bench-data")
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--big-rows", type=int, default=10_000_000, help="0 to skip the large-target case")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--generate-only", action="store_true", help="write the data sets and stop")
    args = ap.parse_args()

    data = Path(args.data)
    data.mkdir(parents=True, exist_ok=True)
    print(f"generating data in {data}/ (once; reused on later runs) ...", file=sys.stderr)
    base = write_dataset(data / f"baseline_{args.rows}", args.rows, seed=1, shift=0.0)
    targ = write_dataset(data / f"target_{args.rows}", args.rows, seed=2, shift=0.25)
    small = write_dataset(data / "target_30", 30, seed=4, shift=0.25)
    cases = [
        ("CSV", base["csv"], targ["csv"], args.rows),
        ("Parquet", base["parquet"], targ["parquet"], args.rows),
        # A low-traffic day: the classifier runs at 30 rows per side (permutation null).
        ("Parquet, 30-row target", base["parquet"], small["parquet"], 30),
    ]
    if args.big_rows:
        big = write_dataset(data / f"target_{args.big_rows}", args.big_rows, seed=3, shift=0.25)
        cases.append(("CSV, 10x target", base["csv"], big["csv"], args.big_rows))
        cases.append(("Parquet, 10x target", base["parquet"], big["parquet"], args.big_rows))
    if args.generate_only:
        return

    header = (
        f"{'case':<22} {'rows (both sides)':>18} {'MB read':>8} {'wall s':>7} {'rows/s':>12} {'MB/s':>8} "
        f"{'peak RSS MB':>12} {'classifier s':>13} {'wall w/o classifier s':>22}"
    )
    print(header)
    print("-" * len(header))
    for name, b, t, target_rows in cases:
        size_mb = (b.stat().st_size + t.stat().st_size) / 1e6
        rows = args.rows + target_rows
        runs, rss = [], 0
        for _ in range(args.repeat):
            wall, peak, result = run_measured(args.binary, b, t)
            clf = (result.get("classifier") or {}).get("duration_ms", 0) / 1000.0
            runs.append((wall, clf))
            rss = max(rss, peak)
        best, clf = min(runs)
        print(
            f"{name:<22} {rows:>18,} {size_mb:>8.0f} {best:>7.2f} {rows / best:>12,.0f} "
            f"{size_mb / best:>8.0f} {rss / 1e6:>12.0f} {clf:>13.3f} {best - clf:>22.2f}"
        )


if __name__ == "__main__":
    main()
