"""Model performance from Python: ``driftscan.performance`` on NannyML's car-loan book
(tests/data/public/car_loan/): a binary model (``repaid``, ``y_pred``, ``y_pred_proba``) whose
analysis period is cut into windows of 5,000 rows. Realized figures are checked against the
definitions computed by hand with numpy (scikit-learn's, which the engine follows); frames,
paths and the command give one document; labels joined by id give what labels in place give."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import driftscan
from driftscan.errors import DataError, InvalidArgumentError

from conftest import REPO, run_cli

DATA = REPO / "tests" / "data" / "public" / "car_loan"
WINDOW_ROWS = 5_000
COLUMNS = dict(y_true="repaid", y_pred="y_pred", y_pred_proba="y_pred_proba")
METRICS = ["roc_auc", "accuracy", "precision", "recall", "f1"]


@pytest.fixture(scope="module")
def frames() -> tuple[pd.DataFrame, pd.DataFrame]:
    return pd.read_parquet(DATA / "reference.parquet"), pd.read_parquet(DATA / "analysis.parquet")


@pytest.fixture(scope="module")
def result(frames) -> driftscan.PerformanceResult:
    reference, analysis = frames
    return driftscan.performance(
        reference, analysis, "binary", window_rows=WINDOW_ROWS, **COLUMNS
    )


def by_hand(truth: np.ndarray, pred: np.ndarray, score: np.ndarray) -> dict[str, float]:
    """scikit-learn's definitions for a binary model with positive class 1: accuracy_score,
    precision_score, recall_score, f1_score and roc_auc_score (ties as average ranks)."""
    tp = float(np.sum((pred == 1) & (truth == 1)))
    fp = float(np.sum((pred == 1) & (truth == 0)))
    fn = float(np.sum((pred == 0) & (truth == 1)))
    ranks = pd.Series(score).rank(method="average").to_numpy()
    positives, negatives = float(np.sum(truth == 1)), float(np.sum(truth == 0))
    auc = (ranks[truth == 1].sum() - positives * (positives + 1) / 2) / (positives * negatives)
    return {
        "accuracy": float(np.mean(pred == truth)),
        "precision": tp / (tp + fp),
        "recall": tp / (tp + fn),
        "f1": 2 * tp / (2 * tp + fp + fn),
        "roc_auc": float(auc),
    }


def test_realized_figures_per_window_are_scikit_learns_on_the_same_rows(result, frames):
    _, analysis = frames
    assert result.problem == "binary"
    assert result.classes == ["0", "1"]
    assert len(result.windows) == len(analysis) // WINDOW_ROWS == 10
    for i, window in enumerate(result.windows):
        rows = analysis.iloc[i * WINDOW_ROWS : (i + 1) * WINDOW_ROWS]
        assert window["label"] == f"rows {i * WINDOW_ROWS}-{(i + 1) * WINDOW_ROWS - 1}"
        assert window["rows"] == window["labelled_rows"] == WINDOW_ROWS
        expected = by_hand(
            rows["repaid"].to_numpy().astype(int),
            rows["y_pred"].to_numpy().astype(int),
            rows["y_pred_proba"].to_numpy(),
        )
        got = {m["name"]: m["realized"]["value"] for m in window["metrics"]}
        assert list(got) == METRICS
        for name, value in expected.items():
            assert got[name] == pytest.approx(value, abs=1e-12), (i, name)
        # The estimate comes with a band around it.
        for m in window["metrics"]:
            e = m["estimated"]
            assert e["lower"] <= e["value"] <= e["upper"], (i, m["name"])


def test_frames_paths_and_the_command_give_one_document(result, frames):
    reference, analysis = frames
    from_paths = driftscan.performance(
        str(DATA / "reference.parquet"),
        DATA / "analysis.parquet",  # os.PathLike
        "binary",
        window_rows=WINDOW_ROWS,
        **COLUMNS,
    )
    assert from_paths.to_dict() == result.to_dict()
    from_arrow = driftscan.performance(
        __import__("pyarrow").Table.from_pandas(reference, preserve_index=False),
        analysis,
        "binary",
        window_rows=WINDOW_ROWS,
        **COLUMNS,
    )
    assert from_arrow.to_dict() == result.to_dict()
    # The class given as a dict {class: column} names the same column.
    as_dict = driftscan.performance(
        reference,
        analysis,
        window_rows=WINDOW_ROWS,
        y_true="repaid",
        y_pred="y_pred",
        y_pred_proba={1: "y_pred_proba"},
    )
    assert as_dict.to_dict() == result.to_dict()
    cli = run_cli(
        "performance",
        "--reference", str(DATA / "reference.parquet"),
        "--target", str(DATA / "analysis.parquet"),
        "--y-true", "repaid", "--y-pred", "y_pred", "--y-pred-proba", "y_pred_proba",
        "--problem", "binary", "--window-rows", str(WINDOW_ROWS), "--json",
    )
    assert json.loads(cli.stdout) == result.to_dict()
    assert json.loads(result.to_json()) == result.to_dict()


def test_to_pandas_has_a_row_per_window_and_metric(result):
    frame = result.to_pandas()
    assert list(frame.columns) == [
        "window", "rows", "labelled_rows", "metric", "reference",
        "realized", "realized_lower", "realized_upper",
        "estimated", "estimated_lower", "estimated_upper",
        "threshold", "passed",
    ]
    assert len(frame) == 10 * len(METRICS)
    assert list(frame["metric"][: len(METRICS)]) == METRICS
    assert list(frame["window"].unique()) == [w["label"] for w in result.windows]
    assert str(frame["passed"].dtype) == "boolean"
    assert frame["rows"].dtype == np.int64
    first = result.windows[0]["metrics"][1]
    row = frame.iloc[1]
    assert row["metric"] == "accuracy"
    assert row["realized"] == first["realized"]["value"]
    assert row["estimated_upper"] == first["estimated"]["upper"]
    assert row["threshold"] == 0.05
    assert row["reference"] == result.reference["metrics"][1]["reference"]
    assert bool(frame["passed"].all()) == result.passed


def test_the_report_has_a_chart_per_metric_and_shows_inline(result):
    page = result.report()
    assert page.startswith("<!DOCTYPE html>")
    assert page.count("<svg") == len(METRICS)
    for name in METRICS:
        assert f'aria-label="{name} per window' in page
    inline = result._repr_html_()
    assert inline.startswith("<iframe srcdoc=") and "&lt;svg" in inline
    assert "windows" in repr(result)


def test_labels_joined_by_id_give_what_labels_in_place_give(result, frames):
    reference, analysis = frames
    target = analysis.drop(columns=["repaid"])
    # Late labels arrive in their own order.
    labels = analysis[["id", "repaid"]].sample(frac=1.0, random_state=3)
    joined = driftscan.performance(
        reference, target, "binary", window_rows=WINDOW_ROWS, labels=labels, id="id", **COLUMNS
    )
    assert joined.to_dict() == result.to_dict()
    # Half the labels arrived: half the rows are labelled, the rest are estimated only.
    half = driftscan.performance(
        reference, target, "binary", window_rows=WINDOW_ROWS,
        labels=labels[labels["id"] % 2 == 0], id="id", **COLUMNS,
    )
    assert [w["labelled_rows"] for w in half.windows] == [WINDOW_ROWS // 2] * 10
    # No labels at all: estimates only.
    unlabelled = driftscan.performance(reference, target, "binary", window_rows=WINDOW_ROWS, **COLUMNS)
    frame = unlabelled.to_pandas()
    assert frame["realized"].isna().all() and frame["estimated"].notna().all()
    assert (frame["labelled_rows"] == 0).all()


def test_a_missing_column_raises_a_data_error_naming_it(frames):
    reference, analysis = frames
    with pytest.raises(DataError, match="no column `y_pred_probability`") as caught:
        driftscan.performance(
            reference, analysis, "binary",
            y_true="repaid", y_pred="y_pred", y_pred_proba="y_pred_probability",
        )
    assert caught.value.code == "data_error"
    assert "<pandas.DataFrame>" in str(caught.value)
    with pytest.raises(DataError, match="`nope`"):
        driftscan.performance(reference, analysis, y_true="nope", y_pred="y_pred")
    labels = analysis[["id", "repaid"]]
    with pytest.raises(DataError, match="no column `customer`"):
        driftscan.performance(
            reference, analysis.drop(columns=["repaid"]),
            labels=labels, id="customer", **COLUMNS,
        )


def test_bad_arguments_raise_invalid_argument_errors(frames):
    reference, analysis = frames
    for kwargs, needle in [
        (dict(problem="ranking"), "ranking"),
        (dict(window_rows=0), "window_rows"),
        (dict(thresholds={"accuracyy": 0.1}), "accuracyy"),
        (dict(thresholds={"accuracy": -1}), "at least 0"),
        (dict(labels=analysis[["id", "repaid"]]), "id"),
    ]:
        with pytest.raises(InvalidArgumentError, match=needle):
            driftscan.performance(reference, analysis, **{**COLUMNS, **kwargs})


def test_a_threshold_decides_the_verdict(frames):
    reference, analysis = frames
    strict = driftscan.performance(
        reference, analysis, "binary", window_rows=WINDOW_ROWS,
        thresholds={"accuracy": 0.01}, **COLUMNS,
    )
    assert not strict.passed
    failing = [w["label"] for w in strict.windows if not w["passed"]]
    # The second half of the analysis period lost about 0.03 of accuracy.
    assert failing == [f"rows {i * WINDOW_ROWS}-{(i + 1) * WINDOW_ROWS - 1}" for i in range(5, 10)]
    assert all(window in failing for window, _ in strict.drops)
    assert any("accuracy" in sentence and "a drop of" in sentence for _, sentence in strict.drops)
    frame = strict.to_pandas()
    accuracy = frame[frame["metric"] == "accuracy"]
    assert list(accuracy["passed"]) == [True] * 5 + [False] * 5
    assert math.isclose(accuracy["threshold"].iloc[0], 0.01)
    page = strict.report()
    assert "What dropped" in page and "verdict v-drift" in page


def test_regression_from_a_table(tmp_path: Path):
    rng = np.random.default_rng(5)
    x = rng.normal(size=(3000, 2))
    truth = 3 * x[:, 0] - x[:, 1] + rng.normal(scale=0.5, size=3000)
    frame = pd.DataFrame({"a": x[:, 0], "b": x[:, 1], "y": truth, "pred": 3 * x[:, 0] - x[:, 1]})
    reference, target = frame.iloc[:2000], frame.iloc[2000:]
    r = driftscan.performance(reference, target, "regression", y_true="y", y_pred="pred", window_rows=500)
    assert r.problem == "regression" and r.classes == []
    frame = r.to_pandas()
    assert list(frame["metric"].unique()) == ["mae", "mse", "rmse", "mape"]
    mae = frame[frame["metric"] == "mae"]["realized"].to_numpy()
    rows = target.iloc[:500]
    assert mae[0] == pytest.approx(float(np.mean(np.abs(rows["y"] - rows["pred"]))), abs=1e-12)
    path = tmp_path / "report.html"
    r.save_html(path)
    assert path.read_text(encoding="utf-8").count("<svg") == 4
