"""One-shot scans and profiles: ``scan``, ``profile`` and the result object."""

from __future__ import annotations

import html
import json
import os
import sys
import warnings
from typing import TYPE_CHECKING, Any, Union

from driftscan import _driftscan
from driftscan._driftscan import Profile

if TYPE_CHECKING:
    import pandas

__all__ = ["Data", "ScanResult", "metric_labels", "scan", "profile"]

#: What a side of a scan can be: a path (file, folder, glob, ``.profile``, ``az://...``), a
#: :class:`Profile`, or any table with ``__arrow_c_stream__`` (pandas, polars, pyarrow, DuckDB).
Data = Union[str, "os.PathLike[str]", Profile, Any]

#: Height of the inline report in a notebook, in pixels.
REPORT_HEIGHT_PX = 720


def _pandas_type(data: Any, name: str) -> bool:
    """Whether ``data`` is a ``pandas.<name>``, decided by type on pandas 2 and 3 alike (pandas 3
    reports its classes' ``__module__`` as ``"pandas"``) without importing pandas for a caller
    who never did."""
    pandas = sys.modules.get("pandas")
    return pandas is not None and isinstance(data, getattr(pandas, name))


def _arrow_side(data: Any) -> Any:
    """A pandas DataFrame crosses as a pyarrow Table without its index (pandas' own
    ``__arrow_c_stream__`` would add a non-range index as a column, which would then be compared
    as a feature); a Series as a one-column frame named after it (``value`` when unnamed).
    Column names that are not text (``0``, ``3``) are compared by their text, and a warning says
    so once per frame. Everything else is handed over as it is."""
    if _pandas_type(data, "Series"):
        data = data.to_frame(name=data.name if data.name is not None else "value")
    if not _pandas_type(data, "DataFrame"):
        return data
    unnamed = [c for c in data.columns if not isinstance(c, str)]
    if unnamed:
        shown = ", ".join(repr(c) for c in unnamed[:5]) + (", ..." if len(unnamed) > 5 else "")
        warnings.warn(
            f"columns {shown} have names that are not text; they are compared as "
            f"{', '.join(str(c) for c in unnamed[:5])}",
            stacklevel=3,
        )
        data = data.rename(columns={c: str(c) for c in unnamed})
    try:
        import pyarrow
    except ImportError:
        from driftscan.errors import InputTypeError

        raise InputTypeError(
            "reading a pandas DataFrame needs pyarrow: pip install 'driftscan[pandas]' "
            "(or pip install pyarrow)",
            "invalid_input_type",
        ) from None
    try:
        return pyarrow.Table.from_pandas(data, preserve_index=False)
    except (pyarrow.ArrowInvalid, pyarrow.ArrowTypeError):
        # An object column of mixed types (numbers and text) has no Arrow type: it crosses as
        # text, so that a column numeric in the baseline reads its numbers and counts the rest
        # as type errors (data quality), as a CSV column would.
        mixed = [c for c in data.columns if data[c].dtype == object and not _converts(pyarrow, data[c])]
        if not mixed:
            raise
        data = data.assign(**{c: data[c].astype("string") for c in mixed})
        return pyarrow.Table.from_pandas(data, preserve_index=False)


def _converts(pyarrow: Any, column: Any) -> bool:
    """Whether pyarrow gives a pandas column an Arrow type of its own."""
    try:
        pyarrow.array(column, from_pandas=True)
    except (pyarrow.ArrowInvalid, pyarrow.ArrowTypeError):
        return False
    return True


def _feature_list(features: Any) -> list[str] | None:
    """``features`` as a list: one name may be given as a string."""
    if features is None:
        return None
    if isinstance(features, str):
        return [features]
    return [str(f) for f in features]


def _source_name(data: Any) -> str | None:
    cls = type(data)
    if isinstance(data, (str, os.PathLike, Profile)):
        return None
    return f"<{cls.__module__.split('.')[0]}.{cls.__name__}>"


