"""Type stubs of the extension module ``driftscan._driftscan`` (the Rust engine)."""

import os
from typing import Any, Iterable, final

__version__: str
DEFAULT_SCAN_SEED: int
LEGACY_SNAPSHOTS: str
COLLECTOR_SNAPSHOTS: str
DEFAULT_MIN_EFFECT: float
DEFAULT_DRIFT_THRESHOLD: float

@final
class Profile:
    """A dataset's profile: per-column sketches and statistics plus a bounded row sample.
    Profiles merge exactly, save as ``.profile`` files and stand for their data in a scan."""

    @staticmethod
    def load(path: str | os.PathLike[str]) -> Profile:
        """Reads a profile written by ``save`` or ``driftscan profile`` (a path or
        ``az://container/key``)."""
    @staticmethod
    def from_bytes(data: bytes) -> Profile:
        """A profile from the bytes of ``to_bytes``."""
    def save(self, path: str | os.PathLike[str]) -> int:
        """Writes the profile atomically to a path or to ``az://container/key``; returns the
        number of bytes written."""
    def to_bytes(self) -> bytes:
        """The binary form (what ``save`` writes)."""
    def statistics_bytes(self) -> bytes:
        """The canonical encoding of the statistics alone: the same bytes for the same rows
        however they were stored, split, ordered or merged (provenance left out)."""
    def statistics_digest(self) -> str:
        """Hex SHA-256 of ``statistics_bytes()``."""
    def merge(self, *others: Profile) -> Profile:
        """A new profile of this one's data and the others' together."""
    @staticmethod
    def merge_all(profiles: Iterable[Profile]) -> Profile:
        """One profile of all the given profiles' data, merged at once (a node of a tree
        reduce); the same as merging them one by one, in any order."""
    @property
    def rows(self) -> int:
        """Rows profiled."""
    @property
    def columns(self) -> list[str]:
        """Profiled columns, in the order of the data."""
    @property
    def kinds(self) -> list[tuple[str, str]]:
        """``(column, "numeric" | "text")`` for each column."""
    @property
    def numeric_bounds(self) -> list[tuple[str, float, float]]:
        """``(column, min, max)`` of each numeric column with values: the range a dataset
        profiled against this one counts values outside of (``out_of_bounds_rate``)."""
    @property
    def source(self) -> str:
        """What was profiled."""
    @property
    def content_hash(self) -> str:
        """Hex SHA-256 of the data's files."""
    @property
    def excluded(self) -> list[tuple[str, str]]:
        """Columns left out, with the reason."""
    def __eq__(self, other: object) -> bool: ...
    def __reduce__(self) -> tuple[Any, tuple[bytes]]: ...

@final
class _RunResult:
    def to_json(self) -> str: ...
    def verdict(self) -> str: ...
    def drifted_features(self) -> list[str]: ...
    def report_html(self) -> str: ...

@final
class _PerformanceResult:
    def to_json(self) -> str: ...
    def report_html(self) -> str: ...
    def drops(self) -> list[tuple[str, str]]: ...

def performance(
    reference: Any,
    target: Any,
    y_true: str,
    y_pred: str,
    problem: str | None = None,
    y_pred_proba: list[str] | None = None,
    positive_class: str | None = None,
    features: list[str] | None = None,
    labels: Any = None,
    id: str | None = None,
    window_rows: int | None = None,
    thresholds: list[tuple[str, float]] | None = None,
    seed: int = 7,
    reference_name: str | None = None,
    target_name: str | None = None,
    labels_name: str | None = None,
) -> _PerformanceResult:
    """A model's performance per window against a labelled reference (``driftscan.performance``
    is the documented entry point)."""

def metric_registry() -> list[dict[str, Any]]:
    """Every metric in the order of the result document, one dict each: ``name``, ``label``,
    ``kind`` (``dataset``, ``numeric``, ``categorical``, ``both``), ``direction`` (``higher``,
    ``lower``, ``either_way``, ``neither``: which way means more drift), ``unit``, ``threshold``
    (``None`` where no cut-off is customary) and ``doc``."""

def scan(
    baseline: Any,
    target: Any,
    features: list[str] | None = None,
    threshold: float = ...,
    seed: int = ...,
    min_effect: float = ...,
    date: str | None = None,
    model_name: str | None = None,
    model_version: int = 1,
    baseline_name: str | None = None,
    target_name: str | None = None,
    types: list[tuple[str, str]] | None = None,
    predictions: list[str] | None = None,
) -> _RunResult: ...
def profile(
    data: Any,
    name: str | None = None,
    kinds: list[tuple[str, str]] | None = None,
    bounds: list[tuple[str, float, float]] | None = None,
) -> Profile: ...
def cli_main(args: list[str]) -> int: ...
def error_codes() -> list[tuple[str, str]]:
    """Every error code with the name of its exception class in ``driftscan.errors``."""
def snapshot_glob(template: str, service: str, model: str, version: int, date: str) -> str:
    """The folders of one service's day below the store, as a Hadoop glob (``{03,3}``, ``*``)."""
def snapshot_folder(template: str, service: str, model: str, version: int, date: str) -> str:
    """The one zero-padded folder of one service's day below the store."""
def detector_create(store: str, definition: str) -> str: ...
def detector_get(store: str, name: str) -> str: ...
def detector_list(store: str) -> str: ...
def detector_replace(store: str, name: str, definition: str) -> str: ...
def detector_delete(store: str, name: str) -> str: ...
def detector_set_enabled(store: str, name: str, enabled: bool) -> str: ...
def detector_run(
    store: str,
    name: str,
    target_date: str,
    services: list[str] | None = None,
    feature_list: list[str] | None = None,
    drift_threshold: float | None = None,
) -> str: ...
def detector_backfill(store: str, name: str, start_date: str, end_date: str) -> str: ...
def detector_output(
    store: str, name: str, start: str | None = None, end: str | None = None
) -> str: ...
def detector_report(
    store: str,
    name: str,
    start: str | None = None,
    end: str | None = None,
    run: str | None = None,
    open_features: int = 5,
) -> str: ...
