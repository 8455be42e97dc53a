#!/usr/bin/env python3
"""Benchmark of performance estimation: `driftscan performance` against NannyML 0.13.1.

Generates seeded Parquet files once (snappy) into `--data`:

* classification: a labelled reference of 100,000 rows and a target of 1,000,000 rows, each with 20
  numeric features (normal, log-normal, Poisson, Student-t), the model's score `y_pred_proba`
  (P(y=1) of a logistic model of six features, made a little over-confident), `y_pred` (score >=
  0.5) and `y_true`; the target is written twice, without the `y_true` column (estimation only)
  and with it (realized and estimated);
* regression (`--regression`): the same features, `y_true` a nonlinear function of them with
  noise whose size depends on two features, `y_pred` a linear model's prediction; the target
  without `y_true`.

Then times, each case in its own process (one run each; `--repeat` for the best of several):

* `driftscan performance --problem binary --window-rows 10000 --json` (the release binary):
  CBPE, estimated in 100 windows of 10,000 rows; and the same with the labelled target, which
  adds the realized values;
* NannyML `CBPE(metrics=[roc_auc, accuracy, precision, recall, f1], chunk_size=10000)` fitted on
  the reference and estimated on the target (labels dropped);
* regression: `driftscan performance --problem regression --features f00,...,f19` (DLE, whose
  gradient-boosted loss models for MAE, MSE and MAPE are always fitted) against NannyML
  `DLE(feature_column_names=[f00..f19], metrics=[mae, mse], chunk_size=10000)` (LightGBM, one
  model per metric, no hyperparameter tuning).

Both tools read the same Parquet files, and the reading is inside the time of both: driftscan
reads them itself; the NannyML process reads them with `pandas.read_parquet` (pyarrow). The wall
time is the whole process, start to exit (for NannyML, Python's start and `import nannyml`
included: the "in-process s" column leaves them out, timing read, fit and estimate only). Peak
RSS is the process's `ru_maxrss` from `os.wait4`. MB/s is the size of both input files over the
wall time; rows/s counts the rows of both files. The per-window estimates of both tools are
compared (largest difference of the accuracy or MAE estimate) as a check that they did the same
work.

Usage (from the repository root; scripts/bench.sh --performance builds the binary and sets up the
example venv with NannyML):
    .tools/example-venv/bin/python scripts/bench_performance.py [--rows 1000000]
        [--reference-rows 100000] [--window-rows 10000] [--regression] [--repeat 1]
        [--data bench-data/performance]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

COLUMNS = 20
FEATURES = [f"f{c:02d}" for c in range(COLUMNS)]
CBPE_METRICS = ["roc_auc", "accuracy", "precision", "recall", "f1"]
DLE_METRICS = ["mae", "mse"]


def features(rows: int, seed: int) -> dict[str, np.ndarray]:
    """20 numeric columns of mixed shapes (as scripts/bench.py's), four decimals."""
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
        cols[FEATURES[c]] = np.round(v, 4)
    return cols


def classification(rows: int, seed: int) -> dict[str, np.ndarray]:
    cols = features(rows, seed)
    rng = np.random.default_rng(seed + 1)
    z = (
        0.9 * cols["f00"]
        - 0.6 * np.log(cols["f01"])
        + 0.25 * (cols["f02"] - 4.0)
        + 0.3 * np.clip(cols["f03"], -5, 5)
        - 0.5 * cols["f04"]
        + 0.4 * cols["f08"]
        + 0.3
    )
    truth = 1.0 / (1.0 + np.exp(-z))
    score = 1.0 / (1.0 + np.exp(-1.3 * z))
    cols["y_pred_proba"] = np.round(score, 6)
    cols["y_pred"] = (score >= 0.5).astype(np.int64)
    cols["y_true"] = (rng.random(rows) < truth).astype(np.int64)
    return cols


def regression(rows: int, seed: int) -> dict[str, np.ndarray]:
    cols = features(rows, seed)
    rng = np.random.default_rng(seed + 2)
    signal = (
        2.0 * cols["f00"]
        + 1.5 * np.log(cols["f01"])
        + 0.5 * cols["f02"]
        + np.sin(cols["f04"])
        + 0.3 * cols["f00"] * cols["f08"]
    )
    noise = rng.normal(0.0, 1.0, rows) * (0.5 + 0.5 * np.abs(cols["f04"]) + 0.2 * cols["f05"])
    cols["y_true"] = np.round(10.0 + signal + noise, 4)
    cols["y_pred"] = np.round(10.0 + 2.0 * cols["f00"] + 1.2 * (cols["f01"] - 1.3) + 0.5 * cols["f02"], 4)
    return cols


def write(path: Path, cols: dict[str, np.ndarray], drop: tuple[str, ...] = ()) -> Path:
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        pq.write_table(pa.table({k: v for k, v in cols.items() if k not in drop}), str(tmp), compression="snappy")
        tmp.rename(path)
    return path


def generate(root: Path, rows: int, reference_rows: int, regression_too: bool) -> dict[str, Path]:
    files = {}
    names = {
        "cls_reference": root / f"classification-reference-{reference_rows}.parquet",
        "cls_target": root / f"classification-target-{rows}-unlabelled.parquet",
        "cls_target_labelled": root / f"classification-target-{rows}-labelled.parquet",
        "reg_reference": root / f"regression-reference-{reference_rows}.parquet",
        "reg_target": root / f"regression-target-{rows}-unlabelled.parquet",
    }
    if not names["cls_reference"].exists():
        write(names["cls_reference"], classification(reference_rows, 1))
    if not (names["cls_target"].exists() and names["cls_target_labelled"].exists()):
        target = classification(rows, 2)
        write(names["cls_target"], target, drop=("y_true",))
        write(names["cls_target_labelled"], target)
    files.update({k: v for k, v in names.items() if k.startswith("cls")})
    if regression_too:
        if not names["reg_reference"].exists():
            write(names["reg_reference"], regression(reference_rows, 3))
        if not names["reg_target"].exists():
            write(names["reg_target"], regression(rows, 4), drop=("y_true",))
        files.update({k: v for k, v in names.items() if k.startswith("reg")})
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


def best(command: list[str], repeat: int) -> tuple[float, int, bytes]:
    """The fastest of `repeat` runs (its wall time and stdout) and the highest peak RSS."""
    runs = [run(command) for _ in range(repeat)]
    fastest = min(runs, key=lambda r: r[0])
    return fastest[0], max(r[1] for r in runs), fastest[2]


def worker(kind: str, reference: str, target: str, window_rows: int) -> None:
    """The NannyML side, run in its own process: read both files, fit, estimate; prints the
    per-chunk estimates of the checked metric and the in-process time as JSON, on the last line."""
    os.environ["NML_DISABLE_USAGE_LOGGING"] = "1"  # no telemetry calls from the timed run
    import warnings

    warnings.filterwarnings("ignore")
    import pandas as pd
    import nannyml as nml

    start = time.perf_counter()
    reference_frame = pd.read_parquet(reference)
    target_frame = pd.read_parquet(target)
    if "y_true" in target_frame:
        target_frame = target_frame.drop(columns=["y_true"])
    if kind == "cbpe":
        estimator = nml.CBPE(
            y_pred_proba="y_pred_proba", y_pred="y_pred", y_true="y_true", metrics=CBPE_METRICS,
            chunk_size=window_rows, problem_type="classification_binary",
        )
        checked = "accuracy"
    else:
        estimator = nml.DLE(
            feature_column_names=FEATURES, y_pred="y_pred", y_true="y_true", metrics=DLE_METRICS,
            chunk_size=window_rows,
        )
        checked = "mae"
    estimator.fit(reference_frame)
    result = estimator.estimate(target_frame).filter(period="analysis").to_df()
    seconds = time.perf_counter() - start
    print(json.dumps({"seconds": seconds, "values": result[(checked, "value")].astype(float).tolist()}))


def peer_result(output: bytes) -> dict:
    """The worker's JSON: its last line (LightGBM writes its warnings to stdout before it)."""
    return json.loads(output.decode().strip().splitlines()[-1])


def driftscan_values(output: bytes, metric: str) -> list[float]:
    document = json.loads(output)
    return [
        next(m["estimated"]["value"] for m in w["metrics"] if m["name"] == metric) for w in document["windows"]
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--reference-rows", type=int, default=100_000)
    parser.add_argument("--window-rows", type=int, default=10_000)
    parser.add_argument("--regression", action="store_true", help="also the regression (DLE) cases")
    parser.add_argument("--no-peer", action="store_true", help="driftscan only")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--data", default="bench-data/performance")
    parser.add_argument("--binary", default="target/release/driftscan")
    parser.add_argument("--worker", choices=["cbpe", "dle"], help=argparse.SUPPRESS)
    parser.add_argument("--reference", help=argparse.SUPPRESS)
    parser.add_argument("--target", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.worker, args.reference, args.target, args.window_rows)
        return

    files = generate(Path(args.data), args.rows, args.reference_rows, args.regression)
    mb = {k: p.stat().st_size / 1e6 for k, p in files.items()}
    total_rows = args.rows + args.reference_rows
    windows = -(-args.rows // args.window_rows)

    def driftscan(reference: Path, target: Path, *extra: str) -> list[str]:
        return [
            args.binary, "performance", "--reference", str(reference), "--target", str(target),
            "--y-true", "y_true", "--y-pred", "y_pred", "--window-rows", str(args.window_rows), "--json", *extra,
        ]

    def nannyml(kind: str, reference: Path, target: Path) -> list[str]:
        return [
            sys.executable, __file__, "--worker", kind, "--reference", str(reference), "--target", str(target),
            "--window-rows", str(args.window_rows),
        ]

    rows = []  # (case, tool, wall, in-process, MB, rss)
    checks = []
    binary_flags = ("--y-pred-proba", "y_pred_proba", "--problem", "binary")
    wall, rss, out = best(driftscan(files["cls_reference"], files["cls_target"], *binary_flags), args.repeat)
    ours = driftscan_values(out, "accuracy")
    rows.append(("CBPE, estimated", "driftscan", wall, None, mb["cls_reference"] + mb["cls_target"], rss))
    wall, rss, out = best(driftscan(files["cls_reference"], files["cls_target_labelled"], *binary_flags), args.repeat)
    rows.append(("CBPE, realized + estimated", "driftscan", wall, None, mb["cls_reference"] + mb["cls_target_labelled"], rss))
    if not args.no_peer:
        wall, rss, out = best(nannyml("cbpe", files["cls_reference"], files["cls_target"]), args.repeat)
        peer = peer_result(out)
        rows.append(("CBPE, estimated", "NannyML", wall, peer["seconds"], mb["cls_reference"] + mb["cls_target"], rss))
        checks.append(("CBPE accuracy", max(abs(a - b) for a, b in zip(ours, peer["values"])), len(peer["values"])))

    if args.regression:
        features_flag = ("--problem", "regression", "--features", ",".join(FEATURES))
        wall, rss, out = best(driftscan(files["reg_reference"], files["reg_target"], *features_flag), args.repeat)
        ours = driftscan_values(out, "mae")
        rows.append(("DLE, estimated", "driftscan", wall, None, mb["reg_reference"] + mb["reg_target"], rss))
        if not args.no_peer:
            wall, rss, out = best(nannyml("dle", files["reg_reference"], files["reg_target"]), args.repeat)
            peer = peer_result(out)
            rows.append(("DLE, estimated", "NannyML", wall, peer["seconds"], mb["reg_reference"] + mb["reg_target"], rss))
            scale = float(np.mean(peer["values"]))
            checks.append(
                (f"DLE MAE (mean {scale:.3f})", max(abs(a - b) for a, b in zip(ours, peer["values"])), len(peer["values"]))
            )

    print(
        f"Reference {args.reference_rows:,} labelled rows, target {args.rows:,} rows x {COLUMNS} features "
        f"(Parquet), windows of {args.window_rows:,} rows; best of {args.repeat}.\n"
    )
    print("| case | tool | rows | windows | wall s | in-process s | rows/s | MB/s of input | peak RSS MB |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|")
    for case, tool, wall, inside, size, rss in rows:
        inside_text = "" if inside is None else f"{inside:.2f}"
        print(
            f"| {case} | {tool} | {total_rows:,} | {windows} | {wall:.2f} | {inside_text} | {total_rows / wall:,.0f} "
            f"| {size / wall:,.1f} | {rss / 1e6:,.0f} |"
        )
    print()
    for name, diff, count in checks:
        print(f"Check: {name}: largest difference between the tools' estimates over {count} windows {diff:.4f}")


if __name__ == "__main__":
    main()