def _date_text(value: Any) -> str | None:
    """A date as ``YYYY-MM-DD`` (``datetime.date``, ``datetime.datetime`` or text)."""
    if value is None:
        return None
    if hasattr(value, "date") and callable(value.date):  # datetime, pandas.Timestamp
        value = value.date()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


class ScanResult:
    """The result of :func:`scan`: the same document as ``driftscan scan --json``.

    ``coefficient`` is ``datadrift_coefficient`` (the domain classifier's Matthews correlation,
    in [0, 1]); ``has_drift`` is ``coefficient > drift_threshold``; ``contributions`` maps each
    feature to its share of the classifier's gain, most drifted first. In Jupyter the object
    shows the report.
    """

    def __init__(self, inner: _driftscan._RunResult) -> None:
        self._inner = inner
        self._json = inner.to_json()
        self._doc: dict[str, Any] = json.loads(self._json)

    @property
    def coefficient(self) -> float | None:
        """``datadrift_coefficient``; ``None`` when the classifier could not run."""
        for m in self._doc.get("dataset_metrics", []):
            if m["name"] == "datadrift_coefficient":
                return m["value"]
        return None

    @property
    def has_drift(self) -> bool:
        """Whether ``coefficient > drift_threshold``."""
        return bool(self._doc["has_drift"])

    @property
    def drift_threshold(self) -> float:
        """The threshold of ``has_drift``."""
        return float(self._doc["drift_threshold"])

    @property
    def contributions(self) -> dict[str, float]:
        """``datadrift_contribution`` per feature (sums to 1 when the classifier split), most
        drifted first."""
        out = {f: m.get("datadrift_contribution") for f, m in self._column_metrics().items()}
        pairs = [(f, v) for f, v in out.items() if v is not None]
        return dict(sorted(pairs, key=lambda fv: -fv[1]))

    @property
    def features(self) -> list[str]:
        """The compared features, most drifted first."""
        return [f["name"] for f in self._doc.get("features", [])]

    @property
    def verdict(self) -> str:
        """The verdict in one sentence, as the command's summary, the report and the alert say
        it: ``FEATURES DRIFTED: coefficient 0.12, below the threshold 0.20; 3 of 5 features
        drifted: temp_max, temp_min, weather``. ``has_drift`` stays Azure ML's rule (coefficient
        above the threshold); the sentence never says "no drift" when features drifted."""
        return self._inner.verdict()

    @property
    def drifted_features(self) -> list[str]:
        """Features flagged ``drifted``: significant after Holm's adjustment across features and
        at least the minimum effect size."""
        return self._inner.drifted_features()

    @property
    def warnings(self) -> list[str]:
        """Things that did not stop the scan."""
        return list(self._doc.get("warnings", []))

    @property
    def signals(self) -> list[dict[str, Any]]:
        """Each signal's result (``data_drift``, ``data_quality``, ...), as in the document's
        ``signals``: name, pass or fail, and per feature its metrics with thresholds and verdicts."""
        return list(self.to_dict().get("signals", []))

    @property
    def data_quality(self) -> pandas.DataFrame:
        """The data-quality signal, one row per feature (failing first): its kind, whether it
        passed, the production rows, and for each of ``null_value_rate``,
        ``data_type_error_rate`` and ``out_of_bounds_rate`` the rate and its exact count
        (``<metric>_count``). A rate that was not computed for a feature (``out_of_bounds_rate``
        of an identifier) is missing. Thresholds are Azure ML's defaults (0.0) for a scan."""
        import pandas

        metrics = ["null_value_rate", "data_type_error_rate", "out_of_bounds_rate"]
        columns = ["kind", "passed", "rows"] + [c for m in metrics for c in (m, f"{m}_count")]
        signal = next((s for s in self.signals if s["name"] == "data_quality"), None)
        rows = []
        for f in (signal or {}).get("features", []):
            row: dict[str, Any] = {"feature": f["name"], "kind": f["kind"], "passed": f["passed"], "rows": None}
            for m in f["metrics"]:
                if m["name"] in metrics:
                    row[m["name"]] = m["value"]
                    row[f"{m['name']}_count"] = m.get("count")
                    row["rows"] = m.get("rows", row["rows"])
            rows.append(row)
        return pandas.DataFrame(rows, columns=["feature", *columns]).set_index("feature")

    @property
    def prediction_drift(self) -> pandas.DataFrame | None:
        """The ``prediction_drift`` signal, one row per output column (failing columns first):
        its ``kind``, ``passed``, and every metric's value (``normalized_wasserstein_distance``,
        ``jensen_shannon_distance``, ``chebyshev_distance``, ..., ``drift_p_value_adjusted``);
        ``None`` when the scan named no ``predictions``. Thresholds and each metric's verdict are
        in ``to_dict()["signals"]``."""
        import pandas

        signal = next(
            (s for s in self._doc.get("signals", []) if s["name"] == "prediction_drift"), None
        )
        if signal is None:
            return None
        rows = []
        for f in signal["features"]:
            row: dict[str, Any] = {"column": f["name"], "kind": f["kind"], "passed": f["passed"]}
            row.update({m["name"]: m["value"] for m in f["metrics"]})
            rows.append(row)
        return pandas.DataFrame(rows).set_index("column")

    def _column_metrics(self) -> dict[str, dict[str, float | None]]:
        out: dict[str, dict[str, float | None]] = {}
        for entry in self._doc.get("column_metrics", []):
            for feature, metrics in entry.items():
                out[feature] = {m["name"]: m["value"] for m in metrics}
        return out

    def to_dict(self) -> dict[str, Any]:
        """The result document as Python objects (a fresh copy)."""
        return json.loads(self._json)

    def to_json(self) -> str:
        """The result document, exactly as ``driftscan scan --json`` prints it."""
        return self._json

    def to_pandas(self, labels: bool = False) -> pandas.DataFrame:
        """One row per feature (most drifted first): its kind and every column metric, in the
        order of the result document (``datadrift_contribution``, ``wasserstein_distance``,
        ``energy_distance``, ...). With ``labels=True`` the metric columns carry the labels the
        terminal table and the report show (``W₁``, ``W/σ``, ...) instead of the metric names."""
        import pandas

        kinds = {f["name"]: f["kind"] for f in self._doc.get("features", [])}
        metrics = self._column_metrics()
        registry = [m["name"] for m in _driftscan.metric_registry() if m["kind"] != "dataset"]
        present = {name for values in metrics.values() for name in values}
        # Registry order; a metric the registry does not know (another version's) goes last.
        columns = [n for n in registry if n in present] + sorted(present - set(registry))
        rows = []
        for name in self.features or list(metrics):
            row: dict[str, Any] = {"feature": name, "kind": kinds.get(name)}
            values = metrics.get(name, {})
            row.update({c: values.get(c) for c in columns})
            rows.append(row)
        frame = pandas.DataFrame(rows, columns=["feature", "kind", *columns]).set_index("feature")
        if labels:
            frame = frame.rename(columns=metric_labels())
        return frame

    def report_html(self) -> str:
        """The report as one self-contained HTML page."""
        return self._inner.report_html()

    def save_html(self, path: str | os.PathLike[str]) -> None:
        """Writes the report page to ``path``."""
        with open(path, "w", encoding="utf-8") as f:
            f.write(self.report_html())

    def _repr_html_(self) -> str:
        return _inline(self.report_html())

    def __repr__(self) -> str:
        top = ", ".join(f"{f} {v:.3f}" for f, v in list(self.contributions.items())[:3] if v > 0)
        return f"<ScanResult {self.verdict}" + (f"; top contributors: {top}" if top else "") + ">"


