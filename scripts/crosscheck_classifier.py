#!/usr/bin/env python3
"""Cross-check driftscan's domain classifier against scikit-learn.

For each scenario, seeded numpy data (baseline and target) are written to CSV in a temporary
directory. scikit-learn's side is the plain reference the drift coefficient is defined by, done
with every row: a RandomForestClassifier (100 trees, defaults) cross-fitted over 5 stratified folds
(`cross_val_predict`), the Matthews correlation of the out-of-fold predictions clipped to [0, 1],
out-of-fold ROC AUC, and the forests' impurity importances averaged over the folds. Its
coefficient is gated like driftscan's: it counts only above the 99th percentile of a
label-permutation null (100 refits on permuted labels) at up to 1,000 rows per side, or above
2.326 / sqrt(2 n) (the Gaussian 99th percentile of a null MCC) beyond. driftscan runs on the same
files through `examples/classifier_crosscheck.rs`. Two tables are printed.

    python scripts/crosscheck_classifier.py [--bin PATH] [--repeats N]

Without --bin, the example is built with `cargo build --release --example classifier_crosscheck`
(timings are only meaningful in release). Needs numpy, pandas and scikit-learn.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import pandas as pd
from sklearn.ensemble import RandomForestClassifier
from sklearn.metrics import matthews_corrcoef, roc_auc_score
from sklearn.model_selection import StratifiedKFold

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def normal(rng, n, k):
    return pd.DataFrame(rng.standard_normal((n, k)), columns=[f"f{i}" for i in range(k)])


def correlated(rng, n, k, rho, a="f2", b="f9"):
    df = normal(rng, n, k)
    df[b] = rho * df[a] + np.sqrt(1 - rho * rho) * df[b]
    return df


def with_missing(df, col, rate, rng):
    df = df.copy()
    df.loc[rng.random(len(df)) < rate, col] = np.nan
    return df


def with_color(df, weights, rng):
    df = df.copy()
    labels = ["red", "green", "blue", "black", "purple"][: len(weights)]
    p = np.array(weights) / np.sum(weights)
    df["color"] = rng.choice(labels, size=len(df), p=p)
    return df


def scenarios(seed):
    """(name, baseline, target, what should rank first)."""
    rng = np.random.default_rng(seed)
    out = []
    out.append(("no drift, 30 rows", normal(rng, 30, 5), normal(rng, 30, 5), "-"))
    t = normal(rng, 30, 5)
    t["f2"] += 1.5
    out.append(("mean shift 1.5 sd in f2, 30 rows", normal(rng, 30, 5), t, "f2"))
    t = normal(rng, 100, 5)
    t["f2"] += 1.0
    out.append(("mean shift 1 sd in f2, 100 rows", normal(rng, 100, 5), t, "f2"))
    b, t = correlated(rng, 30, 5, 0.9, "f0", "f1"), correlated(rng, 30, 5, 0.9, "f0", "f1")
    t[["f0", "f1"]] += 1.5
    out.append(("seasonal: f0, f1 (corr. 0.9) +1.5 sd, 30 rows", b, t, "f0, f1"))
    out.append(("no drift, 50 rows", normal(rng, 50, 12), normal(rng, 50, 12), "-"))
    out.append(("no drift, 5,000 rows", normal(rng, 5000, 12), normal(rng, 5000, 12), "-"))
    t = normal(rng, 5000, 12)
    t["f7"] += 0.5
    out.append(("mean shift 0.5 sd in f7", normal(rng, 5000, 12), t, "f7"))
    out.append(
        (
            "correlation of f2, f9 flipped",
            correlated(rng, 20000, 12, 0.8),
            correlated(rng, 20000, 12, -0.8),
            "f2, f9",
        )
    )
    out.append(
        (
            "f3 missing 5 % -> 20 %",
            with_missing(normal(rng, 5000, 12), "f3", 0.05, rng),
            with_missing(normal(rng, 5000, 12), "f3", 0.20, rng),
            "f3",
        )
    )
    out.append(
        (
            "color: new category, 10 %",
            with_color(normal(rng, 5000, 6), [0.5, 0.3, 0.15, 0.05], rng),
            with_color(normal(rng, 5000, 6), [0.35, 0.3, 0.15, 0.05, 0.15], rng),
            "color",
        )
    )
    t = normal(rng, 50000, 20)
    t["f3"] += 0.3
    t["f12"] *= 1.3
    out.append(("50,000 rows x 20, f3 and f12 drift", normal(rng, 50000, 20), t, "f3, f12"))
    return out


def design(base, target):
    x = pd.concat([base, target], ignore_index=True)
    if "color" in x:
        x["color"] = x["color"].astype("category").cat.codes.replace(-1, np.nan)
    y = np.r_[np.zeros(len(base)), np.ones(len(target))]
    return x, y


def cross_fit(x, y, seed, importances=False):
    """Out-of-fold probabilities of a 5-fold stratified cross-fit, and mean impurity importances."""
    proba = np.zeros(len(y))
    imp = np.zeros(x.shape[1])
    for train, test in StratifiedKFold(5, shuffle=True, random_state=seed).split(x, y):
        clf = RandomForestClassifier(n_estimators=100, random_state=seed, n_jobs=2)
        clf.fit(x.iloc[train], y[train])
        proba[test] = clf.predict_proba(x.iloc[test])[:, 1]
        if importances:
            imp += clf.feature_importances_ / 5
    return proba, imp


def null_99(x, y, seed, n):
    """99th percentile of the cross-fitted MCC under no drift: label permutations when small."""
    if n > 1000:
        return 2.326 / np.sqrt(2 * n)
    rng = np.random.default_rng(seed)
    null = []
    for _ in range(100):
        yp = rng.permutation(y)
        proba, _ = cross_fit(x, yp, seed)
        null.append(matthews_corrcoef(yp, proba > 0.5))
    return float(np.quantile(np.clip(null, 0, 1), 0.99))


def sklearn_raw_coefficient(base, target, seed):
    """Cross-fitted MCC, clipped, without the gate: what a plain forest reports on no drift."""
    x, y = design(base, target)
    proba, _ = cross_fit(x, y, seed)
    return float(np.clip(matthews_corrcoef(y, proba > 0.5), 0, 1))


def driftscan_run(exe, tmp, base, target, seed, name):
    b_path, t_path = os.path.join(tmp, "baseline.csv"), os.path.join(tmp, "target.csv")
    base.to_csv(b_path, index=False, na_rep="")
    target.to_csv(t_path, index=False, na_rep="")
    run = subprocess.run([exe, b_path, t_path, str(seed)], capture_output=True, text=True)
    if run.returncode != 0:
        sys.exit(f"driftscan failed on `{name}`: {run.stderr.strip()}")
    return json.loads(run.stdout)


def sklearn_side(base, target, seed):
    x, y = design(base, target)
    proba, imp = cross_fit(x, y, seed, importances=True)
    mcc = float(np.clip(matthews_corrcoef(y, proba > 0.5), 0, 1))
    floor = null_99(x, y, seed, len(base))
    coefficient = mcc if mcc > floor else 0.0
    share = imp / imp.sum() if imp.sum() > 0 and coefficient > 0 else np.zeros_like(imp)
    return {
        "coefficient": coefficient,
        "mcc_raw": mcc,
        "noise_floor": floor,
        "roc_auc": float(roc_auc_score(y, proba)),
        "contributions": list(zip(x.columns, share.tolist())),
    }


def top(contributions, k=3):
    ranked = sorted(contributions, key=lambda c: -c[1])
    return ", ".join(f"{n} {v:.2f}" for n, v in ranked[:k] if v > 0) or "(none)"


def build_example():
    subprocess.run(
        ["cargo", "build", "--quiet", "--release", "--example", "classifier_crosscheck"],
        cwd=ROOT,
        check=True,
    )
    target_dir = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
    return os.path.join(target_dir, "release", "examples", "classifier_crosscheck")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", help="path of a built classifier_crosscheck example")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--repeats", type=int, default=20, help="seeds per size in the false-alarm sweep")
    args = ap.parse_args()
    exe = args.bin or build_example()

    rows = []
    sweep = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, base, target, expected in scenarios(args.seed):
            ds = driftscan_run(exe, tmp, base, target, args.seed, name)
            sk = sklearn_side(base, target, args.seed)
            rows.append((name, len(base), expected, ds, sk))
        # False alarms: identical distributions, many seeds.
        for n in (30, 100, 1000):
            ours, theirs = [], []
            for r in range(args.repeats):
                rng = np.random.default_rng(1000 + r)
                base, target = normal(rng, n, 5), normal(rng, n, 5)
                ours.append(driftscan_run(exe, tmp, base, target, r, "no drift")["coefficient"])
                theirs.append(sklearn_raw_coefficient(base, target, r))
            sweep.append((n, ours, theirs))

    print("| scenario | rows/side | expected top | driftscan coef (AUC), p-value | sklearn RF coef (AUC) "
          "| driftscan noise floor | sklearn null 99 % | driftscan top contributions "
          "| sklearn top importances | driftscan ms |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for name, n, expected, ds, sk in rows:
        print(
            f"| {name} | {n:,} | {expected} "
            f"| {ds['coefficient']:.3f} ({ds['roc_auc']:.3f}), {ds['p_value']:.1e} "
            f"| {sk['coefficient']:.3f} ({sk['roc_auc']:.3f}) "
            f"| {ds['noise_floor']:.3f} | {sk['noise_floor']:.3f} "
            f"| {top(ds['contributions'])} | {top(sk['contributions'])} | {ds['total_ms']:.0f} |"
        )
    print()
    print(f"No drift, 5 normal features, {args.repeats} seeds per size: coefficient mean / max / share >= 0.05")
    print()
    print("| rows/side | driftscan (calibrated) | sklearn RF, cross-fitted, ungated |")
    print("|---|---|---|")
    for n, ours, theirs in sweep:
        def fmt(v):
            v = np.array(v)
            return f"{v.mean():.3f} / {v.max():.3f} / {np.mean(v >= 0.05):.0%}"
        print(f"| {n:,} | {fmt(ours)} | {fmt(theirs)} |")


if __name__ == "__main__":
    main()
