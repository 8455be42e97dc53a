#!/usr/bin/env python3
"""Benchmark of profiling on Spark: 10,000,000 rows x 20 numeric columns in Parquet files,
profiled three ways on this machine's two cores:

* ``driftscan profile`` (the command, one process reading the Parquet files);
* ``driftscan.spark.profile(df)`` on ``spark.read.parquet(...)`` with Spark in local mode
  (``local[2]``): the Rust engine in the Python workers, fed by ``mapInArrow``;
* whylogs' own Spark profiler, ``whylogs.api.pyspark.experimental.collect_dataset_profile_view``,
  on the same DataFrame (``mapInPandas`` per partition, merged per column on the executors).

It prints the best wall time of ``--repeat`` runs and rows/s for each, after one warm-up run of
each Spark tool on one file (JVM start, code loading and the Python workers' first imports are
not the data's cost). It also checks the answer: the Spark profile's statistics must be the same
bytes as the command's.

Usage (scripts/bench_spark.sh sets up the environment: the wheel, pyspark, whylogs):
    python scripts/bench_spark.py [--rows 10000000] [--files 10] [--data bench-data/spark]
                                  [--repeat 2] [--skip-whylogs] [--keep]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

COLUMNS = 20


def make_part(rows: int, seed: int) -> pa.Table:
    """20 numeric columns of mixed shapes (normal, log-normal, Poisson, Student t), four
    decimals, as scripts/bench.py and scripts/bench_python.py generate them."""
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
        cols[f"f{c:02d}"] = np.round(v, 4)
    return pa.table(cols)


def generate(folder: Path, rows: int, files: int) -> None:
    marker = folder / f".complete-{rows}-{files}"
    if marker.exists():
        return
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    per = rows // files
    for i in range(files):
        n = per if i < files - 1 else rows - per * (files - 1)
        pq.write_table(make_part(n, 1000 + i), folder / f"part-{i:03d}.parquet", compression="snappy")
        print(f"  wrote part {i + 1}/{files}", file=sys.stderr)
    marker.touch()


def best(repeat: int, run) -> tuple[float, object]:  # noqa: ANN001
    times, out = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        out = run()
        times.append(time.perf_counter() - t)
    return min(times), out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--files", type=int, default=10)
    ap.add_argument("--data", default="bench-data/spark")
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--skip-whylogs", action="store_true")
    ap.add_argument("--keep", action="store_true", help="keep the generated Parquet files")
    args = ap.parse_args()

    import driftscan
    from driftscan import spark as ds_spark

    data = Path(args.data)
    print(f"Generating {args.rows:,} x {COLUMNS} rows in {args.files} Parquet files under {data} ...", file=sys.stderr)
    generate(data, args.rows, args.files)
    mb = sum(f.stat().st_size for f in data.glob("*.parquet")) / 1e6
    command = Path(sys.executable).parent / "driftscan"
    results: list[tuple[str, float]] = []

    with tempfile.TemporaryDirectory(prefix="driftscan-bench-spark-") as tmp:
        out = Path(tmp) / "cli.profile"

        def cli() -> None:
            subprocess.run([str(command), "profile", "--input", str(data), "--out", str(out)],
                           check=True, capture_output=True)

        cli()  # page cache warm, as for the Spark runs
        seconds, _ = best(args.repeat, cli)
        results.append(("driftscan profile (command)", seconds))
        expected = driftscan.Profile.load(out)
        assert expected.rows == args.rows

        os.environ["PYSPARK_PYTHON"] = sys.executable
        os.environ["PYSPARK_DRIVER_PYTHON"] = sys.executable
        from pyspark.sql import SparkSession

        spark = (
            SparkSession.builder.master("local[2]")
            .appName("driftscan-bench")
            .config("spark.ui.enabled", "false")
            .config("spark.driver.memory", "4g")
            .config("spark.sql.shuffle.partitions", "4")
            .getOrCreate()
        )
        spark.sparkContext.setLogLevel("ERROR")
        df = spark.read.parquet(str(data))
        partitions = df.rdd.getNumPartitions()
        warm = spark.read.parquet(str(sorted(data.glob("*.parquet"))[0]))

        ds_spark.profile(warm)
        seconds, prof = best(args.repeat, lambda: ds_spark.profile(df))
        results.append((f"driftscan.spark.profile, local[2], {partitions} partitions", seconds))
        assert prof.statistics_bytes() == expected.statistics_bytes(), "Spark profile differs from the command's"

        if not args.skip_whylogs:
            from whylogs.api.pyspark.experimental import collect_dataset_profile_view

            collect_dataset_profile_view(warm)
            seconds, view = best(args.repeat, lambda: collect_dataset_profile_view(df))
            n = view.get_column("f00").to_summary_dict()["counts/n"]
            assert n == args.rows, f"whylogs counted {n} rows"
            results.append((f"whylogs collect_dataset_profile_view, local[2]", seconds))
        spark.stop()

    print(f"\n{args.rows:,} rows x {COLUMNS} numeric columns, {mb:.0f} MB of snappy Parquet in {args.files} files, 2 cores\n")
    width = max(len(name) for name, _ in results)
    print(f"{'tool':<{width}}  {'wall s':>7}  {'rows/s':>11}  {'vs command':>10}")
    print("-" * (width + 35))
    base = results[0][1]
    for name, seconds in results:
        print(f"{name:<{width}}  {seconds:7.2f}  {args.rows / seconds:11,.0f}  {seconds / base:9.2f}x")
    if not args.keep:
        shutil.rmtree(data, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
