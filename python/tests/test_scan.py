"""``driftscan.scan`` and ``driftscan.profile`` against the ``driftscan`` command on the same data.

The pandas, polars, pyarrow and DuckDB tables cross through the Arrow C stream; the command reads
the same tables written to CSV and Parquet. Everything the engine computes from the data (row
counts, schema, quality, every per-feature distance, distributions, and the domain classifier's
figures) must be identical: profiles do not depend on how rows were split into files, chunks or
batches, so the classifier sees the same rows whichever way the data came in.
"""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import driftscan
from conftest import DATE, cli_scan_json, comparable, frame, run_cli


def write_both(df: pd.DataFrame, folder: Path, stem: str) -> tuple[str, str]:
    csv, parquet = folder / f"{stem}.csv", folder / f"{stem}.parquet"
    df.to_csv(csv, index=False)
    df.to_parquet(parquet, index=False)
    return str(csv), str(parquet)


def py_scan(baseline, target, **kw) -> dict:
    return driftscan.scan(baseline, target, date=DATE, **kw).to_dict()


TABLES = {
    "pandas": lambda df: df,
    "polars": lambda df: pl.from_pandas(df),
    "pyarrow": lambda df: pa.Table.from_pandas(df, preserve_index=False),
}


@pytest.fixture(scope="module")
def moderate(tmp_path_factory) -> dict:
    """A baseline and a target with drift in income, utilisation and a new region."""
    folder = tmp_path_factory.mktemp("moderate")
    base, target = frame(4000, 1), frame(3000, 2, shift=0.3, new_region=0.1, missing=0.15)
    b_csv, b_pq = write_both(base, folder, "train")
    t_csv, t_pq = write_both(target, folder, "today")
    return {
        "base": base, "target": target, "folder": folder,
        "csv": cli_scan_json(b_csv, t_csv), "parquet": cli_scan_json(b_pq, t_pq),
        "paths": (b_csv, t_csv), "parquet_paths": (b_pq, t_pq),
    }


@pytest.mark.parametrize("kind", sorted(TABLES))
def test_tables_give_the_commands_figures_on_csv_and_parquet(moderate, kind):
    to_table = TABLES[kind]
    doc = py_scan(to_table(moderate["base"]), to_table(moderate["target"]))
    mine = comparable(doc)
    assert mine == comparable(moderate["parquet"])
    assert mine == comparable(moderate["csv"])
    assert doc["baseline"]["rows"] == 4000 and doc["target"]["rows"] == 3000
    assert doc["baseline"]["source"] == f"<{kind}.{'Table' if kind == 'pyarrow' else 'DataFrame'}>"
    assert doc["has_drift"] is True
    # A second scan of the same tables gives the same document.
    again = py_scan(to_table(moderate["base"]), to_table(moderate["target"]))
    assert comparable(again) == comparable(doc)


def test_duckdb_relation_gives_the_same_figures(moderate):
    import duckdb

    con = duckdb.connect()
    b_pq, t_pq = moderate["parquet_paths"]
    base = con.sql(f"select * from read_parquet('{b_pq}')")
    target = con.sql(f"select * from read_parquet('{t_pq}')")
    doc = py_scan(base, target)
    assert doc["baseline"]["source"] == "<duckdb.DuckDBPyRelation>"
    # DuckDB reads integers as BIGINT and text as VARCHAR, which the engine reads as pyarrow's do.
    assert comparable(doc) == comparable(moderate["parquet"])


def test_paths_give_exactly_the_commands_document(moderate):
    for paths, cli in ((moderate["paths"], moderate["csv"]), (moderate["parquet_paths"], moderate["parquet"])):
        result = driftscan.scan(*paths, date=DATE)
        assert comparable(result.to_dict()) == comparable(cli)
        assert json.loads(result.to_json()) == result.to_dict()
        # Only the clock differs between the two runs.
        assert result.to_dict()["baseline"] == cli["baseline"]


@pytest.mark.parametrize("kind", sorted(TABLES))
def test_classifier_agrees_where_the_split_cannot_matter(workdir, kind):
    base = frame(3000, 7, missing=0.0)
    to_table = TABLES[kind]

    # No drift: the pruned trees make no split on any split of the rows, so every figure of the
    # classifier is the command's, exactly.
    same = base.sample(frac=1.0, random_state=3).reset_index(drop=True)
    b_csv, b_pq = write_both(base, workdir, "train")
    t_csv, t_pq = write_both(same, workdir, "same")
    doc = comparable(py_scan(to_table(base), to_table(same)))
    for cli in (cli_scan_json(b_pq, t_pq), cli_scan_json(b_csv, t_csv)):
        cli = comparable(cli)
        assert doc["dataset_metrics"] == cli["dataset_metrics"]
        assert doc["column_metrics"] == cli["column_metrics"]
        assert doc["has_drift"] is cli["has_drift"] is False
    assert doc["dataset_metrics"][0] == {"name": "datadrift_coefficient", "value": 0.0}

    # A separating feature: all of the classifier's gain is on it on any split; the coefficient
    # is within a few held-out rows of 1 on every split.
    moved = base.assign(utilization=base["utilization"] + 10.0)
    t_csv, t_pq = write_both(moved, workdir, "moved")
    result = driftscan.scan(to_table(base), to_table(moved), date=DATE)
    doc = comparable(result.to_dict())
    for cli in (cli_scan_json(b_pq, t_pq), cli_scan_json(b_csv, t_csv)):
        cli = comparable(cli)
        assert doc["column_metrics"] == cli["column_metrics"]
        assert doc["dataset_metrics"] == cli["dataset_metrics"]
        assert doc["has_drift"] is cli["has_drift"] is True
        assert cli["dataset_metrics"][0]["value"] >= 0.99
    assert result.contributions == {"utilization": 1.0, "age": 0.0, "income": 0.0, "score": 0.0, "region": 0.0}
    assert result.coefficient >= 0.99