def metric_labels() -> dict[str, str]:
    """Each metric's display label, by name (``{"normalized_wasserstein_distance": "W/σ", ...}``),
    as the terminal table and the report show them."""
    return {m["name"]: m["label"] for m in _driftscan.metric_registry()}


def _inline(page: str) -> str:
    """A whole HTML page shown inside a notebook cell: in an iframe, so that its styles and
    scripts stay apart from the notebook's."""
    return (
        f'<iframe srcdoc="{html.escape(page, quote=True)}" '
        f'style="width:100%;height:{REPORT_HEIGHT_PX}px;border:0" '
        'sandbox="allow-scripts"></iframe>'
    )


def scan(
    baseline: Data,
    target: Data,
    features: str | list[str] | None = None,
    threshold: float = _driftscan.DEFAULT_DRIFT_THRESHOLD,
    *,
    seed: int = _driftscan.DEFAULT_SCAN_SEED,
    min_effect: float = _driftscan.DEFAULT_MIN_EFFECT,
    date: Any = None,
    model_name: str | None = None,
    model_version: int = 1,
    types: dict[str, str] | None = None,
    predictions: str | list[str] | None = None,
) -> ScanResult:
    """Compares ``target`` with ``baseline``, as ``driftscan scan`` does.

    Each side is a path (a CSV, Parquet or JSON-lines file, a folder, a glob, a ``.profile``
    file, or ``az://container/prefix``), a :class:`Profile`, or any table with
    ``__arrow_c_stream__`` (pandas, polars, pyarrow, DuckDB), read without a copy. The target is
    read with the baseline's column types. ``features`` limits the comparison; ``threshold`` sets
    ``has_drift``. ``min_effect`` is the smallest effect size a feature must show, beside a
    significant p-value, to be flagged ``drifted``. ``seed``, ``date``, ``model_name`` and ``model_version`` are written into the
    result as by the command's options of the same names. ``types`` declares columns' types on
    both sides (``{"puma": "categorical"}``; ``numeric`` or ``categorical``), as ``--type`` does:
    integer-coded categories are then compared as categories from CSV, Parquet or pandas alike.
    ``predictions`` names the model's output columns (``["y_pred_proba", "y_pred"]``): they are
    compared by the ``prediction_drift`` signal (:attr:`ScanResult.prediction_drift`), as
    ``--predictions`` does, and never enter the coefficient or the feature metrics.
    """
    return ScanResult(
        _driftscan.scan(
            _arrow_side(baseline),
            _arrow_side(target),
            features=_feature_list(features),
            threshold=float(threshold),
            seed=seed,
            min_effect=float(min_effect),
            date=_date_text(date),
            model_name=model_name,
            model_version=model_version,
            baseline_name=_source_name(baseline),
            target_name=_source_name(target),
            types=list(types.items()) if types else None,
            predictions=_feature_list(predictions),
        )
    )


def profile(
    data: Data,
    name: str | None = None,
    *,
    like: Profile | None = None,
    types: dict[str, str] | None = None,
) -> Profile:
    """Profiles a dataset once (a path or an Arrow table), as ``driftscan profile`` does; the
    profile can stand for the data in later scans, be saved, and be merged with others.
    ``name`` describes an in-memory table in results (default ``<pandas.DataFrame>`` and so on).
    ``like`` (a baseline's profile) reads the columns it has with its kinds, as a scan reads its
    target, and counts the values outside its numeric ranges exactly (data quality's
    ``out_of_bounds_rate``, exact however the profiles are later merged); ``types`` declares columns' types (``{"puma": "categorical"}``; ``numeric`` or
    ``categorical``), as ``driftscan profile --type`` does, over ``like``'s. A Spark DataFrame is
    profiled by :func:`driftscan.spark.profile`.
    """
    kinds = dict(like.kinds) if like is not None else {}
    kinds.update(types or {})
    bounds = list(like.numeric_bounds) if like is not None else []
    return _driftscan.profile(
        _arrow_side(data),
        name=name or _source_name(data),
        kinds=list(kinds.items()) or None,
        bounds=bounds or None,
    )
