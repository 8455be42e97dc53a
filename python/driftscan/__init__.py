"""driftscan: data-drift monitoring for deployed machine-learning models, on a Rust engine.

* :func:`scan` compares a target dataset with a baseline (paths, pandas, polars, pyarrow or
  DuckDB tables, or :class:`Profile` objects) and returns a :class:`ScanResult` whose JSON is
  that of ``driftscan scan --json``;
* :func:`profile` profiles a dataset once; a :class:`Profile` saves, loads and merges;
* :func:`performance` measures a model's performance per window against a labelled reference,
  realized from labels and estimated without them, in a :class:`PerformanceResult`;
* :class:`DataDriftDetector` is Azure ML's detector API over a folder, Blob Storage
  (``az://container``) or a deployed driftscan service (:func:`connect`).

Every error is a :class:`DriftscanError` (see :mod:`driftscan.errors`).
"""

from driftscan._driftscan import Profile, __version__
from driftscan._performance import PerformanceResult, performance
from driftscan._scan import ScanResult, profile, scan
from driftscan.detector import (
    AlertConfiguration,
    DataDriftDetector,
    HistoryReport,
    Service,
    connect,
)
from driftscan.errors import (
    DataError,
    DetectorError,
    DetectorExistsError,
    DetectorNotFoundError,
    DriftscanError,
    InputTypeError,
    InternalError,
    InvalidArgumentError,
    InvalidLocationError,
    ServiceError,
    StoreError,
    UnauthorizedError,
)

__all__ = [
    "AlertConfiguration",
    "DataDriftDetector",
    "DataError",
    "DetectorError",
    "DetectorExistsError",
    "DetectorNotFoundError",
    "DriftscanError",
    "HistoryReport",
    "InputTypeError",
    "InternalError",
    "InvalidArgumentError",
    "InvalidLocationError",
    "PerformanceResult",
    "Profile",
    "ScanResult",
    "Service",
    "ServiceError",
    "StoreError",
    "UnauthorizedError",
    "__version__",
    "connect",
    "performance",
    "profile",
    "scan",
]