def test_profiles_stand_for_their_data(moderate, workdir):
    base, target = moderate["base"], moderate["target"]
    p = driftscan.profile(base)
    assert isinstance(p, driftscan.Profile)
    assert p.rows == 4000 and p.columns == list(base.columns)
    assert dict(p.kinds) == {"age": "numeric", "income": "numeric", "utilization": "numeric",
                             "score": "numeric", "region": "text"}
    from_profile = driftscan.scan(p, target, date=DATE).to_dict()
    from_table = driftscan.scan(base, target, date=DATE).to_dict()
    assert comparable(from_profile) == comparable(from_table)

    # save / load / to_bytes / from_bytes / pickle keep the profile exactly.
    path = workdir / "train.profile"
    written = p.save(path)
    assert written == path.stat().st_size > 0
    assert driftscan.Profile.load(path) == p
    assert driftscan.Profile.load(str(path)) == p
    assert driftscan.Profile.from_bytes(p.to_bytes()) == p
    assert pickle.loads(pickle.dumps(p)) == p

    # The command reads the saved profile as the scan's baseline.
    cli = cli_scan_json(str(path), moderate["parquet_paths"][1])
    assert comparable(cli) == comparable(from_table)


def test_command_profile_equals_python_profile(moderate, workdir):
    b_csv = moderate["paths"][0]
    out = workdir / "cli.profile"
    run_cli("profile", "--input", b_csv, "--out", str(out))
    assert driftscan.Profile.load(out) == driftscan.profile(b_csv)


def test_merged_halves_count_every_row(moderate):
    base = moderate["base"]
    a, b = driftscan.profile(base.iloc[:2500]), driftscan.profile(base.iloc[2500:])
    merged = a.merge(b)
    assert merged.rows == 4000 and a.rows == 2500
    assert merged.columns == a.columns
    whole = driftscan.scan(driftscan.profile(base), moderate["target"], date=DATE).to_dict()
    halves = driftscan.scan(merged, moderate["target"], date=DATE).to_dict()
    for d in (whole, halves):
        for entry in d["column_metrics"]:
            for metrics in entry.values():
                metrics[:] = [m for m in metrics if m["name"] != "datadrift_contribution"]
    # Counts, sketches and so every distance and missing rate are the same as profiling at once.
    assert len(halves["column_metrics"]) == 5
    by_name = lambda d: {k: v for e in d["column_metrics"] for k, v in e.items()}  # noqa: E731
    for feature, metrics in by_name(whole).items():
        for m, n in zip(metrics, by_name(halves)[feature]):
            assert m["name"] == n["name"]
            assert m["value"] == pytest.approx(n["value"], rel=1e-9, abs=1e-12), (feature, m["name"])
    assert a.merge() == a
    with pytest.raises(driftscan.InputTypeError):
        a.merge("not a profile")


def test_result_object(moderate, workdir):
    result = driftscan.scan(moderate["base"], moderate["target"], threshold=0.05, date=DATE)
    doc = result.to_dict()
    assert result.coefficient == doc["dataset_metrics"][0]["value"]
    assert result.has_drift is (result.coefficient > 0.05)
    assert result.drift_threshold == 0.05
    contributions = result.contributions
    assert set(contributions) == {"age", "income", "utilization", "score", "region"}
    assert sum(contributions.values()) == pytest.approx(1.0)
    assert list(contributions.values()) == sorted(contributions.values(), reverse=True)
    assert result.features[0] in contributions

    table = result.to_pandas()
    assert list(table.index) == result.features
    assert {"kind", "datadrift_contribution", "wasserstein_distance", "energy_distance",
            "population_stability_index", "jensen_shannon_distance"} <= set(table.columns)
    assert table.loc["region", "kind"] == "categorical"
    assert np.isnan(table.loc["region", "wasserstein_distance"])
    assert table.loc["income", "datadrift_contribution"] == contributions["income"]

    inline = result._repr_html_()
    assert inline.startswith("<iframe srcdoc=") and "&lt;!DOCTYPE html&gt;" in inline
    page = workdir / "report.html"
    result.save_html(page)
    text = page.read_text()
    assert text.startswith("<!DOCTYPE html>") and "utilization" in text
    assert "coefficient" in repr(result)

    # The verdict is the command's: a drifted feature is named even below the threshold.
    drifted = result.drifted_features
    flags = {f: m.get("drifted") for f, m in result._column_metrics().items()}
    assert drifted == [f for f in result.features if flags[f] == 1.0] and "income" in drifted
    relaxed = driftscan.scan(moderate["base"], moderate["target"], threshold=0.99, date=DATE)
    assert not relaxed.has_drift
    assert relaxed.verdict.startswith("FEATURES DRIFTED: coefficient ")
    assert "below the threshold 0.99" in relaxed.verdict and "income" in relaxed.verdict
    assert relaxed.verdict in repr(relaxed)
    summary = run_cli("scan", "--baseline", moderate["paths"][0], "--target", moderate["paths"][1],
                      "--threshold", "0.99").stdout
    assert summary.splitlines()[0] == relaxed.verdict


