#!/usr/bin/env python3
"""Reference values for driftscan's per-feature significance (src/drift/metrics/ks_p_value.rs,
chi_squared.rs, missing_rate_p_value.rs, significance.rs).

Three groups of cases:
  * "ks_samples": two seeded samples (the generator of distributions.py, which Rust rebuilds bit
    for bit) and scipy.stats.ks_2samp(a, b, method="auto"): statistic and p-value, exact and
    asymptotic regimes, equal and unequal sizes;
  * "ks_direct": (statistic, n1, n2) and the p-value scipy's ks_2samp computes for them: the exact
    path (_attempt_exact_2kssamp) when both sizes are at most 10,000, else
    scipy.stats.kstwo.sf(d, round(n1 n2 / (n1 + n2))), over every branch of kstwo;
  * "chi2": 2 x k tables and scipy.stats.chi2_contingency(table, correction=False) (statistic,
    p-value); the 2 x 2 ones are the missing-rate test (missing / present by side);
  * "holm": p-value lists and their Holm step-down adjustment (what
    statsmodels.stats.multitest.multipletests(p, method="holm")[1] returns), by its formula.

    python scripts/reference/significance.py > tests/data/reference/significance.json
"""
import json
import math
import os
import sys

import numpy as np
import scipy
from scipy import stats
from scipy.stats import _stats_py

sys.path.insert(0, os.path.dirname(__file__))
from distributions import generate, side  # noqa: E402

KS_SAMPLES = [
    ("equal_30_shifted", side("normal", 30, 21), side("normal", 30, 22, 1.0, 1.5)),
    ("equal_100_same", side("normal", 100, 23), side("normal", 100, 24)),
    ("unequal_731_31", side("normal", 731, 25), side("normal", 31, 26, 1.0, 1.5)),
    ("unequal_500_37_ties", side("integer", 500, 27), side("integer", 37, 28, 1.0, 1.0)),
    ("unequal_10000_9000", side("normal", 10000, 29), side("normal", 9000, 30, 1.0, 0.03)),
    # Integer values above 10,000 rows, so that the profiles' sketches stay exact.
    ("asymptotic_50000_31", side("integer", 50000, 31), side("integer", 31, 32, 1.0, 3.0)),
    ("asymptotic_20000_20000", side("integer", 20000, 33), side("integer", 20000, 34)),
    ("asymptotic_60000_3000", side("integer", 60000, 35), side("integer", 3000, 36, 1.0, 1.0)),
]

KS_DIRECT = [
    # exact, equal sizes
    (0.1, 1000, 1000), (0.5, 30, 30), (0.9, 40, 40), (0.02, 10000, 10000),
    # exact, unequal sizes
    (0.3, 31, 731), (0.05, 2000, 3000), (0.7, 12, 900), (0.015, 9999, 10000), (0.2, 7, 13),
    # asymptotic, every branch of kstwo (n = round(n1 n2 / (n1 + n2)))
    (0.02, 10001, 31),      # n 31, t <= 1 (Ruben-Gambino)
    (0.97, 20000, 31),      # n 31, t >= n - 1
    (0.6, 20000, 31),       # x >= 0.5
    (0.1, 20000, 50),       # n <= 140, n x^2 <= 0.754693 (Durbin matrix)
    (0.2, 20000, 60),       # n <= 140, n x^2 <= 4 (Pomeranz)
    (0.35, 20000, 100),     # n <= 140, larger: 2 * smirnov
    (0.01, 20000, 20000),   # n 10000, n x^2 < 2.2, n x^1.5 > 1.4 (Pelz-Good)
    (0.03, 50000, 200),     # n 199, n x^1.5 <= 1.4 (Durbin matrix)
    (0.03, 30000, 30000),   # n 15000, n x^2 >= 2.2 (2 * smirnov)
    (0.05, 1000000, 1000000),  # n 500000, n x^2 >= 370 (0)
    (0.0015, 1000000, 500000),  # n 333333, Pelz-Good
    (0.004, 400000, 400000),  # n 200000, 2 * smirnov with many terms
]

CHI2 = [
    [[10, 20, 30], [20, 20, 20]],
    [[500, 300, 150, 50, 0], [350, 300, 150, 50, 150]],
    [[3, 27], [9, 21]],          # missing-rate test: missing / present
    [[50, 950], [200, 800]],
    [[0, 30], [0, 31]],          # no missing on either side: no test (p = 1)
    [[5000, 995000], [5100, 994900]],
]

HOLM = [
    [0.01, 0.04, 0.03, 0.005],
    [0.2, 1.0, 0.001, 0.0001, 0.049, 0.5],
    [1e-12, 0.02],
]


def ks_direct(d, n1, n2):
    if max(n1, n2) <= 10000:
        ok, d2, p = _stats_py._attempt_exact_2kssamp(n1, n2, math.gcd(n1, n2), d, "two-sided")
        assert ok
        return float(p)
    m, n = sorted([float(n1), float(n2)], reverse=True)
    return float(stats.kstwo.sf(d, np.round(m * n / (m + n))))


def chi2(table):
    t = np.array(table, dtype=float)
    t = t[:, t.sum(axis=0) > 0]
    if t.shape[1] < 2:
        return 0.0, 1.0
    r = stats.chi2_contingency(t, correction=False)
    return float(r.statistic), float(r.pvalue)


def holm(p):
    p = np.asarray(p, dtype=float)
    m = len(p)
    order = np.argsort(p, kind="stable")
    adj = np.empty(m)
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p[i]))
        adj[i] = running
    return adj.tolist()


def main():
    out = {"scipy": scipy.__version__, "ks_samples": [], "ks_direct": [], "chi2": [], "holm": []}
    for name, a, b in KS_SAMPLES:
        r = stats.ks_2samp(generate(a), generate(b), method="auto")
        out["ks_samples"].append({"name": name, "baseline": a, "target": b,
                                  "statistic": float(r.statistic), "p_value": float(r.pvalue)})
    for d, n1, n2 in KS_DIRECT:
        out["ks_direct"].append({"statistic": d, "n1": n1, "n2": n2, "p_value": ks_direct(d, n1, n2)})
    for table in CHI2:
        s, p = chi2(table)
        out["chi2"].append({"baseline": table[0], "target": table[1], "statistic": s, "p_value": p})
    for p in HOLM:
        out["holm"].append({"p_values": p, "adjusted": holm(p)})
    json.dump(out, sys.stdout, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
