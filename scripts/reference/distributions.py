#!/usr/bin/env python3
"""Reference values for driftscan's plotting distributions (src/drift/distributions.rs).

For each case, two seeded samples are generated, and numpy / scipy give:
  * the shared histogram edges: 31 points of numpy.linspace between the smaller 0.5 % and the
    larger 99.5 % numpy.quantile of the two sides (fallbacks as in distributions.rs),
  * numpy.histogram(values, bins=edges) counts per side and the values outside the edges,
  * std(ddof=1) per side, and scipy.stats.gaussian_kde(values) evaluated on
    numpy.linspace(edges[0], edges[-1], 128), with its bandwidth sqrt(kde.covariance[0, 0]).

The samples come from a generator both languages compute bit for bit: SplitMix64 outputs turned
into values with exact or correctly rounded arithmetic only (+, -, *, /), so the Rust test
(tests/distributions.rs) rebuilds the very same values without storing them.

    python scripts/reference/distributions.py > tests/data/reference/distributions.json
"""
import json
import sys

import numpy as np
from scipy.stats import gaussian_kde

GOLDEN = np.uint64(0x9E3779B97F4A7C15)
MASK = (1 << 64) - 1


def splitmix(seed, count):
    """The first `count` outputs of SplitMix64 seeded with `seed`."""
    with np.errstate(over="ignore"):
        z = np.uint64(seed) + np.arange(1, count + 1, dtype=np.uint64) * GOLDEN
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return z ^ (z >> np.uint64(31))


def u20(seed, count):
    """`count` 20-bit integers."""
    return (splitmix(seed, count) >> np.uint64(44)).astype(np.int64)


def generate(spec):
    """Values of one side; must match `generate` in tests/distributions.rs."""
    kind, n, seed = spec["kind"], spec["n"], spec["seed"]
    if kind in ("normal", "square"):
        # Irwin-Hall: sum of 12 uniforms on [0, 1) minus 6, on a 2^-20 lattice (exact).
        k = u20(seed, 12 * n).reshape(n, 12).sum(axis=1)
        x = k.astype(np.float64) / 2.0**20 - 6.0
        if kind == "square":
            x = x * x
    elif kind == "pareto":
        x = 2.0**20 / (u20(seed, n).astype(np.float64) + 1.0)
    elif kind == "integer":
        x = (u20(seed, 8 * n) >> 17).reshape(n, 8).sum(axis=1).astype(np.float64)
    else:
        raise ValueError(f"unknown kind {kind}")
    return x * spec["scale"] + spec["shift"]


def side(kind, n, seed, scale=1.0, shift=0.0):
    return {"kind": kind, "n": n, "seed": seed, "scale": scale, "shift": shift}


CASES = [
    ("normal_vs_wider_shifted", side("normal", 5000, 1), side("normal", 4000, 2, 1.25, 0.5)),
    ("skewed_square", side("square", 3000, 3), side("square", 3000, 4, 1.5)),
    ("heavy_tail_pareto", side("pareto", 2000, 5), side("pareto", 2500, 6)),
    ("integers_with_ties", side("integer", 6000, 7), side("integer", 6000, 8, 1.0, 1.0)),
    ("small_samples", side("normal", 40, 11), side("normal", 60, 12, 0.5, 0.25)),
    ("large_inexact_sketch", side("normal", 200000, 9), side("normal", 200000, 10, 1.0, 0.25)),
]


def edges_for(a, b):
    lo = min(np.quantile(a, 0.005), np.quantile(b, 0.005))
    hi = max(np.quantile(a, 0.995), np.quantile(b, 0.995))
    if not hi > lo:
        lo, hi = min(a.min(), b.min()), max(a.max(), b.max())
    if not hi > lo:
        lo, hi = lo - 0.5, hi + 0.5
    return np.linspace(lo, hi, 31)


def reference(name, spec_b, spec_t):
    a, b = generate(spec_b), generate(spec_t)
    edges = edges_for(a, b)
    grid = np.linspace(edges[0], edges[-1], 128)
    out = {"name": name, "baseline": spec_b, "target": spec_t, "edges": edges.tolist(), "grid": grid.tolist()}
    for key, v in (("baseline", a), ("target", b)):
        kde = gaussian_kde(v)
        out[key + "_result"] = {
            "counts": np.histogram(v, bins=edges)[0].tolist(),
            "outside": [int((v < edges[0]).sum()), int((v > edges[-1]).sum())],
            "std": float(np.std(v, ddof=1)),
            "bandwidth": float(np.sqrt(kde.covariance[0, 0])),
            "density": kde(grid).tolist(),
            "first_values": v[:3].tolist(),
        }
    return out


def main():
    doc = {
        "generated_by": "scripts/reference/distributions.py",
        "numpy": np.__version__,
        "cases": [reference(*case) for case in CASES],
    }
    json.dump(doc, sys.stdout, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
