#!/usr/bin/env python3
"""Benchmark of the Python package: `driftscan.scan` against Evidently's `DataDriftPreset` on two
pandas DataFrames already in memory (1,000,000 rows x 20 numeric columns each by default), in
the same process, one after the other.

For each tool it prints the wall time and the growth of the process's peak RSS while the tool
ran (VmHWM after, minus VmRSS before, with the peak reset in between through
/proc/self/clear_refs), beside the frames' own size. Each tool first runs once on 10,000-row
slices of the frames: RSS also counts the pages of code a library loads on first use (the
extension module, pyarrow's libraries), about 100 MB for driftscan, which do not grow with the
data; the table's figures are the runs after that warm-up. driftscan reads the frames through the
Arrow C stream without a copy; its peak RSS growth is what profiling adds.

Usage (scripts/bench_python.sh sets up the environment: the wheel and Evidently):
    python scripts/bench_python.py [--rows 1000000] [--repeat 3] [--skip-evidently]
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).parent))
from bench import COLUMNS, make_table  # noqa: E402


def make_frame(rows: int, seed: int, shift: float) -> pd.DataFrame:
    """The data of scripts/bench.py (20 numeric columns of mixed shapes), as a pandas frame."""
    return make_table(rows, seed, shift).to_pandas()


def status_kb(field: str) -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"{field} not in /proc/self/status")


def reset_peak() -> None:
    """Sets VmHWM back to the current RSS (Linux 4.0 and newer)."""
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")


def measure(label: str, work, repeat: int) -> tuple[float, float, object]:
    """Best wall time over `repeat` runs and the largest peak-RSS growth (MB) of any run."""
    best, growth, out = float("inf"), 0.0, None
    for _ in range(repeat):
        gc.collect()
        reset_peak()
        before = status_kb("VmRSS")
        t0 = time.perf_counter()
        out = work()
        wall = time.perf_counter() - t0
        growth = max(growth, (status_kb("VmHWM") - before) / 1024)
        best = min(best, wall)
        print(f"  {label}: {wall:.2f} s, peak RSS +{(status_kb('VmHWM') - before) / 1024:.0f} MB", flush=True)
    return best, growth, out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--evidently-repeat", type=int, default=1)
    ap.add_argument("--skip-evidently", action="store_true")
    args = ap.parse_args()

    import driftscan

    reference = make_frame(args.rows, 1, 0.0)
    current = make_frame(args.rows, 2, 0.25)
    frames_mb = (reference.memory_usage(index=False).sum() + current.memory_usage(index=False).sum()) / 2**20
    print(f"two frames of {args.rows:,} x {COLUMNS}: {frames_mb:.0f} MB in memory")

    warm = (reference.iloc[:10_000], current.iloc[:10_000])
    rows = []
    driftscan.scan(*warm)
    wall, growth, result = measure(
        "driftscan.scan", lambda: driftscan.scan(reference, current), args.repeat
    )
    print(f"  driftscan: {result!r}")
    rows.append(("driftscan.scan", wall, growth))

    if not args.skip_evidently:
        from evidently import Report
        from evidently.presets import DataDriftPreset

        def evidently_run():
            return Report([DataDriftPreset()]).run(current, reference)

        Report([DataDriftPreset()]).run(warm[1], warm[0])

        wall, growth, snapshot = measure("Evidently DataDriftPreset", evidently_run, args.evidently_repeat)
        drifted = [
            m for m in snapshot.dict()["metrics"] if "DriftedColumnsCount" in str(m.get("metric_name", ""))
        ]
        if drifted:
            print(f"  Evidently: {drifted[0].get('value')}")
        rows.append(("Evidently DataDriftPreset", wall, growth))

    print()
    print(f"{'tool':28} {'wall s':>8} {'peak RSS growth MB':>19} {'growth / frames':>16}")
    print("-" * 74)
    for name, wall, growth in rows:
        print(f"{name:28} {wall:8.2f} {growth:19.0f} {growth / frames_mb:16.2f}")
    if len(rows) == 2:
        print(f"\ndriftscan is {rows[1][1] / rows[0][1]:.1f}x faster than Evidently on these frames.")


if __name__ == "__main__":
    main()
