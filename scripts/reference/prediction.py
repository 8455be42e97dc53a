#!/usr/bin/env python3
"""Reference values for prediction drift's own metrics (src/drift/metrics/chebyshev.rs,
src/drift/prediction.rs).

  * "numeric": two seeded samples (the generator of distributions.py, which Rust rebuilds bit for
    bit), binned as binning.rs bins numeric columns: edges = numpy.unique(numpy.quantile(b,
    [.1, ..., .9])), or one bin per baseline value when it has at most 10 distinct values; bin of
    x = numpy.searchsorted(edges, x, side="left"). Per side the shares, then
    scipy.spatial.distance.chebyshev(b, t) and the population stability index with shares
    floored at 1e-4;
  * "categorical": 2 x k tables of counts, and scipy.spatial.distance.chebyshev and the floored
    PSI of their shares (the PSI prediction drift reports for a categorical output).

    python scripts/reference/prediction.py > tests/data/reference/prediction.json
"""
import json
import os
import sys

import numpy as np
from scipy.spatial import distance

sys.path.insert(0, os.path.dirname(__file__))
from distributions import generate, side  # noqa: E402

FLOOR = 1e-4

NUMERIC = [
    ("normal_shifted", side("normal", 5000, 41), side("normal", 4000, 42, 1.0, 0.3)),
    ("normal_same", side("normal", 3000, 43), side("normal", 3000, 44)),
    ("small_30", side("normal", 30, 45), side("normal", 30, 46, 1.0, 0.5)),
    ("skewed_square", side("square", 2000, 47), side("square", 1500, 48, 1.5)),
    ("integers_with_ties", side("integer", 2000, 49), side("integer", 2000, 50, 1.0, 1.0)),
]

CATEGORICAL = [
    ([500, 300, 200], [300, 300, 400]),
    ([10, 20, 30, 0], [20, 20, 20, 5]),
    ([1, 1], [1, 1]),
    ([9000, 1000], [8800, 1200]),
]


def edges_of(b):
    values = np.unique(b)
    if len(values) <= 10:
        return values[:-1]
    return np.unique(np.quantile(b, np.arange(1, 10) / 10))


def shares(x, edges):
    bins = np.searchsorted(edges, x, side="left")
    return np.bincount(bins, minlength=len(edges) + 1) / len(x)


def psi(b, t):
    b, t = np.maximum(b, FLOOR), np.maximum(t, FLOOR)
    return float(np.sum((t - b) * np.log(t / b)))


def main():
    out = {"numeric": [], "categorical": []}
    for name, bs, ts in NUMERIC:
        a, b = generate(bs), generate(ts)
        edges = edges_of(a)
        sa, sb = shares(a, edges), shares(b, edges)
        out["numeric"].append({
            "name": name, "baseline": bs, "target": ts,
            "baseline_shares": sa.tolist(), "target_shares": sb.tolist(),
            "chebyshev_distance": float(distance.chebyshev(sa, sb)),
            "population_stability_index": psi(sa, sb),
        })
    for b, t in CATEGORICAL:
        b, t = np.array(b, dtype=float), np.array(t, dtype=float)
        sb, st = b / b.sum(), t / t.sum()
        out["categorical"].append({
            "baseline": b.tolist(), "target": t.tolist(),
            "chebyshev_distance": float(distance.chebyshev(sb, st)),
            "population_stability_index": psi(sb, st),
        })
    json.dump(out, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()