def test_a_column_typed_differently_on_the_target_is_read_with_the_baseline_type(workdir):
    base = pd.DataFrame({"x": np.arange(200, dtype=float), "c": ["a", "b"] * 100})
    target = pd.DataFrame({"x": ["1.5", "abc"] * 100, "c": ["a", "b"] * 100})
    doc = py_scan(base, target)
    x = next(f for f in doc["features"] if f["name"] == "x")
    assert x["kind"] == "numeric"
    assert x["quality"]["invalid"]["target"] == 100


def test_pandas_frames_are_recognised_by_type_so_the_index_is_never_a_feature():
    """A shuffled or filtered frame has a non-range index; it must not cross as a column, on
    pandas 2 and pandas 3 alike (pandas 3 reports its classes' module as ``pandas``)."""
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"x": rng.normal(size=20000)})
    r = driftscan.scan(df[:10000].sample(frac=1, random_state=1),
                       df[10000:].sample(frac=1, random_state=2))
    assert r.features == ["x"], r.features
    assert not r.has_drift, r.verdict
    # One feature may be named as a string, and a Series is a one-column frame.
    assert driftscan.scan(df[:10000], df[10000:], features="x").features == ["x"]
    assert driftscan.scan(df["x"][:10000], df["x"][10000:]).features == ["x"]
    assert driftscan.profile(pd.Series([1.0, 2.0, 3.0])).columns == ["value"]
    # Names that are not text are compared by their text, and the user is told so.
    numbered = pd.DataFrame({0: rng.normal(size=500), 3: rng.normal(size=500)})
    with pytest.warns(UserWarning, match="not text"):
        assert driftscan.profile(numbered).columns == ["0", "3"]


def test_profiles_compare_equal_by_their_statistics_whatever_their_provenance():
    rng = np.random.default_rng(3)
    df = pd.DataFrame({"x": rng.normal(size=4000), "c": rng.choice(["a", "b", None], size=4000)})
    whole = driftscan.profile(df, name="whole")
    halves = driftscan.profile(df[:2000], name="first").merge(driftscan.profile(df[2000:], name="second"))
    assert whole == halves
    assert whole.statistics_bytes() == halves.statistics_bytes()
    assert whole.source != halves.source
    assert whole != driftscan.profile(df[:3999])


def test_a_frame_without_pyarrow_gets_an_install_hint(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "pyarrow", None)  # `import pyarrow` now fails
    with pytest.raises(driftscan.InputTypeError, match=r"pip install 'driftscan\[pandas\]'"):
        driftscan.profile(pd.DataFrame({"x": [1.0, 2.0]}))


def test_declared_types_make_the_verdict_the_same_whatever_the_format(workdir):
    """Integer-coded categories are numbers in CSV and pandas, and may be categories elsewhere:
    declared, they are categories from every format, and the scans agree to the bit."""
    rng = np.random.default_rng(11)

    def frame_of(shift):
        return pd.DataFrame({"puma": rng.integers(100, 105 + shift, size=3000),
                             "income": rng.normal(50.0, 10.0, size=3000)})

    b, t = frame_of(0), frame_of(2)
    (b_csv, b_pq), (t_csv, t_pq) = write_both(b, workdir, "b"), write_both(t, workdir, "t")
    types = {"puma": "categorical"}
    results = [driftscan.scan(x, y, types=types, date=DATE).to_dict()
               for x, y in ((b_csv, t_csv), (b_pq, t_pq), (b, t))]
    for r in results:
        kinds = {f["name"]: f["kind"] for f in r["features"]}
        assert kinds == {"puma": "categorical", "income": "numeric"}, kinds
    assert len({json.dumps(r["dataset_metrics"]) for r in results}) == 1
    assert driftscan.profile(b, types=types).kinds == [("puma", "text"), ("income", "numeric")]
    with pytest.raises(driftscan.InvalidArgumentError, match="not `numeric` or `categorical`"):
        driftscan.scan(b, t, types={"puma": "date"})
