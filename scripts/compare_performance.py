#!/usr/bin/env python3
"""Accuracy of `driftscan performance`'s estimates without labels against NannyML's CBPE, on data
whose truth is known.

Data (numpy, seeded). Binary: 5 standard-normal features x, truth P(y=1|x) = sigmoid(w.x + b), y
drawn from it. The model's score is either the true probability ("calibrated") or
sigmoid(0.5 (w.x + b) + 0.4) ("miscalibrated": too timid, and its 0.5 cut sits at w.x + b = -0.8
instead of 0); the prediction is score >= 0.5. The reference is 20,000 labelled rows without shift.
The analysis is drawn three ways:

* no shift: as the reference;
* shift along w: x moved by -1.5 / |w| along w, so w.x + b falls by 1.5 (the classes' balance and
  the model's accuracy change);
* shift orthogonal to w: x moved by 1.5 (standard deviations) along a direction orthogonal to w (a
  large covariate shift that does not change performance).

Multiclass (3 classes, strings a, b, c): logits x W + c0, truth softmax(logits); the score is the
true probabilities or softmax(0.5 logits + (0.4, 0, -0.4)); the prediction is the arg max. The
shifts move x along W's first column (changes accuracy) or orthogonally to every column of W.

For each seed, calibration, scenario and window size N the reference and the analysis (labels
included) are written to Parquet and scored by both tools:

* `driftscan performance --reference R --target T ... --window-rows N --json`: the target has its
  labels, so the document carries each window's realized value beside the estimate made without
  them (the estimate never reads the labels);
* NannyML 0.13.1 `CBPE(..., chunk_size=N)` fitted on the reference and estimated on the analysis
  with the label column dropped.

The analysis is a whole number of windows of N rows, so NannyML's chunks and driftscan's windows
are the same rows. Realized values are computed with scikit-learn on those rows and checked
against driftscan's realized values (to 1e-9). Per scenario, window size and metric it prints the
mean absolute error of each tool's estimate against the realized value, their mean signed errors
(bias), and coverage: the share of windows whose realized value lies inside driftscan's 95 % band,
inside NannyML's band (its default: estimate +- 3 sampling errors) and inside NannyML's estimate
+- 1.96 sampling errors. "MAE ref" is the error of not estimating at all (the reference's value).
Wall time per tool is the sum over every run: driftscan's process (reading both Parquet files
included); NannyML's reading of both files with pandas, fit and estimate.

Usage (from the repository root, after `cargo build --release --bin driftscan`):
    .tools/example-venv/bin/python scripts/compare_performance.py [--seeds 12] [--multiclass-seeds 3]
        [--binary target/release/driftscan] [--windows 100:100,1000:20,10000:10]
        [--multiclass-windows 100:100,1000:20,10000:5]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import warnings
from collections import Counter
from pathlib import Path

os.environ["NML_DISABLE_USAGE_LOGGING"] = "1"  # no telemetry calls from the timed runs

import numpy as np
import pandas as pd
from sklearn.metrics import accuracy_score, f1_score, precision_score, recall_score, roc_auc_score

warnings.filterwarnings("ignore")
import nannyml as nml  # noqa: E402

METRICS = ["roc_auc", "accuracy", "precision", "recall", "f1"]
FEATURES = [f"x{i}" for i in range(5)]
REFERENCE_ROWS = 20_000
SHIFT = 1.5
W = np.array([1.2, -0.8, 0.6, 0.4, -0.3])
B = 1.0
CLASSES = ["a", "b", "c"]
W3 = np.array(
    [
        [1.0, -0.5, 0.0],
        [-0.6, 0.9, 0.2],
        [0.3, 0.2, -0.8],
        [0.0, 0.0, 0.0],
        [0.0, 0.0, 0.0],
    ]
)
C3 = np.array([0.3, 0.0, -0.2])
MISCALIBRATION3 = np.array([0.4, 0.0, -0.4])
SCENARIOS = ["no shift", "shift along w", "shift orthogonal to w"]


def sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


def softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def unit(v: np.ndarray) -> np.ndarray:
    return v / np.linalg.norm(v)


def orthogonal_to(columns: np.ndarray, seed: int) -> np.ndarray:
    """A unit vector orthogonal to every column of `columns` (5 x k)."""
    v = np.random.default_rng(seed).normal(size=columns.shape[0])
    q, _ = np.linalg.qr(columns)
    v = v - q @ (q.T @ v)
    return unit(v)


def shift_vector(problem: str, scenario: str) -> np.ndarray:
    if scenario == "no shift":
        return np.zeros(5)
    if problem == "binary":
        if scenario == "shift along w":
            return -SHIFT / np.linalg.norm(W) * unit(W)
        return SHIFT * orthogonal_to(W[:, None], 11)
    if scenario == "shift along w":
        return SHIFT * unit(W3[:, 0])
    return SHIFT * orthogonal_to(W3, 13)


def make(problem: str, calibrated: bool, rows: int, shift: np.ndarray, rng: np.random.Generator) -> pd.DataFrame:
    x = rng.normal(size=(rows, 5)) + shift
    frame = pd.DataFrame(x, columns=FEATURES)
    if problem == "binary":
        z = x @ W + B
        truth = sigmoid(z)
        frame["y_true"] = (rng.random(rows) < truth).astype(np.int64)
        score = truth if calibrated else sigmoid(0.5 * z + 0.4)
        frame["y_pred_proba"] = score
        frame["y_pred"] = (score >= 0.5).astype(np.int64)
        return frame
    logits = x @ W3 + C3
    truth = softmax(logits)
    u = rng.random(rows)[:, None]
    frame["y_true"] = np.array(CLASSES)[(u > np.cumsum(truth, axis=1)).sum(axis=1).clip(0, 2)]
    score = truth if calibrated else softmax(0.5 * logits + MISCALIBRATION3)
    for i, c in enumerate(CLASSES):
        frame[f"p_{c}"] = score[:, i]
    frame["y_pred"] = np.array(CLASSES)[score.argmax(axis=1)]
    return frame


def realized(problem: str, window: pd.DataFrame) -> dict[str, float]:
    y, p = window["y_true"].to_numpy(), window["y_pred"].to_numpy()
    if problem == "binary":
        return {
            "roc_auc": roc_auc_score(y, window["y_pred_proba"]),
            "accuracy": accuracy_score(y, p),
            "precision": precision_score(y, p, zero_division=np.nan),
            "recall": recall_score(y, p, zero_division=np.nan),
            "f1": f1_score(y, p, zero_division=np.nan),
        }
    proba = window[[f"p_{c}" for c in CLASSES]].to_numpy()
    return {
        "roc_auc": roc_auc_score(y, proba, multi_class="ovr", average="macro", labels=CLASSES),
        "accuracy": accuracy_score(y, p),
        "precision": precision_score(y, p, average="macro", labels=CLASSES, zero_division=np.nan),
        "recall": recall_score(y, p, average="macro", labels=CLASSES, zero_division=np.nan),
        "f1": f1_score(y, p, average="macro", labels=CLASSES, zero_division=np.nan),
    }


def present_classes_auc(window: pd.DataFrame) -> float:
    """Macro one-vs-rest ROC AUC over the classes present in the window's truth."""
    y = window["y_true"].to_numpy()
    aucs = [roc_auc_score(y == c, window[f"p_{c}"]) for c in CLASSES if 0 < (y == c).sum() < len(y)]
    return float(np.mean(aucs)) if aucs else float("nan")


