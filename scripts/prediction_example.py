"""Prediction drift on NannyML's car-loan book: the model's outputs (`y_pred_proba`, a
probability, and `y_pred`, the predicted class) compared chunk by chunk, as the worked example
compares the inputs. Prints the table of docs/signals.md (section "Prediction drift").

    python scripts/prediction_example.py     # with NannyML's univariate drift beside, if installed

The data (tests/data/public/car_loan/, from NannyML 0.13.1, Apache License 2.0): 50,000 reference
loans and 50,000 analysis loans. NannyML's documentation says the analysis period drifts from its
sixth chunk of 5,000 rows on. Reference chunks are compared with the rest of the reference, so no
chunk is compared with itself; analysis chunks with the whole reference.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

import driftscan

DATA = Path(__file__).resolve().parent.parent / "tests" / "data" / "public" / "car_loan"
OUTPUTS = ["y_pred_proba", "y_pred"]
CHUNK_ROWS = 5_000


def chunks(frame: pd.DataFrame) -> list[pd.DataFrame]:
    return [frame.iloc[i : i + CHUNK_ROWS] for i in range(0, len(frame), CHUNK_ROWS)]


def signal(reference: pd.DataFrame, production: pd.DataFrame) -> pd.DataFrame:
    """The prediction-drift frame of one chunk: one row per output column."""
    result = driftscan.scan(
        reference[OUTPUTS + ["car_value"]],
        production[OUTPUTS + ["car_value"]],
        features=["car_value"],
        predictions=OUTPUTS,
    )
    return result.prediction_drift


def driftscan_rows(reference: pd.DataFrame, analysis: pd.DataFrame) -> list[dict]:
    rows = []
    parts = chunks(reference)
    for i, part in enumerate(parts):
        rest = pd.concat([p for j, p in enumerate(parts) if j != i])
        rows.append({"period": "reference", "chunk": i + 1, "frame": signal(rest, part)})
    for i, part in enumerate(chunks(analysis)):
        rows.append({"period": "analysis", "chunk": i + 1, "frame": signal(reference, part)})
    return rows


def nannyml_alerts(reference: pd.DataFrame, analysis: pd.DataFrame) -> list[dict] | None:
    """NannyML's univariate drift alerts on the outputs (KS and Jensen-Shannon on the
    probability, chi-squared on the class), analysis chunks only; None without NannyML."""
    try:
        import nannyml as nml
    except ImportError:
        return None
    calc = nml.UnivariateDriftCalculator(
        column_names=OUTPUTS,
        treat_as_categorical=["y_pred"],
        continuous_methods=["kolmogorov_smirnov", "jensen_shannon"],
        categorical_methods=["chi2"],
        chunk_size=CHUNK_ROWS,
    )
    calc.fit(reference)
    frame = calc.calculate(analysis).filter(period="analysis").to_df()
    out = []
    for _, row in frame.iterrows():
        out.append(
            {
                "ks": bool(row[("y_pred_proba", "kolmogorov_smirnov", "alert")]),
                "js": bool(row[("y_pred_proba", "jensen_shannon", "alert")]),
                "chi2": bool(row[("y_pred", "chi2", "alert")]),
            }
        )
    return out


def yes(flag: bool) -> str:
    return "**fails**" if flag else "passes"


def main() -> None:
    reference = pd.read_parquet(DATA / "reference.parquet")
    analysis = pd.read_parquet(DATA / "analysis.parquet")
    rows = driftscan_rows(reference, analysis)
    peer = nannyml_alerts(reference, analysis)
    header = (
        "| period | chunk | `y_pred_proba` W/σ | JS | Chebyshev | KS p (Holm) | verdict "
        "| `y_pred` JS | Chebyshev | χ² p (Holm) | verdict |"
    )
    if peer is not None:
        header += " NannyML alerts (proba KS, JS; class χ²) |"
    print(header)
    print("|" + "---|" * (header.count("|") - 1))
    for r in rows:
        f = r["frame"]
        p, c = f.loc["y_pred_proba"], f.loc["y_pred"]
        line = (
            f"| {r['period']} | {r['chunk']} "
            f"| {p['normalized_wasserstein_distance']:.3f} | {p['jensen_shannon_distance']:.3f} "
            f"| {p['chebyshev_distance']:.3f} | {p['drift_p_value_adjusted']:.2g} | {yes(not p['passed'])} "
            f"| {c['jensen_shannon_distance']:.3f} | {c['chebyshev_distance']:.3f} "
            f"| {c['drift_p_value_adjusted']:.2g} | {yes(not c['passed'])} |"
        )
        if peer is not None:
            if r["period"] == "analysis":
                a = peer[r["chunk"] - 1]
                marks = ", ".join("yes" if a[k] else "no" for k in ("ks", "js", "chi2"))
                line += f" {marks} |"
            else:
                line += " |"
        print(line)


if __name__ == "__main__":
    main()
