#!/usr/bin/env python3
"""Cross-check driftscan's domain classifier against scikit-learn.

For each scenario, seeded numpy data (baseline and target) are written to CSV in a temporary
directory. scikit-learn's HistGradientBoostingClassifier is trained as Azure ML defines the drift
coefficient (baseline rows label 0, target rows 1, stratified 50/50 split, Matthews correlation on
the held-out half clipped to [0, 1], plus held-out ROC AUC); its feature ranking comes from
permutation importance (ROC AUC drop on the held-out half). driftscan runs on the same files
through `examples/classifier_crosscheck.rs`. A comparison table is printed.

    python scripts/crosscheck_classifier.py [--bin PATH] [--seeds N]

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
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.inspection import permutation_importance
from sklearn.metrics import matthews_corrcoef, roc_auc_score
from sklearn.model_selection import train_test_split

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


def sklearn_coefficient(base, target, seed):
    """Coefficient alone (no importances), for the false-alarm sweep."""
    x = pd.concat([base, target], ignore_index=True)
    y = np.r_[np.zeros(len(base)), np.ones(len(target))]
    x_tr, x_te, y_tr, y_te = train_test_split(x, y, test_size=0.5, stratify=y, random_state=seed)
    clf = HistGradientBoostingClassifier(random_state=seed).fit(x_tr, y_tr)
    return float(np.clip(matthews_corrcoef(y_te, clf.predict(x_te)), 0, 1))


def driftscan_run(exe, tmp, base, target, seed, name):
    b_path, t_path = os.path.join(tmp, "baseline.csv"), os.path.join(tmp, "target.csv")
    base.to_csv(b_path, index=False, na_rep="")
    target.to_csv(t_path, index=False, na_rep="")
    run = subprocess.run([exe, b_path, t_path, str(seed)], capture_output=True, text=True)
    if run.returncode != 0:
        sys.exit(f"driftscan failed on `{name}`: {run.stderr.strip()}")
    return json.loads(run.stdout)


def sklearn_side(base, target, seed):
    x = pd.concat([base, target], ignore_index=True)
    if "color" in x:
        x["color"] = x["color"].astype("category")
    y = np.r_[np.zeros(len(base)), np.ones(len(target))]
    x_tr, x_te, y_tr, y_te = train_test_split(x, y, test_size=0.5, stratify=y, random_state=seed)
    clf = HistGradientBoostingClassifier(random_state=seed, categorical_features="from_dtype")
    clf.fit(x_tr, y_tr)
    mcc = matthews_corrcoef(y_te, clf.predict(x_te))
    auc = roc_auc_score(y_te, clf.predict_proba(x_te)[:, 1])
    imp = permutation_importance(clf, x_te, y_te, scoring="roc_auc", n_repeats=5, random_state=seed)
    gain = np.clip(imp.importances_mean, 0, None)
    share = gain / gain.sum() if gain.sum() > 0 else gain
    return {
        "coefficient": float(np.clip(mcc, 0, 1)),
        "roc_auc": float(auc),
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
        for n in (50, 500, 5000):
            ours, theirs = [], []
            for s in range(args.repeats):
                rng = np.random.default_rng(1000 + s)
                base, target = normal(rng, n, 12), normal(rng, n, 12)
                ours.append(driftscan_run(exe, tmp, base, target, s, "no drift")["coefficient"])
                theirs.append(sklearn_coefficient(base, target, s))
            sweep.append((n, ours, theirs))

    print("| scenario | rows/side | expected top | driftscan coef (AUC) | sklearn coef (AUC) "
          "| driftscan top contributions | sklearn top permutation importances "
          "| driftscan noise floor mean/max | driftscan ms (fit / with noise floor) |")
    print("|---|---|---|---|---|---|---|---|---|")
    for name, n, expected, ds, sk in rows:
        nf = ds["noise_floor"]
        print(
            f"| {name} | {n:,} | {expected} "
            f"| {ds['coefficient']:.3f} ({ds['roc_auc']:.3f}) | {sk['coefficient']:.3f} ({sk['roc_auc']:.3f}) "
            f"| {top(ds['contributions'])} | {top(sk['contributions'])} "
            f"| {nf['mean']:.3f} / {nf['max']:.3f} | {ds['fit_ms']:.0f} / {ds['total_ms']:.0f} |"
        )
    print()
    print(f"No drift, 12 normal features, {args.repeats} seeds per size: coefficient mean / max / share >= 0.05")
    print()
    print("| rows/side | driftscan | sklearn HistGradientBoosting |")
    print("|---|---|---|")
    for n, ours, theirs in sweep:
        def fmt(v):
            v = np.array(v)
            return f"{v.mean():.3f} / {v.max():.3f} / {np.mean(v >= 0.05):.0%}"
        print(f"| {n:,} | {fmt(ours)} | {fmt(theirs)} |")


if __name__ == "__main__":
    main()