def value(x) -> float:
    return float("nan") if x is None else float(x)


def run_driftscan(binary: str, problem: str, reference: Path, target: Path, rows: int) -> tuple[dict, float]:
    proba = "y_pred_proba" if problem == "binary" else ",".join(f"{c}=p_{c}" for c in CLASSES)
    command = [
        binary, "performance", "--reference", str(reference), "--target", str(target),
        "--y-true", "y_true", "--y-pred", "y_pred", "--y-pred-proba", proba,
        "--problem", problem, "--window-rows", str(rows), "--json",
    ]
    start = time.perf_counter()
    proc = subprocess.run(command, capture_output=True)
    wall = time.perf_counter() - start
    if proc.returncode not in (0, 1):
        sys.exit(f"{' '.join(command)} failed ({proc.returncode}):\n{proc.stderr.decode()}")
    return json.loads(proc.stdout), wall


def nannyml_estimator(problem: str, rows: int):
    if problem == "binary":
        return nml.CBPE(
            y_pred_proba="y_pred_proba", y_pred="y_pred", y_true="y_true", metrics=METRICS,
            chunk_size=rows, problem_type="classification_binary",
        )
    return nml.CBPE(
        y_pred_proba={c: f"p_{c}" for c in CLASSES}, y_pred="y_pred", y_true="y_true", metrics=METRICS,
        chunk_size=rows, problem_type="classification_multiclass",
    )


