#!/usr/bin/env python3
"""Benchmark of profiling on Spark: 10,000,000 rows x 20 numeric columns in Parquet files,
profiled three ways on this machine's two cores:

* ``driftscan profile`` (the command, one process reading the Parquet files);
* ``driftscan.spark.profile(df)`` on ``spark.read.parquet(...)`` with Spark in local mode
  (``local[2]``): the Rust engine in the Python workers, fed by ``mapInArrow``;
* ``driftscan.spark.profile_files(spark, folder)``, the file path: the executors read the
  Parquet files with the engine themselves (one task per file, or per run of row groups of a
  file larger than ``--split-mb``), nothing passes through the JVM but the partial profiles;
* the same DataFrame through ``mapInArrow`` into a function that only counts the rows: what
  Spark itself costs (Parquet read, conversion to Arrow, transfer to the Python workers) before
  any profiling;
* whylogs' own Spark profiler, ``whylogs.api.pyspark.experimental.collect_dataset_profile_view``,
  on the same DataFrame (``mapInPandas`` per partition, merged on the driver).

Each tool runs in a process of its own, so that its peak memory is its own: the peak of the sum
of the resident set sizes of that process and all its descendants (for Spark: the Python driver,
the JVM and the Python workers), sampled every 50 ms. Wall time is the best of ``--repeat`` runs;
each Spark tool first profiles one file once (JVM start, code loading and the Python workers'
first imports are not the data's cost). The Spark profile's statistics are checked to be the same
bytes as the command's.

Usage (scripts/bench_spark.sh sets up the environment: the wheel, pyspark, whylogs):
    python scripts/bench_spark.py [--rows 10000000] [--files 10] [--data bench-data/spark]
                                  [--repeat 2] [--skip-whylogs] [--keep]
                                  [--tools cli,spark-files,...] [--split-mb 128]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

COLUMNS = 20
TOOLS = ["cli", "spark", "spark-files", "spark-count", "whylogs"]


def make_part(rows: int, seed: int):  # noqa: ANN201 - pyarrow.Table
    """The data of scripts/bench.py (20 numeric columns of mixed shapes, four decimals), unshifted."""
    sys.path.insert(0, str(Path(__file__).parent))
    from bench import make_table

    return make_table(rows, seed, 0.0)


def generate(folder: Path, rows: int, files: int) -> None:
    import pyarrow.parquet as pq

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


# -- Peak memory of a process tree -----------------------------------------------------------------


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        ppid = int(stat[stat.rindex(")") + 2 :].split()[1])
        tree.setdefault(ppid, []).append(int(entry.name))
    return tree


def _rss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def tree_rss_kb(root: int) -> int:
    """Resident set size of ``root`` and all its descendants, summed."""
    tree = _children()
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        total += _rss_kb(pid)
        todo.extend(tree.get(pid, []))
    return total


def run_measured(argv: list[str]) -> tuple[dict, float]:
    """Runs a tool's process; returns what it printed (JSON) and its tree's peak RSS in MB."""
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, text=True)
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, tree_rss_kb(proc.pid))
            time.sleep(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, _ = proc.communicate()
    done.set()
    sampler.join()
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed with exit code {proc.returncode}")
    return json.loads(out.strip().splitlines()[-1]), peak / 1024


# -- One tool, in its own process ------------------------------------------------------------------


def best(repeat: int, run):  # noqa: ANN001, ANN201
    times, out = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        out = run()
        times.append(time.perf_counter() - t)
    return min(times), out


def spark_session():  # noqa: ANN201
    os.environ["PYSPARK_PYTHON"] = sys.executable
    os.environ["PYSPARK_DRIVER_PYTHON"] = sys.executable
    from pyspark.sql import SparkSession

    spark = (
        SparkSession.builder.master("local[2]")
        .appName("driftscan-bench")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.driver.memory", "4g")
        .config("spark.sql.shuffle.partitions", "4")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def _count_rows(batches):  # noqa: ANN001, ANN202 - pyarrow batches
    import pyarrow as pa

    n = sum(b.num_rows for b in batches)
    yield pa.RecordBatch.from_arrays([pa.array([n], type=pa.int64())], names=["rows"])


def _worker_peak_mb(_):  # noqa: ANN001, ANN202
    """Peak RSS of the Python worker running this task (the largest of its life: it ran tasks
    before), in MB."""
    import resource

    yield resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def tool(name: str, data: Path, repeat: int, rows: int, out: Path) -> dict:
    if name == "cli":
        command = Path(sys.executable).parent / "driftscan"

        def cli() -> None:
            subprocess.run([str(command), "profile", "--input", str(data), "--out", str(out)],
                           check=True, capture_output=True)

        cli()  # page cache warm, as for the Spark runs
        seconds, _ = best(repeat, cli)
        return {"seconds": seconds, "label": "driftscan profile (command)"}

    spark = spark_session()
    df = spark.read.parquet(str(data))
    partitions = df.rdd.getNumPartitions()
    warm = spark.read.parquet(str(sorted(data.glob("*.parquet"))[0]))
    if name == "spark":
        import driftscan
        from driftscan import spark as ds_spark

        ds_spark.profile(warm)
        seconds, prof = best(repeat, lambda: ds_spark.profile(df))
        expected = driftscan.Profile.load(out)
        same = prof.statistics_bytes() == expected.statistics_bytes()
        assert prof.rows == rows and same, "the Spark profile's statistics differ from the command's"
        label = f"driftscan.spark.profile, local[2], {partitions} partitions"
        return {"seconds": seconds, "label": label, "same_statistics": same}

    if name == "spark-files":
        import driftscan
        from driftscan import spark as ds_spark

        split = int(os.environ.get("BENCH_SPLIT_MB", "128")) << 20
        listed = [(str(p), p.stat().st_size) for p in sorted(data.glob("*.parquet"))]
        tasks = len(ds_spark.plan_tasks(listed, split))
        ds_spark.profile_files(spark, str(sorted(data.glob("*.parquet"))[0]), split_bytes=split)
        seconds, prof = best(repeat, lambda: ds_spark.profile_files(spark, str(data), split_bytes=split))
        expected = driftscan.Profile.load(out)
        same = prof.statistics_bytes() == expected.statistics_bytes()
        assert prof.rows == rows and same, "the file path's statistics differ from the command's"
        worker = max(spark.sparkContext.parallelize(range(2), 2).mapPartitions(_worker_peak_mb).collect())
        label = f"driftscan.spark.profile_files, local[2], {tasks} tasks"
        return {"seconds": seconds, "label": label, "same_statistics": same, "worker_peak_mb": worker}

    if name == "spark-count":
        warm.mapInArrow(_count_rows, "rows long").collect()
        seconds, cells = best(repeat, lambda: df.mapInArrow(_count_rows, "rows long").collect())
        assert sum(c[0] for c in cells) == rows
        return {"seconds": seconds, "label": f"mapInArrow counting rows only (Spark's own cost), {partitions} partitions"}

    from whylogs.api.pyspark.experimental import collect_dataset_profile_view

    collect_dataset_profile_view(warm)
    seconds, view = best(repeat, lambda: collect_dataset_profile_view(df))
    n = view.get_column("f00").to_summary_dict()["counts/n"]
    assert n == rows, f"whylogs counted {n} rows"
    return {"seconds": seconds, "label": f"whylogs collect_dataset_profile_view, local[2], {partitions} partitions"}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--files", type=int, default=10)
    ap.add_argument("--data", default="bench-data/spark")
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--skip-whylogs", action="store_true")
    ap.add_argument("--keep", action="store_true", help="keep the generated Parquet files")
    ap.add_argument("--tools", help="comma-separated tools to run (default: cli,spark,spark-files,spark-count,whylogs)")
    ap.add_argument("--split-mb", type=int, default=128, help="the file path's split_bytes in MB (default 128)")
    ap.add_argument("--tool", choices=TOOLS, help=argparse.SUPPRESS)
    args = ap.parse_args()
    data = Path(args.data)
    out = data.parent / f"{data.name}-cli.profile"

    if args.tool:
        print(json.dumps(tool(args.tool, data, args.repeat, args.rows, out)))
        return 0

    print(f"Generating {args.rows:,} x {COLUMNS} rows in {args.files} Parquet files under {data} ...", file=sys.stderr)
    generate(data, args.rows, args.files)
    mb = sum(f.stat().st_size for f in data.glob("*.parquet")) / 1e6
    results = []
    workers: list[str] = []
    tools = args.tools.split(",") if args.tools else [t for t in TOOLS if t != "whylogs" or not args.skip_whylogs]
    if tools[0] != "cli":
        tools.insert(0, "cli")  # the Spark runs check their answer against the command's
    os.environ["BENCH_SPLIT_MB"] = str(args.split_mb)
    try:
        for name in tools:  # the command first: the Spark run checks its answer against it
            print(f"Running {name} ...", file=sys.stderr)
            argv = [sys.executable, __file__, "--tool", name, "--data", str(data), "--rows", str(args.rows),
                    "--repeat", str(args.repeat)]
            result, peak_mb = run_measured(argv)
            results.append((result["label"], result["seconds"], peak_mb))
            if "worker_peak_mb" in result:
                workers.append(f"{result['label']}: a Python worker's peak RSS {result['worker_peak_mb']:,.0f} MB")
    finally:
        out.unlink(missing_ok=True)
        if not args.keep:
            shutil.rmtree(data, ignore_errors=True)

    print(f"\n{args.rows:,} rows x {COLUMNS} numeric columns, {mb:.0f} MB of snappy Parquet in {args.files} files, "
          f"2 cores, best of {args.repeat}\n")
    width = max(len(name) for name, _, _ in results)
    print(f"{'tool':<{width}}  {'wall s':>7}  {'rows/s':>11}  {'vs command':>10}  {'peak RSS MB':>11}")
    print("-" * (width + 48))
    base = results[0][1]
    for name, seconds, peak_mb in results:
        print(f"{name:<{width}}  {seconds:7.2f}  {args.rows / seconds:11,.0f}  {seconds / base:9.2f}x  {peak_mb:11,.0f}")
    for line in workers:
        print(f"\n{line}")
    print("\nThe Spark profiles' statistics are the same bytes as the command's (checked).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
