"""The data-quality signal of ``driftscan.scan`` on in-memory pandas frames and on merged Spark
partitions, on the design of ``tests/quality.rs``: nulls, text in a numeric column, values
beyond the reference's range and unseen categories injected at exact shares; each rate equals
its share exactly, and so does each count."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

import driftscan
from conftest import DATE

ROWS = 40_000

#: feature -> (nulls, type errors, out of bounds), as counts of ROWS.
EXPECTED = {
    "x": (2_000, 2_000, 4_000),
    "c": (1_600, 0, 3_200),
    "v": (0, 0, 1_600),
}


def reference() -> pd.DataFrame:
    i = range(ROWS)
    return pd.DataFrame(
        {
            "x": [k % 100 for k in i],
            "c": [["a", "b", "c", "d"][k % 4] for k in i],
            "v": [1000.0 + k * 0.25 for k in i],
        }
    )


def production_values(k: int) -> tuple[Any, Any, float]:
    x: Any = {0: None, 1: "abc", 2: 100 + k, 3: -1 - k}.get(k % 20, k % 100)
    c: Any = {0: None, 1: "zz", 2: "yy"}.get(k % 25, ["a", "b", "c", "d"][k % 4])
    v = {4: 500.0 + k * 0.001, 5: 20_000.0 + k * 0.5}.get(k % 50, 1000.5 + k * 0.2)
    return x, c, v


def production() -> pd.DataFrame:
    """``x`` is an object column of numbers, text and None, as a frame read from a messy source."""
    rows = [production_values(k) for k in range(ROWS)]
    return pd.DataFrame(rows, columns=["x", "c", "v"])


def assert_exact(result: driftscan.ScanResult) -> None:
    dq = result.data_quality
    for feature, (nulls, errors, outside) in EXPECTED.items():
        row = dq.loc[feature]
        assert row["rows"] == ROWS, feature
        got = (row["null_value_rate_count"], row["data_type_error_rate_count"], row["out_of_bounds_rate_count"])
        assert got == (nulls, errors, outside), feature
        for metric, count in zip(("null_value_rate", "data_type_error_rate", "out_of_bounds_rate"), got):
            assert row[metric] == count / ROWS, (feature, metric)
    signal = next(s for s in result.signals if s["name"] == "data_quality")
    assert signal["passed"] is False and not signal.get("warnings")
    assert result.to_dict()["signals"][1]["name"] == "data_quality"


def test_rates_equal_the_injected_shares_on_pandas_frames() -> None:
    result = driftscan.scan(reference(), production(), date=DATE)
    assert_exact(result)
    assert set(result.data_quality.index) == {"x", "c", "v"}
    assert not result.data_quality["passed"].any()


def test_a_clean_production_frame_passes_with_zero_rates() -> None:
    ref = reference()
    result = driftscan.scan(ref, ref.sample(frac=0.5, random_state=1), date=DATE)
    dq = result.data_quality
    assert (dq[["null_value_rate", "data_type_error_rate", "out_of_bounds_rate"]] == 0).all().all()
    assert dq["passed"].all()