class Tally:
    """Per (problem, calibration, scenario, rows, metric): one record per window."""

    def __init__(self) -> None:
        self.records: dict[tuple, list[dict]] = {}

    def add(self, key: tuple, record: dict) -> None:
        self.records.setdefault(key, []).append(record)


def run_case(args, tally: Tally, problem: str, seed: int, calibrated: bool, windows: list[tuple[int, int]],
             folder: Path, walls: dict[str, float], mismatches: list[str], notes: dict) -> None:
    calibration = "calibrated" if calibrated else "miscalibrated"
    tag = (0 if problem == "binary" else 1, int(calibrated), seed)
    reference = make(problem, calibrated, REFERENCE_ROWS, np.zeros(5), np.random.default_rng([*tag, 0]))
    reference_path = folder / f"reference-{problem}-{calibration}-{seed}.parquet"
    reference.to_parquet(reference_path, index=False)
    for rows, count in windows:
        analyses = []
        for s, scenario in enumerate(SCENARIOS):
            rng = np.random.default_rng([*tag, 1 + s, rows])
            analysis = make(problem, calibrated, rows * count, shift_vector(problem, scenario), rng)
            path = folder / f"analysis-{problem}-{calibration}-{seed}-{s}-{rows}.parquet"
            analysis.to_parquet(path, index=False)
            analyses.append((scenario, analysis, path))

        # driftscan: one process per analysis file; it fits on the reference each time.
        documents = {}
        for scenario, _, path in analyses:
            documents[scenario], wall = run_driftscan(args.binary, problem, reference_path, path, rows)
            walls["driftscan"] += wall

        # NannyML: read the files as a user would, fit once per window size, estimate each analysis.
        start = time.perf_counter()
        reference_frame = pd.read_parquet(reference_path)
        estimator = nannyml_estimator(problem, rows).fit(reference_frame)
        estimates = {}
        for scenario, _, path in analyses:
            frame = pd.read_parquet(path).drop(columns=["y_true"])
            estimates[scenario] = estimator.estimate(frame).filter(period="analysis").to_df()
        walls["NannyML"] += time.perf_counter() - start

        for scenario, analysis, _ in analyses:
            document, nml_frame = documents[scenario], estimates[scenario]
            assert len(document["windows"]) == count, (len(document["windows"]), count)
            assert len(nml_frame) == count, (len(nml_frame), count)
            reference_values = {m["name"]: value(m["reference"]) for m in document["reference"]["metrics"]}
            for i in range(count):
                truth = realized(problem, analysis.iloc[i * rows:(i + 1) * rows])
                window = document["windows"][i]
                assert window["rows"] == rows and int(nml_frame[("chunk", "start_index")].iloc[i]) == i * rows
                by_name = {m["name"]: m for m in window["metrics"]}
                window_rows = analysis.iloc[i * rows:(i + 1) * rows]
                if problem == "multiclass" and window_rows["y_pred"].nunique() < len(CLASSES):
                    notes["never predicted"][(calibration, scenario, rows)] += 1
                for metric in METRICS:
                    ours = by_name[metric]
                    ours_realized = value(ours["realized"]["value"])
                    expected = truth[metric]
                    if problem == "multiclass" and metric == "roc_auc" and np.isnan(expected):
                        # A class absent from the window's truth: scikit-learn's macro AUC is NaN,
                        # driftscan's the mean over the classes present.
                        expected = present_classes_auc(window_rows)
                        notes["absent class"][(calibration, scenario, rows)] += 1
                    if not (abs(ours_realized - expected) <= 1e-9
                            or (np.isnan(ours_realized) and np.isnan(expected))):
                        mismatches.append(
                            f"{problem} {calibration} seed {seed} {scenario} N={rows} window {i} {metric}: "
                            f"driftscan realized {ours_realized!r}, scikit-learn {truth[metric]!r}"
                        )
                    est = ours["estimated"]
                    nml_value = float(nml_frame[(metric, "value")].iloc[i])
                    nml_se = float(nml_frame[(metric, "sampling_error")].iloc[i])
                    tally.add(
                        (problem, calibration, scenario, rows, metric),
                        {
                            "realized": truth[metric],
                            "reference": reference_values[metric],
                            "ds": value(est["value"]),
                            "ds_lower": value(est["lower"]),
                            "ds_upper": value(est["upper"]),
                            "nml": nml_value,
                            "nml_lower": float(nml_frame[(metric, "lower_confidence_boundary")].iloc[i]),
                            "nml_upper": float(nml_frame[(metric, "upper_confidence_boundary")].iloc[i]),
                            "nml_se": nml_se,
                        },
                    )


