"""Model performance: ``performance`` and its result object, ``PerformanceResult``."""

from __future__ import annotations

import json
import numbers
import os
import sys
from typing import TYPE_CHECKING, Any, Mapping, Sequence, Union

from driftscan import _driftscan
from driftscan._scan import _arrow_side, _feature_list, _inline, _source_name

if TYPE_CHECKING:
    import pandas

__all__ = ["PerformanceResult", "performance"]

#: A reference, target or labels: a path (file, folder, glob, ``az://...``), a ``Profile`` or a table (pandas,
#: pyarrow, polars, DuckDB).
Table = Union[str, "os.PathLike[str]", Any]

#: The columns of :meth:`PerformanceResult.to_pandas`, in order.
PANDAS_COLUMNS = [
    "window",
    "rows",
    "labelled_rows",
    "metric",
    "reference",
    "realized",
    "realized_lower",
    "realized_upper",
    "estimated",
    "estimated_lower",
    "estimated_upper",
    "threshold",
    "passed",
]


class PerformanceResult:
    """The result of :func:`performance`: the same document as ``driftscan performance --json``.

    Per window of the target and per metric, the realized value (where the window has labels)
    and the estimate with its 95 % band (where the model's scores, or for regression its inputs,
    allow one), judged against the reference's value and the metric's threshold. In Jupyter the
    object shows the report.
    """

    def __init__(self, inner: _driftscan._PerformanceResult) -> None:
        self._inner = inner
        self._json = inner.to_json()
        self._doc: dict[str, Any] = json.loads(self._json)

    @property
    def passed(self) -> bool:
        """False when any window's performance dropped."""
        return bool(self._doc["passed"])

    @property
    def problem(self) -> str:
        """``binary``, ``multiclass`` or ``regression``."""
        return str(self._doc["problem"])

    @property
    def classes(self) -> list[str]:
        """The class names in order (classification; a binary model's positive class is the
        second); empty for regression."""
        return list(self._doc.get("classes", []))

    @property
    def windows(self) -> list[dict[str, Any]]:
        """Each window's figures, in order, as in the document: ``label``, ``rows``,
        ``labelled_rows``, ``passed``, ``metrics`` (per metric ``name``, ``reference``,
        ``realized`` and ``estimated`` bands, ``threshold``, ``passed``), ``confusion_matrix``
        and ``warnings``."""
        return list(self.to_dict()["windows"])

    @property
    def reference(self) -> dict[str, Any]:
        """The reference's own figures, as a window."""
        return dict(self.to_dict()["reference"])

    @property
    def warnings(self) -> list[str]:
        """How estimates were made and when they cannot be trusted."""
        return list(self._doc.get("warnings", []))

    @property
    def drops(self) -> list[tuple[str, str]]:
        """``(window, sentence)`` for each metric that failed, as the report and the command
        word it (``accuracy 0.812 (estimated) against 0.905, a drop of 0.093 (threshold
        0.05)``)."""
        return [tuple(d) for d in self._inner.drops()]  # type: ignore[misc]

    def to_dict(self) -> dict[str, Any]:
        """The result document as Python objects (a fresh copy)."""
        return json.loads(self._json)

    def to_json(self) -> str:
        """The result document, exactly as ``driftscan performance --json`` prints it."""
        return self._json

    def to_pandas(self) -> pandas.DataFrame:
        """One row per window and metric, windows in order: the window's ``label`` (as
        ``window``), ``rows`` and ``labelled_rows``, the ``metric``, the ``reference``'s value,
        the ``realized`` value and its band, the ``estimated`` value and its band, the
        ``threshold`` and whether it ``passed`` (missing where neither value is defined).
        Undefined values are NaN."""
        import pandas

        def value(band: Mapping[str, Any] | None, key: str) -> float:
            v = None if band is None else band.get(key)
            return float("nan") if v is None else float(v)

        rows = []
        for w in self._doc["windows"]:
            for m in w["metrics"]:
                realized, estimated = m.get("realized"), m.get("estimated")
                rows.append(
                    {
                        "window": w["label"],
                        "rows": w["rows"],
                        "labelled_rows": w["labelled_rows"],
                        "metric": m["name"],
                        "reference": value(m, "reference"),
                        "realized": value(realized, "value"),
                        "realized_lower": value(realized, "lower"),
                        "realized_upper": value(realized, "upper"),
                        "estimated": value(estimated, "value"),
                        "estimated_lower": value(estimated, "lower"),
                        "estimated_upper": value(estimated, "upper"),
                        "threshold": value(m, "threshold"),
                        "passed": m.get("passed"),
                    }
                )
        frame = pandas.DataFrame(rows, columns=PANDAS_COLUMNS)
        return frame.astype(
            {
                "window": "object",
                "rows": "int64",
                "labelled_rows": "int64",
                "metric": "object",
                "passed": "boolean",
                **{c: "float64" for c in PANDAS_COLUMNS[4:12]},
            }
        )

    def report(self) -> str:
        """The report as one self-contained HTML page (as ``driftscan performance --report``):
        the verdict, what dropped, one chart per metric across the windows, every figure."""
        return self._inner.report_html()

    def save_html(self, path: str | os.PathLike[str]) -> None:
        """Writes the report page to ``path``."""
        with open(path, "w", encoding="utf-8") as f:
            f.write(self.report())

    def _repr_html_(self) -> str:
        return _inline(self.report())

    def __repr__(self) -> str:
        failing = sum(1 for w in self._doc["windows"] if not w["passed"])
        state = "passed" if self.passed else f"{failing} of {len(self._doc['windows'])} windows dropped"
        return f"<PerformanceResult {self.problem}: {len(self._doc['windows'])} windows, {state}>"


