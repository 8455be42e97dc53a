"""The worked example of docs/worked-example.md, as a user would run it: NannyML's synthetic car-loan
book (tests/data/public/car_loan/), chunked into 5,000 rows in time order, every chunk scanned
against the reference. NannyML's documentation puts the drift in the analysis period's last five
chunks; the reference and the first five analysis chunks have none."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import driftscan

from conftest import REPO

DATA = REPO / "tests" / "data" / "public" / "car_loan"
FEATURES = [
    "car_value",
    "salary_range",
    "debt_to_income_ratio",
    "loan_length",
    "repaid_loan_on_prev_car",
    "size_of_downpayment",
    "driver_tenure",
]
CHUNK_ROWS = 5_000
#: The features NannyML's tutorials show drifting in the analysis period.
SHIFTED = {"car_value", "loan_length", "salary_range"}


@pytest.fixture(scope="module")
def car_loans() -> tuple[pd.DataFrame, pd.DataFrame, driftscan.Profile]:
    reference = pd.read_parquet(DATA / "reference.parquet")
    analysis = pd.read_parquet(DATA / "analysis.parquet")
    return reference, analysis, driftscan.profile(reference[FEATURES])


def chunk(frame: pd.DataFrame, index: int) -> pd.DataFrame:
    return frame.iloc[index * CHUNK_ROWS : (index + 1) * CHUNK_ROWS]


def test_reference_chunks_do_not_drift_from_the_rest_of_the_reference(car_loans):
    reference, _, _ = car_loans
    for index in range(10):
        part = chunk(reference, index)
        rest = reference.drop(part.index)
        result = driftscan.scan(driftscan.profile(rest[FEATURES]), part[FEATURES])
        assert not result.has_drift, f"reference chunk {index}: {result.verdict}"
        assert result.coefficient == 0.0, f"reference chunk {index}: {result.verdict}"
        assert result.drifted_features == [], f"reference chunk {index}: {result.verdict}"


def test_analysis_drifts_from_its_sixth_chunk_on_and_names_the_shifted_features(car_loans):
    _, analysis, baseline = car_loans
    for index in range(10):
        result = driftscan.scan(baseline, chunk(analysis, index)[FEATURES])
        document = result.to_dict()
        if index < 5:
            assert not result.has_drift, f"analysis chunk {index}: {result.verdict}"
            assert result.drifted_features == [], f"analysis chunk {index}: {result.verdict}"
            assert document["classifier"]["p_value"] > 0.01, f"analysis chunk {index}"
        else:
            assert result.has_drift, f"analysis chunk {index}: {result.verdict}"
            assert result.coefficient > 0.5, f"analysis chunk {index}: {result.verdict}"
            assert SHIFTED <= set(result.drifted_features), f"analysis chunk {index}: {result.verdict}"
            top = max(result.contributions, key=result.contributions.get)
            assert top in SHIFTED, f"analysis chunk {index}: top contributor {top}"
            assert result.verdict.startswith("DRIFT: coefficient"), result.verdict
            for name in SHIFTED:
                assert name in result.verdict, result.verdict


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_the_verdict_does_not_depend_on_the_file_format(car_loans, tmp_path: Path, suffix: str):
    """The same chunks written as files and scanned by path (the command's and the service's
    route) give the pandas verdict: the target is read with the baseline's types."""
    reference, analysis, baseline = car_loans
    baseline_path = tmp_path / f"reference{suffix}"
    write = (lambda f, p: f.to_csv(p, index=False)) if suffix == ".csv" else (lambda f, p: f.to_parquet(p, index=False))
    write(reference[FEATURES], baseline_path)
    for index in (2, 7):
        part = chunk(analysis, index)[FEATURES]
        target_path = tmp_path / f"chunk{index}{suffix}"
        write(part, target_path)
        from_files = driftscan.scan(str(baseline_path), str(target_path))
        from_frames = driftscan.scan(baseline, part)
        assert from_files.has_drift == from_frames.has_drift, (from_files.verdict, from_frames.verdict)
        assert from_files.drifted_features == from_frames.drifted_features
        assert from_files.coefficient == pytest.approx(from_frames.coefficient, abs=0.02)