def summarize(records: list[dict]) -> dict[str, float]:
    f = pd.DataFrame(records)
    f = f[np.isfinite(f["realized"])]
    r = f["realized"]

    def inside(lower, upper) -> float:
        return float(((r >= lower) & (r <= upper)).mean())

    return {
        "windows": len(f),
        "realized": r.mean(),
        "mae_ref": (f["reference"] - r).abs().mean(),
        "mae_ds": (f["ds"] - r).abs().mean(),
        "mae_nml": (f["nml"] - r).abs().mean(),
        "bias_ds": (f["ds"] - r).mean(),
        "bias_nml": (f["nml"] - r).mean(),
        "cov_ds": inside(f["ds_lower"], f["ds_upper"]),
        "cov_nml3": inside(f["nml_lower"], f["nml_upper"]),
        "cov_nml196": inside(f["nml"] - 1.959964 * f["nml_se"], f["nml"] + 1.959964 * f["nml_se"]),
    }


def print_table(tally: Tally, problem: str) -> None:
    print(
        "| scenario | rows | metric | windows | realized mean | MAE ref | MAE driftscan | MAE NannyML "
        "| MAE ratio | bias driftscan | bias NannyML | cover driftscan 95 % | cover NannyML ±3σ "
        "| cover NannyML ±1.96σ |"
    )
    print("|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for (p, calibration, scenario, rows, metric), records in tally.records.items():
        if p != problem:
            continue
        s = summarize(records)
        print(
            f"| {calibration}, {scenario} | {rows:,} | {metric} | {s['windows']} | {s['realized']:.4f} "
            f"| {s['mae_ref']:.4f} | {s['mae_ds']:.4f} | {s['mae_nml']:.4f} | {s['mae_ds'] / s['mae_nml']:.2f} "
            f"| {s['bias_ds']:+.4f} | {s['bias_nml']:+.4f} "
            f"| {s['cov_ds']:.1%} | {s['cov_nml3']:.1%} | {s['cov_nml196']:.1%} |"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, default=12, help="binary: seeds (a reference each)")
    parser.add_argument("--multiclass-seeds", type=int, default=3, help="multiclass: seeds (0 to skip)")
    parser.add_argument("--windows", default="100:100,1000:20,10000:10",
                        help="window rows:windows per analysis file, comma-separated")
    parser.add_argument("--multiclass-windows", default="100:100,1000:20,10000:5")
    parser.add_argument("--binary", default="target/release/driftscan")
    args = parser.parse_args()
    windows = [tuple(int(v) for v in w.split(":")) for w in args.windows.split(",")]
    multiclass_windows = [tuple(int(v) for v in w.split(":")) for w in args.multiclass_windows.split(",")]

    tally = Tally()
    walls = {"driftscan": 0.0, "NannyML": 0.0}
    multiclass_walls = {"driftscan": 0.0, "NannyML": 0.0}
    mismatches: list[str] = []
    notes = {"never predicted": Counter(), "absent class": Counter()}
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="compare-performance-") as tmp:
        folder = Path(tmp)
        for seed in range(args.seeds):
            for calibrated in (True, False):
                run_case(args, tally, "binary", seed, calibrated, windows, folder, walls, mismatches, notes)
            print(f"binary seed {seed}: driftscan {walls['driftscan']:.1f} s, NannyML {walls['NannyML']:.1f} s",
                  file=sys.stderr)
        for seed in range(args.multiclass_seeds):
            for calibrated in (True, False):
                run_case(args, tally, "multiclass", seed, calibrated, multiclass_windows, folder,
                         multiclass_walls, mismatches, notes)
            print(f"multiclass seed {seed}: driftscan {multiclass_walls['driftscan']:.1f} s, "
                  f"NannyML {multiclass_walls['NannyML']:.1f} s", file=sys.stderr)
    total = time.perf_counter() - started

    print(f"Binary: {args.seeds} seeds x (calibrated, miscalibrated); reference {REFERENCE_ROWS:,} rows; "
          f"windows per analysis file: {args.windows}; NannyML {nml.__version__}.\n")
    print_table(tally, "binary")
    print(f"\nWall time, binary: driftscan {walls['driftscan']:.1f} s, NannyML {walls['NannyML']:.1f} s.")
    if args.multiclass_seeds:
        print(f"\nMulticlass (3 classes): {args.multiclass_seeds} seeds x (calibrated, miscalibrated); "
              f"windows per analysis file: {args.multiclass_windows}.\n")
        print_table(tally, "multiclass")
        print(f"\nWall time, multiclass: driftscan {multiclass_walls['driftscan']:.1f} s, "
              f"NannyML {multiclass_walls['NannyML']:.1f} s.")
        never = notes["never predicted"]
        if never:
            print("\nMulticlass windows where a class is never predicted (its precision is undefined: "
                  "driftscan and the realized values leave it out of the macro average, NannyML's estimate "
                  "counts it as 0): " + "; ".join(f"{c}, {s}, {r:,} rows: {n}" for (c, s, r), n in never.items()) + ".")
        absent = notes["absent class"]
        if absent:
            print("\nMulticlass windows where a class is absent from the truth (scikit-learn's macro ROC AUC is "
                  "NaN; driftscan's is the mean over the classes present, checked against that; these windows "
                  "are left out of the roc_auc rows): "
                  + "; ".join(f"{c}, {s}, {r:,} rows: {n}" for (c, s, r), n in absent.items()) + ".")
    print(f"\nTotal run time {total:.0f} s.")
    if mismatches:
        print(f"\n{len(mismatches)} realized values differ from scikit-learn's by more than 1e-9:")
        for m in mismatches[:20]:
            print(f"- {m}")
    else:
        print("\nEvery realized value of driftscan matches scikit-learn's to 1e-9.")


if __name__ == "__main__":
    main()
