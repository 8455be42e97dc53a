"""Exceptions of driftscan: every error of the engine, a store or a driftscan service arrives as
one of these, with the engine's message and the REST API's error code (``code``), so a local store
and a deployed Functions app raise the same exception for the same mistake."""

from __future__ import annotations

__all__ = [
    "DriftscanError",
    "DataError",
    "InputTypeError",
    "InvalidArgumentError",
    "DetectorError",
    "DetectorNotFoundError",
    "DetectorExistsError",
    "StoreError",
    "ServiceError",
    "UnauthorizedError",
    "InvalidLocationError",
    "InternalError",
    "error_for_code",
]


class DriftscanError(Exception):
    """Base class of every driftscan error. ``code`` is the REST API's error code
    (``invalid_detector``, ``not_found``, ``data_error``, ...)."""

    def __init__(self, message: str, code: str = "error") -> None:
        super().__init__(message)
        self.message = message
        self.code = code

    def __str__(self) -> str:
        return self.message


class DataError(DriftscanError):
    """A dataset or profile that cannot be read or compared: a missing, empty or malformed file,
    an unknown feature, a failing Arrow producer."""


class InputTypeError(DataError, TypeError):
    """An argument of a type driftscan cannot read (neither a path, a Profile, nor an Arrow
    table)."""


class InvalidArgumentError(DriftscanError, ValueError):
    """An argument with a value out of range (for example a threshold above 1)."""


class DetectorError(DriftscanError, ValueError):
    """A detector field, name or date that breaks a rule; the message names the field and the
    value (``field `drift_threshold`: `1.5` is not a number between 0 and 1``)."""


class InvalidLocationError(DetectorError):
    """A baseline or snapshot location outside the store and the data roots
    (``DRIFTSCAN_DATA_ROOTS``): refused before anything is stored."""


class DetectorNotFoundError(DriftscanError, LookupError):
    """No detector of that name in the store (Azure ML raised ``KeyError``, a ``LookupError``)."""


class DetectorExistsError(DriftscanError):
    """A detector of that name exists already."""


class StoreError(DriftscanError):
    """The store (folder or Blob Storage) could not be read or written, or changed meanwhile."""


class ServiceError(DriftscanError):
    """A driftscan service could not be reached or answered something unexpected (codes
    ``unreachable``, ``http_<status>``, ``invalid_answer``)."""


class UnauthorizedError(DriftscanError, PermissionError):
    """A driftscan service refused the request: its API key is missing or wrong."""


class InternalError(DriftscanError):
    """A bug in the engine (a panic); the interpreter keeps running."""


def _classes_by_code() -> dict[str, type[DriftscanError]]:
    # The engine's one table of codes names each code's class; a service's error document carries
    # the same codes, so both raise the same class.
    from driftscan._driftscan import error_codes

    return {code: globals()[name] for code, name in error_codes()}


_BY_CODE: dict[str, type[DriftscanError]] = _classes_by_code()


def error_for_code(code: str, message: str) -> DriftscanError:
    """The exception for an error document of the REST API."""
    return _BY_CODE.get(code, ServiceError)(message, code)
