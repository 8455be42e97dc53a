"""Prediction drift from Python: ``driftscan.scan(..., predictions=[...])`` on NannyML's car-loan
book (tests/data/public/car_loan/). The model's probability ``y_pred_proba`` drifts from the
analysis period's sixth chunk of 5,000 rows on, with the inputs; its predicted class ``y_pred``
keeps its mix. The outputs are compared by the signal and never as features."""

from __future__ import annotations

import pandas as pd
import pytest

import driftscan
from driftscan.errors import InvalidArgumentError

from conftest import REPO

DATA = REPO / "tests" / "data" / "public" / "car_loan"
OUTPUTS = ["y_pred_proba", "y_pred"]
INPUTS = ["car_value", "salary_range", "loan_length"]
CHUNK_ROWS = 5_000


@pytest.fixture(scope="module")
def car_loans() -> tuple[pd.DataFrame, pd.DataFrame, driftscan.Profile]:
    reference = pd.read_parquet(DATA / "reference.parquet")[INPUTS + OUTPUTS]
    analysis = pd.read_parquet(DATA / "analysis.parquet")[INPUTS + OUTPUTS]
    return reference, analysis, driftscan.profile(reference)


def chunk(frame: pd.DataFrame, index: int) -> pd.DataFrame:
    return frame.iloc[index * CHUNK_ROWS : (index + 1) * CHUNK_ROWS]


def test_the_probability_drifts_from_the_sixth_chunk_on_and_the_class_mix_does_not(car_loans):
    reference, analysis, baseline = car_loans
    for index in range(10):
        result = driftscan.scan(baseline, chunk(analysis, index), predictions=OUTPUTS)
        frame = result.prediction_drift
        assert list(frame.index) in (OUTPUTS, OUTPUTS[::-1])
        assert frame.loc["y_pred_proba", "kind"] == "numeric"
        assert frame.loc["y_pred", "kind"] == "categorical", "0/1 classes are compared as classes"
        assert bool(frame.loc["y_pred", "passed"]), f"chunk {index + 1}: {frame.T}"
        assert bool(frame.loc["y_pred_proba", "passed"]) == (index < 5), f"chunk {index + 1}: {frame.T}"
        assert "chebyshev_distance" in frame.columns
        # Outputs never enter the coefficient or the features.
        assert set(result.features) == set(INPUTS)


def test_a_reference_chunk_matches_the_rest_of_the_reference(car_loans):
    reference, _, _ = car_loans
    rest = reference.iloc[CHUNK_ROWS:]
    result = driftscan.scan(rest, chunk(reference, 0), predictions=OUTPUTS)
    assert result.prediction_drift["passed"].all()
    # One name may be given as a string; a name that is no column fails the signal, named.
    result = driftscan.scan(rest, chunk(reference, 0), predictions="y_pred_proba,y_pred")
    assert not result.prediction_drift["passed"].any()
    warnings = result.to_dict()["signals"][1]["warnings"]
    assert any("`y_pred_proba,y_pred`" in w for w in warnings), warnings


def test_the_signal_is_in_the_result_document_and_absent_without_predictions(car_loans):
    reference, analysis, baseline = car_loans
    result = driftscan.scan(baseline, chunk(analysis, 7), predictions=OUTPUTS)
    signals = {s["name"]: s for s in result.to_dict()["signals"]}
    failing = [f["name"] for f in signals["prediction_drift"]["features"] if not f["passed"]]
    assert failing == ["y_pred_proba"]
    plain = driftscan.scan(baseline, chunk(analysis, 7), features=INPUTS)
    assert plain.prediction_drift is None


def test_a_column_cannot_be_both_a_feature_and_a_prediction(car_loans):
    reference, analysis, baseline = car_loans
    with pytest.raises(InvalidArgumentError, match="y_pred"):
        driftscan.scan(baseline, chunk(analysis, 0), features=["y_pred"], predictions=["y_pred"])
