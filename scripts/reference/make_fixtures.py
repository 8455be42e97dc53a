#!/usr/bin/env python3
"""Accuracy fixtures for the drift engine, and scipy's values on them.

    make_fixtures.py OUTDIR                 # write baseline.csv and target.csv into OUTDIR
    make_fixtures.py OUTDIR --expected F    # ... and write the expected metrics JSON to F

The data comes from numpy's PCG64 generator with a fixed seed and is written with Python's
shortest round-trip float formatting, so the same numpy version (pinned in
scripts/requirements-test.txt) writes the same bytes every time. The expected JSON records the
SHA-256 of both files: the Rust test regenerates the files at test time, checks the hashes and
compares driftscan's metrics with the values below, which scipy computed on the raw values.

Columns (100,000 rows per side):
  skewed     lognormal                       target: location and scale shifted
  heavy      Student t, df = 2 (heavy tails)  target: scaled and shifted
  count      Poisson (integer-valued)         target: larger rate
  partial    normal, 20 % empty               target: shifted, 30 % empty
  wide       1e6 + normal * 1e3 (many distinct values at a large magnitude)
  unchanged  normal                           target: same distribution, new draws
  category   5 categories                     target: shifted frequencies, a new category, missing values
"""
import argparse
import hashlib
import json
import os

import numpy as np
from scipy import stats
from scipy.spatial.distance import jensenshannon

ROWS = 100_000
SEED = 20261125
NUMERIC = ["skewed", "heavy", "count", "partial", "wide", "unchanged"]


def generate():
    rng = np.random.default_rng(SEED)
    sides = {}
    for side in ("baseline", "target"):
        t = side == "target"
        cols = {}
        cols["skewed"] = rng.lognormal(0.2 if t else 0.0, 1.1 if t else 1.0, ROWS)
        cols["heavy"] = rng.standard_t(2, ROWS) * (1.3 if t else 1.0) + (0.5 if t else 0.0)
        cols["count"] = rng.poisson(3.5 if t else 3.0, ROWS).astype(float)
        partial = rng.normal(52.0 if t else 50.0, 10.0, ROWS)
        partial[rng.random(ROWS) < (0.3 if t else 0.2)] = np.nan
        cols["partial"] = partial
        cols["wide"] = 1e6 + rng.normal(100.0 if t else 0.0, 1e3, ROWS)
        cols["unchanged"] = rng.normal(0.0, 1.0, ROWS)
        if t:
            cats = rng.choice(["a", "b", "c", "d", "e", "f"], ROWS, p=[0.3, 0.3, 0.2, 0.1, 0.05, 0.05])
            cats[rng.random(ROWS) < 0.02] = ""
        else:
            cats = rng.choice(["a", "b", "c", "d", "e"], ROWS, p=[0.4, 0.3, 0.15, 0.1, 0.05])
        cols["category"] = cats
        sides[side] = cols
    return sides


def fmt(x):
    if isinstance(x, str):
        return x
    if np.isnan(x):
        return ""
    if float(x).is_integer() and abs(x) < 1e15:
        return str(int(x))
    return repr(float(x))


def write_csv(path, cols):
    names = NUMERIC + ["category"]
    with open(path, "w", newline="") as f:
        f.write(",".join(names) + "\n")
        columns = [cols[n] for n in names]
        for i in range(ROWS):
            f.write(",".join(fmt(c[i]) for c in columns) + "\n")


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        h.update(f.read())
    return h.hexdigest()


def decile_shares(b, t):
    """Baseline-decile bins as driftscan defines them (drift/metrics/binning.rs)."""
    values = np.unique(b)
    if len(values) <= 10:
        edges = values[:-1]
    else:
        edges = np.unique(np.quantile(b, np.arange(1, 10) / 10.0))
    nb = np.bincount(np.searchsorted(edges, b, side="left"), minlength=len(edges) + 1)
    nt = np.bincount(np.searchsorted(edges, t, side="left"), minlength=len(edges) + 1)
    return nb / nb.sum(), nt / nt.sum()


def numeric_expected(b_raw, t_raw):
    b, t = b_raw[np.isfinite(b_raw)], t_raw[np.isfinite(t_raw)]
    pb, pt = decile_shares(b, t)
    fb, ft = np.maximum(pb, 1e-4), np.maximum(pt, 1e-4)
    return {
        "wasserstein_distance": float(stats.wasserstein_distance(b, t)),
        "energy_distance": float(stats.energy_distance(b, t)),
        "two_sample_ks_statistic": float(stats.ks_2samp(b, t).statistic),
        "population_stability_index": float(np.sum((ft - fb) * np.log(ft / fb))),
        "jensen_shannon_distance": float(jensenshannon(pb, pt, base=2)),
        "baseline_std": float(np.std(b)),
        "baseline_mean": float(np.mean(b)),
        "baseline_missing_rate": float(np.mean(np.isnan(b_raw))),
        "target_missing_rate": float(np.mean(np.isnan(t_raw))),
    }


def categorical_expected(b, t):
    b = np.where(b == "", "(missing)", b)
    t = np.where(t == "", "(missing)", t)
    labels = sorted(set(b) | set(t))
    cb = np.array([np.sum(b == l) for l in labels], dtype=float)
    ct = np.array([np.sum(t == l) for l in labels], dtype=float)
    chi2, p = stats.chi2_contingency(np.array([cb, ct]), correction=False)[:2]
    seen = set(b) - {"(missing)"}
    unseen = np.sum([(x not in seen) and x != "(missing)" for x in t]) / len(t)
    return {
        "jensen_shannon_distance": float(jensenshannon(cb / cb.sum(), ct / ct.sum(), base=2)),
        "chi_squared": float(chi2),
        "chi_squared_p_value": float(p),
        "unseen_category_rate": float(unseen),
        "baseline_missing_rate": float(np.mean(b == "(missing)")),
        "target_missing_rate": float(np.mean(t == "(missing)")),
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("outdir")
    ap.add_argument("--expected")
    args = ap.parse_args()
    os.makedirs(args.outdir, exist_ok=True)
    sides = generate()
    paths = {}
    for side, cols in sides.items():
        paths[side] = os.path.join(args.outdir, f"{side}.csv")
        write_csv(paths[side], cols)
    if args.expected:
        b, t = sides["baseline"], sides["target"]
        out = {
            "generator": "scripts/reference/make_fixtures.py",
            "numpy": np.__version__,
            "rows_per_side": ROWS,
            "seed": SEED,
            "sha256": {side: sha256(p) for side, p in paths.items()},
            "numeric": {n: numeric_expected(b[n], t[n]) for n in NUMERIC},
            "categorical": {"category": categorical_expected(b["category"], t["category"])},
        }
        with open(args.expected, "w") as f:
            json.dump(out, f, indent=2, sort_keys=True)
            f.write("\n")
    for side, p in paths.items():
        print(f"{side} {sha256(p)}")


if __name__ == "__main__":
    main()