def _class_text(value: Any) -> str:
    """A class as the engine spells it: integers (``1``, ``1.0``, ``numpy.int64(1)``) as
    ``1``, booleans as ``true``/``false``, anything else as its text."""
    if isinstance(value, bool) or type(value).__name__ == "bool_":
        return "true" if value else "false"
    if isinstance(value, numbers.Integral):
        return str(int(value))
    if isinstance(value, numbers.Real) and float(value).is_integer():
        return str(int(value))
    return str(value)


def _proba_columns(y_pred_proba: Any) -> list[str] | None:
    """``y_pred_proba`` as the command's list: a name, names in class order, or ``{class:
    column}`` as ``class=column`` items."""
    if y_pred_proba is None:
        return None
    if isinstance(y_pred_proba, str):
        return [y_pred_proba]
    if isinstance(y_pred_proba, Mapping):
        return [f"{_class_text(k)}={v}" for k, v in y_pred_proba.items()]
    return [str(c) for c in y_pred_proba]


def _table_side(data: Any) -> Any:
    """A side as the engine reads it. A pandas DataFrame becomes a pyarrow Table as for
    :func:`driftscan.scan`; another Arrow stream (polars, DuckDB) is read into a pyarrow Table
    when pyarrow is installed, since the reference, target and labels are all open at once and
    two streams of one DuckDB connection cannot be."""
    data = _arrow_side(data)
    if isinstance(data, (str, os.PathLike)) or not hasattr(data, "__arrow_c_stream__"):
        return data
    pyarrow = sys.modules.get("pyarrow")
    if pyarrow is None:
        try:
            import pyarrow
        except ImportError:
            return data
    if isinstance(data, pyarrow.Table):
        return data
    try:
        return pyarrow.table(data)
    except (TypeError, ValueError, pyarrow.ArrowException):
        return data


def performance(
    reference: Table,
    target: Table,
    problem: str | None = None,
    *,
    y_true: str,
    y_pred: str,
    y_pred_proba: str | Sequence[str] | Mapping[Any, str] | None = None,
    positive_class: Any = None,
    features: str | Sequence[str] | None = None,
    labels: Table | None = None,
    id: str | None = None,
    window_rows: int | None = None,
    thresholds: Mapping[str, float] | None = None,
    seed: int = 7,
) -> PerformanceResult:
    """A model's performance on ``target`` against its labelled ``reference``, per window, as
    ``driftscan performance`` measures it.

    ``reference`` (the validation data, or a first production period with its labels),
    ``target`` and ``labels`` are pandas DataFrames, pyarrow tables (or any table with
    ``__arrow_c_stream__``), or paths (a CSV, Parquet or JSON-lines file, a folder, a glob,
    ``az://container/prefix``), as :func:`driftscan.scan` takes them, or :class:`Profile` objects
    that include the outcome columns (a profile's row sample carries them; see
    docs/signals.md, "From a profile").

    ``y_true`` and ``y_pred`` name the truth and the model's prediction. ``y_pred_proba`` names
    the predicted probabilities: the positive class's column for a binary model; for a
    multiclass one a list in class order or ``{class: column}``; needed for ROC AUC and for
    estimates where the target has no labels. ``problem`` is ``binary``, ``multiclass`` or
    ``regression`` (default: guessed from the reference's truth); ``positive_class`` the
    positive class of a binary model (default: the second class, numbers before text);
    ``features`` the inputs of regression estimates (default: every other column).

    ``labels`` holds the target's truth apart from it (labels that arrive late), joined to the
    target's rows by the ``id`` column. ``window_rows`` cuts the target into windows of that many
    rows (default: one window). ``thresholds`` sets a metric's threshold (``{"accuracy":
    0.03}``): the drop of a rate (default 0.05), or the relative rise of a loss (default 0.10 =
    10 %). ``seed`` seeds the regression loss models.

    Raises :class:`driftscan.DataError` when a column is missing or the data does not fit the
    problem (the message names the column), :class:`driftscan.InvalidArgumentError` for an
    argument out of range.
    """
    from driftscan.errors import InvalidArgumentError

    if window_rows is not None and (
        isinstance(window_rows, bool) or not isinstance(window_rows, numbers.Integral) or window_rows < 1
    ):
        raise InvalidArgumentError(
            f"window_rows must be a whole number of rows, at least 1; got {window_rows!r}",
            "invalid_argument",
        )
    if thresholds is not None and not isinstance(thresholds, Mapping):
        raise InvalidArgumentError(
            "thresholds is a dict {metric: value}, e.g. {'accuracy': 0.03}", "invalid_argument"
        )
    return PerformanceResult(
        _driftscan.performance(
            _table_side(reference),
            _table_side(target),
            y_true=str(y_true),
            y_pred=str(y_pred),
            problem=problem,
            y_pred_proba=_proba_columns(y_pred_proba),
            positive_class=None if positive_class is None else _class_text(positive_class),
            features=_feature_list(features),
            labels=None if labels is None else _table_side(labels),
            id=id,
            window_rows=None if window_rows is None else int(window_rows),
            thresholds=[(str(k), float(v)) for k, v in thresholds.items()] if thresholds else None,
            seed=int(seed),
            reference_name=_source_name(reference),
            target_name=_source_name(target),
            labels_name=None if labels is None else _source_name(labels),
        )
    )
