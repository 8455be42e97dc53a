"""Azure Machine Learning's ``DataDriftDetector`` API, on a driftscan store or service.

``store`` is a local folder, ``az://container[/prefix]`` (Blob Storage, credentials as for the
service: docs/service.md), or a :class:`Service` from :func:`connect` (a deployed driftscan
Functions app, or ``driftscan serve``, driven over its REST API). Every backend answers with the
REST API's documents, so the class behaves the same on each.
"""

from __future__ import annotations

import builtins
import json
import os
import urllib.error
import urllib.parse
import urllib.request
from typing import Any, Protocol, Union

from driftscan import _driftscan
from driftscan._scan import _date_text, _inline
from driftscan.errors import ServiceError, error_for_code

__all__ = [
    "AlertConfiguration",
    "DataDriftDetector",
    "HistoryReport",
    "Service",
    "Store",
    "connect",
]

#: Azure ML's default drift threshold (the engine's, so there is one value).
DEFAULT_DRIFT_THRESHOLD = _driftscan.DEFAULT_DRIFT_THRESHOLD

#: ``update(...)`` leaves a field unchanged when it is given this (Azure ML's sentinel).
UNCHANGED: Any = ...


class _Backend(Protocol):
    """The REST API's operations, answered with its documents."""

    def create(self, definition: dict[str, Any]) -> dict[str, Any]: ...
    def get(self, name: str) -> dict[str, Any]: ...
    def list(self) -> builtins.list[dict[str, Any]]: ...
    def replace(self, name: str, definition: dict[str, Any]) -> dict[str, Any]: ...
    def delete(self, name: str) -> dict[str, Any]: ...
    def set_enabled(self, name: str, enabled: bool) -> dict[str, Any]: ...
    def run(self, name: str, target_date: str, services: builtins.list[str] | None,
            feature_list: builtins.list[str] | None,
            drift_threshold: float | None) -> dict[str, Any]: ...
    def backfill(self, name: str, start_date: str, end_date: str) -> dict[str, Any]: ...
    def output(self, name: str, start: str | None, end: str | None) -> dict[str, Any]: ...
    def report(self, name: str, start: str | None, end: str | None, run: str | None,
               open_features: int) -> str: ...


class _LocalStore:
    """A folder or ``az://`` container, through the engine (what ``driftscan detectors`` uses)."""

    def __init__(self, location: str) -> None:
        self.location = location

    def __repr__(self) -> str:
        return f"store {self.location!r}"

    def create(self, definition: dict[str, Any]) -> dict[str, Any]:
        return json.loads(_driftscan.detector_create(self.location, json.dumps(definition)))

    def get(self, name: str) -> dict[str, Any]:
        return json.loads(_driftscan.detector_get(self.location, name))

    def list(self) -> builtins.list[dict[str, Any]]:
        return json.loads(_driftscan.detector_list(self.location))["detectors"]

    def replace(self, name: str, definition: dict[str, Any]) -> dict[str, Any]:
        return json.loads(_driftscan.detector_replace(self.location, name, json.dumps(definition)))

    def delete(self, name: str) -> dict[str, Any]:
        return json.loads(_driftscan.detector_delete(self.location, name))

    def set_enabled(self, name: str, enabled: bool) -> dict[str, Any]:
        return json.loads(_driftscan.detector_set_enabled(self.location, name, enabled))

    def run(self, name, target_date, services, feature_list, drift_threshold):  # type: ignore[no-untyped-def]
        return json.loads(
            _driftscan.detector_run(
                self.location, name, target_date, services, feature_list, drift_threshold
            )
        )

    def backfill(self, name: str, start_date: str, end_date: str) -> dict[str, Any]:
        return json.loads(_driftscan.detector_backfill(self.location, name, start_date, end_date))

    def output(self, name: str, start: str | None, end: str | None) -> dict[str, Any]:
        return json.loads(_driftscan.detector_output(self.location, name, start, end))

    def report(self, name, start, end, run, open_features):  # type: ignore[no-untyped-def]
        return _driftscan.detector_report(self.location, name, start, end, run, open_features)


class Service:
    """A deployed driftscan Functions app (or ``driftscan serve``), driven over its REST API.
    The function key, when given, is sent as ``x-functions-key``. Use it as the ``store`` of
    :class:`DataDriftDetector`."""

    def __init__(self, url: str, key: str | None = None, timeout: float = 300.0) -> None:
        self.url = url.rstrip("/")
        self.key = key
        # Runs and backfills are synchronous; Azure answers HTTP functions within 230 s.
        self.timeout = timeout

    def __repr__(self) -> str:
        return f"Service({self.url!r})"

    def _call(
        self,
        method: str,
        path: str,
        body: dict[str, Any] | None = None,
        query: dict[str, Any] | None = None,
        text: bool = False,
    ) -> Any:
        url = self.url + path
        if query:
            q = {k: v for k, v in query.items() if v is not None}
            if q:
                url += "?" + urllib.parse.urlencode(q)
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(url, data=data, method=method)
        if data is not None:
            request.add_header("Content-Type", "application/json")
        if self.key:
            request.add_header("x-functions-key", self.key)
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                payload = response.read()
        except urllib.error.HTTPError as e:
            raw = e.read()
            try:
                err = json.loads(raw)["error"]
                code, message = str(err["code"]), str(err["message"])
            except (ValueError, KeyError, TypeError):
                raise ServiceError(
                    f"{method} {url}: HTTP {e.code}: {raw[:200].decode(errors='replace')}",
                    f"http_{e.code}",
                ) from None
            raise error_for_code(code, message) from None
        except urllib.error.URLError as e:
            raise ServiceError(f"{method} {url}: {e.reason}", "unreachable") from None
        except OSError as e:  # timeouts, resets
            raise ServiceError(f"{method} {url}: {e}", "unreachable") from None
        if text:
            return payload.decode("utf-8")
        try:
            return json.loads(payload)
        except ValueError:
            raise ServiceError(
                f"{method} {url}: the answer is not JSON: {payload[:200]!r}", "bad_answer"
            ) from None

    @staticmethod
    def _name(name: str) -> str:
        return urllib.parse.quote(name, safe="")

    def create(self, definition: dict[str, Any]) -> dict[str, Any]:
        return self._call("POST", "/api/detectors", definition)

    def get(self, name: str) -> dict[str, Any]:
        return self._call("GET", f"/api/detectors/{self._name(name)}")

    def list(self) -> builtins.list[dict[str, Any]]:
        return self._call("GET", "/api/detectors")["detectors"]

    def replace(self, name: str, definition: dict[str, Any]) -> dict[str, Any]:
        return self._call("PUT", f"/api/detectors/{self._name(name)}", definition)

    def delete(self, name: str) -> dict[str, Any]:
        return self._call("DELETE", f"/api/detectors/{self._name(name)}")

    def set_enabled(self, name: str, enabled: bool) -> dict[str, Any]:
        action = "enable" if enabled else "disable"
        return self._call("POST", f"/api/detectors/{self._name(name)}/{action}", {})

    def run(self, name, target_date, services, feature_list, drift_threshold):  # type: ignore[no-untyped-def]
        body: dict[str, Any] = {"target_date": target_date}
        if services is not None:
            body["services"] = services
        if feature_list is not None:
            body["feature_list"] = feature_list
        if drift_threshold is not None:
            body["drift_threshold"] = drift_threshold
        return self._call("POST", f"/api/detectors/{self._name(name)}/run", body)

    def backfill(self, name: str, start_date: str, end_date: str) -> dict[str, Any]:
        body = {"start_date": start_date, "end_date": end_date}
        return self._call("POST", f"/api/detectors/{self._name(name)}/backfill", body)

    def output(self, name: str, start: str | None, end: str | None) -> dict[str, Any]:
        query = {"start": start, "end": end}
        return self._call("GET", f"/api/detectors/{self._name(name)}/output", query=query)

    def report(self, name, start, end, run, open_features):  # type: ignore[no-untyped-def]
        query = {"start": start, "end": end, "run": run, "open": open_features}
        return self._call(
            "GET", f"/api/detectors/{self._name(name)}/report", query=query, text=True
        )


#: Where detectors live: a folder, ``az://container[/prefix]``, or a :class:`Service`.
Store = Union[str, "os.PathLike[str]", Service]


def connect(url: str, key: str | None = None, timeout: float = 300.0) -> Service:
    """A deployed driftscan Functions app (``https://<app>.azurewebsites.net``) or a local
    ``driftscan serve``, to use as the ``store`` of :class:`DataDriftDetector`. ``key`` is the
    function key, sent as ``x-functions-key``."""
    return Service(url, key, timeout)


def _backend(store: Store) -> _Backend:
    if isinstance(store, Service):
        return store
    if isinstance(store, _LocalStore):
        return store
    return _LocalStore(os.fspath(store))


class AlertConfiguration:
    """Who hears about drift (Azure ML's ``AlertConfiguration``): e-mail addresses, and
    optionally an incoming-webhook URL (Teams, Slack or any JSON receiver)."""

    def __init__(self, email_addresses: builtins.list[str] | None = None,
                 webhook: str | None = None, event_grid_topic: str | None = None) -> None:
        if isinstance(email_addresses, str):
            email_addresses = [email_addresses]
        self.email_addresses = builtins.list(email_addresses or [])
        self.webhook = webhook
        #: Endpoint of an Azure Event Grid custom topic that receives a CloudEvents 1.0 event per
        #: alerting run (its key comes from the service's ``DRIFTSCAN_EVENTGRID_KEY`` setting).
        self.event_grid_topic = event_grid_topic

    def _to_json(self) -> dict[str, Any]:
        doc: dict[str, Any] = {"emails": self.email_addresses}
        if self.webhook:
            doc["webhook"] = self.webhook
        if self.event_grid_topic:
            doc["event_grid"] = {"topic_endpoint": self.event_grid_topic}
        return doc

    @classmethod
    def _from_json(cls, doc: dict[str, Any] | None) -> AlertConfiguration | None:
        if not doc or not (doc.get("emails") or doc.get("webhook") or doc.get("event_grid")):
            return None
        topic = (doc.get("event_grid") or {}).get("topic_endpoint")
        return cls(doc.get("emails", []), doc.get("webhook"), topic)

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, AlertConfiguration)
            and other.email_addresses == self.email_addresses
            and other.webhook == self.webhook
            and other.event_grid_topic == self.event_grid_topic
        )

    def __repr__(self) -> str:
        hook = f", webhook={self.webhook!r}" if self.webhook else ""
        topic = f", event_grid_topic={self.event_grid_topic!r}" if self.event_grid_topic else ""
        return f"AlertConfiguration({self.email_addresses!r}{hook}{topic})"


class HistoryReport:
    """A detector's history page (what :meth:`DataDriftDetector.show` returns): shown inline in
    Jupyter, or saved with :meth:`save`."""

    def __init__(self, html: str) -> None:
        self.html = html

    def save(self, path: str | os.PathLike[str]) -> None:
        """Writes the page to ``path``."""
        with open(path, "w", encoding="utf-8") as f:
            f.write(self.html)

    def _repr_html_(self) -> str:
        return _inline(self.html)

    def __repr__(self) -> str:
        return f"<HistoryReport {len(self.html) / 1000:.1f} kB of HTML>"


class DataDriftDetector:
    """A model's data-drift detector, with the names and return shapes of Azure ML's
    ``azureml.datadrift.DataDriftDetector``.

    Make one with :meth:`create`, find one with :meth:`get_by_name` or :meth:`list`. As in Azure
    ML, a new detector's schedule is off until :meth:`enable_schedule`.
    """

    def __init__(self, store: Store, definition: dict[str, Any]) -> None:
        self._backend = _backend(store)
        self._definition = definition

    # -- construction --------------------------------------------------------------------------

    @classmethod
    def create(
        cls,
        store: Store,
        name: str,
        model_name: str,
        model_version: int,
        services: builtins.list[str],
        baseline: str | os.PathLike[str],
        frequency: str = "Day",
        feature_list: builtins.list[str] | None = None,
        drift_threshold: float = DEFAULT_DRIFT_THRESHOLD,
        alert_config: AlertConfiguration | None = None,
        *,
        snapshots: str | None = None,
        latency: int = 0,
        enabled: bool = False,
        on_missing_feature: str = "report",
        feature_types: dict[str, str] | None = None,
        prediction_drift: dict[str, Any] | None = None,
        data_quality: dict[str, Any] | bool | None = None,
        performance: dict[str, Any] | None = None,
        reference_window: dict[str, Any] | None = None,
        production_window: dict[str, Any] | None = None,
    ) -> DataDriftDetector:
        """Stores a new detector and returns it. ``baseline`` is the training data (a file, a
        folder, a glob or a ``.profile``, relative to the store, ``az://...`` or an absolute
        folder); ``snapshots`` the location template of the model's inputs (default: Azure ML's
        legacy model-data-collector layout; see docs/service.md). ``on_missing_feature`` is what a
        run does when a monitored feature is missing from a snapshot: ``"report"`` names it in the
        verdict and alerts, ``"fail"`` records the run as failed. ``feature_types`` declares columns' types
        (``{"puma": "categorical"}``), read so in the baseline and every snapshot.

        Signals beside data drift, as Azure ML's model monitor has them (docs/signals.md):
        ``prediction_drift`` (``{"columns": ["proba"], "metric_thresholds": {...}}``: the model's
        outputs against reference outputs), ``data_quality`` (``True`` for Azure ML's default
        thresholds, or ``{"metric_thresholds": ..., "feature_thresholds": ...}``: null, type-error
        and out-of-bounds rates), ``performance`` (``{"problem": "binary", "y_true": "label",
        "y_pred": "pred", "y_pred_proba": ["proba"], "labels": "labels/{service}/{yyyy}/{MM}/{dd}",
        "id": "correlationid"}``: realized performance when labels arrive, estimated before;
        docs/performance-estimation.md). ``reference_window`` (``{"lookback_window_size": "P28D",
        "lookback_window_offset": "P7D"}`` or ``{"window_start": ..., "window_end": ...}``) makes
        the reference a window of production days; ``production_window`` widens what a run
        scores. Every field is checked as the service checks it; a bad one raises
        :class:`~driftscan.errors.DetectorError` naming it.
        """
        definition: dict[str, Any] = {
            "name": name,
            "model_name": model_name,
            "model_version": model_version,
            "services": builtins.list(services) if not isinstance(services, str) else [services],
            "baseline": os.fspath(baseline),
            "frequency": frequency,
            "latency": latency,
            "drift_threshold": drift_threshold,
            "enabled": enabled,
        }
        if snapshots is not None:
            definition["snapshots"] = snapshots
        if on_missing_feature != "report":
            definition["on_missing_feature"] = on_missing_feature
        if feature_types:
            definition["feature_types"] = dict(feature_types)
        if feature_list is not None:
            definition["feature_list"] = builtins.list(feature_list)
        if alert_config is not None:
            definition["alert"] = alert_config._to_json()
        signals = _signals(prediction_drift, data_quality, performance)
        if signals:
            definition["signals"] = signals
        if reference_window is not None:
            definition["reference_window"] = _window(reference_window)
        if production_window is not None:
            definition["production_window"] = _window(production_window)
        backend = _backend(store)
        return cls(backend, backend.create(definition))

    @classmethod
    def get_by_name(cls, store: Store, name: str) -> DataDriftDetector:
        """The detector called ``name``; :class:`~driftscan.errors.DetectorNotFoundError` if
        there is none."""
        backend = _backend(store)
        return cls(backend, backend.get(name))

    @classmethod
    def list(
        cls,
        store: Store,
        model_name: str | None = None,
        model_version: int | None = None,
    ) -> builtins.list[DataDriftDetector]:
        """Every detector of the store, optionally only those of a model (and version)."""
        backend = _backend(store)
        return [
            cls(backend, d)
            for d in backend.list()
            if (model_name is None or d["model_name"] == model_name)
            and (model_version is None or d["model_version"] == model_version)
        ]

    # -- properties (Azure ML's names) -----------------------------------------------------------

    @property
    def name(self) -> str:
        return self._definition["name"]

    @property
    def model_name(self) -> str:
        return self._definition["model_name"]

    @property
    def model_version(self) -> int:
        return self._definition["model_version"]

    @property
    def services(self) -> builtins.list[str]:
        return builtins.list(self._definition["services"])

    @property
    def baseline(self) -> str:
        return self._definition["baseline"]

    @property
    def snapshots(self) -> str | None:
        return self._definition.get("snapshots")

    @property
    def frequency(self) -> str:
        return self._definition.get("frequency", "Day")

    @property
    def interval(self) -> int:
        """Always 1, as in Azure ML."""
        return 1

    @property
    def latency(self) -> int:
        return self._definition.get("latency", 0)

    @property
    def feature_list(self) -> builtins.list[str] | None:
        f = self._definition.get("feature_list")
        return None if f is None else builtins.list(f)

    @property
    def drift_threshold(self) -> float:
        return self._definition.get("drift_threshold", DEFAULT_DRIFT_THRESHOLD)

    @property
    def alert_config(self) -> AlertConfiguration | None:
        return AlertConfiguration._from_json(self._definition.get("alert"))

    @property
    def signals(self) -> builtins.list[str]:
        """The signals the detector watches: ``data_drift`` first, then any others."""
        return ["data_drift", *sorted(self._definition.get("signals", {}))]

    @property
    def prediction_drift(self) -> dict[str, Any] | None:
        return self._definition.get("signals", {}).get("prediction_drift")

    @property
    def data_quality(self) -> dict[str, Any] | None:
        return self._definition.get("signals", {}).get("data_quality")

    @property
    def performance(self) -> dict[str, Any] | None:
        return self._definition.get("signals", {}).get("performance")

    @property
    def reference_window(self) -> dict[str, Any] | None:
        return self._definition.get("reference_window")

    @property
    def production_window(self) -> dict[str, Any] | None:
        return self._definition.get("production_window")

    @property
    def enabled(self) -> bool:
        return bool(self._definition.get("enabled", True))

    @property
    def state(self) -> str:
        """``Enabled`` or ``Disabled`` (Azure ML's states of a settled schedule)."""
        return "Enabled" if self.enabled else "Disabled"

    @property
    def drift_type(self) -> str:
        return "ModelBased"

    def to_dict(self) -> dict[str, Any]:
        """The stored definition (what ``driftscan detectors get`` prints)."""
        return json.loads(json.dumps(self._definition))

    def __repr__(self) -> str:
        return (
            f"DataDriftDetector(name={self.name!r}, model={self.model_name!r} "
            f"v{self.model_version}, services={self.services!r}, frequency={self.frequency!r}, "
            f"state={self.state!r}, store={self._backend!r})"
        )

    def __eq__(self, other: object) -> bool:
        return isinstance(other, DataDriftDetector) and other._definition == self._definition

    # -- runs and results ------------------------------------------------------------------------

    def run(
        self,
        target_date: Any,
        services: builtins.list[str] | None = None,
        feature_list: builtins.list[str] | None = None,
        drift_threshold: float | None = None,
    ) -> dict[str, Any]:
        """Scores the window containing ``target_date`` now, for each service (or those
        given), with optional per-run features and threshold. Returns the REST API's answer:
        ``{"detector", "window": {"start", "end"}, "runs": [{"service", "date", "status",
        "has_drift", "datadrift_coefficient", "recorded", "error"}]}``."""
        return self._backend.run(
            self.name,
            _required_date(target_date),
            builtins.list(services) if services is not None else None,
            builtins.list(feature_list) if feature_list is not None else None,
            drift_threshold,
        )

    def backfill(self, start_date: Any, end_date: Any) -> dict[str, Any]:
        """Scores every window from ``start_date`` to ``end_date`` (at most 30 cycles).
        Returns ``{"detector", "cycles", "runs": [...]}``."""
        return self._backend.backfill(
            self.name, _required_date(start_date), _required_date(end_date)
        )

    def get_output(
        self, start_time: Any = None, end_time: Any = None
    ) -> tuple[builtins.list[dict[str, Any]], builtins.list[dict[str, Any]]]:
        """``(results, metrics)`` in the shapes of Azure ML's ``get_output``: one entry per
        service, holding its succeeded results between the dates, oldest first. ``end_time``
        defaults to today and ``start_time`` to ten cycles before it."""
        doc = self.get_output_document(start_time, end_time)
        return doc["results"], doc["metrics"]

    def get_output_document(self, start_time: Any = None, end_time: Any = None) -> dict[str, Any]:
        """The whole ``output`` document: ``results``, ``metrics`` and the no-data and failed
        runs under ``unsuccessful_runs``. A store answers at most 92 days, and 16 MB of results,
        at a time (a page names the next one's ``next_start``); the pages are fetched and joined
        here."""
        doc = self._backend.output(self.name, _date_text(start_time), _date_text(end_time))
        end = doc["end"]
        while doc.get("next_start"):
            page = self._backend.output(self.name, doc["next_start"], end)
            for whole, part in zip(doc["results"], page["results"]):
                whole["result"].extend(part["result"])
            for whole, part in zip(doc["metrics"], page["metrics"]):
                whole["metrics"].extend(part["metrics"])
            doc["unsuccessful_runs"].extend(page["unsuccessful_runs"])
            doc["next_start"] = page.get("next_start")
            doc["page_end"] = page.get("page_end")
        doc.pop("next_start", None)
        doc.pop("page_end", None)
        doc.pop("cut_by_size", None)
        return doc

    def show(
        self, start_time: Any = None, end_time: Any = None, with_details: bool = False
    ) -> HistoryReport:
        """The detector's history between the dates (defaults as :meth:`get_output`) as a
        report page, shown inline in Jupyter. ``with_details`` opens the most drifted features'
        sections of the latest scored date."""
        open_features = 5 if with_details else 0
        return HistoryReport(
            self._backend.report(
                self.name, _date_text(start_time), _date_text(end_time), None, open_features
            )
        )

    # -- schedule and definition -----------------------------------------------------------------

    def enable_schedule(self) -> None:
        """Switches the timer on: the service scores each completed window."""
        self._definition = self._backend.set_enabled(self.name, True)

    def disable_schedule(self) -> None:
        """Switches the timer off; ad-hoc runs and backfills still work."""
        self._definition = self._backend.set_enabled(self.name, False)

    def update(
        self,
        services: Any = UNCHANGED,
        feature_list: Any = UNCHANGED,
        drift_threshold: Any = UNCHANGED,
        alert_config: Any = UNCHANGED,
        baseline: Any = UNCHANGED,
        snapshots: Any = UNCHANGED,
        latency: Any = UNCHANGED,
        on_missing_feature: Any = UNCHANGED,
        prediction_drift: Any = UNCHANGED,
        data_quality: Any = UNCHANGED,
        performance: Any = UNCHANGED,
        reference_window: Any = UNCHANGED,
        production_window: Any = UNCHANGED,
    ) -> DataDriftDetector:
        """Changes the fields given (``...`` leaves one as it is; ``drift_threshold=None``
        restores the default (:data:`DEFAULT_DRIFT_THRESHOLD`), ``feature_list=None`` compares
        every column, ``alert_config=None`` drops
        alerts, ``prediction_drift=None``, ``data_quality=None`` or ``performance=None`` stops
        watching that signal,
        ``reference_window=None`` goes back to the baseline). Name, model and frequency cannot
        change, as in Azure ML. Returns ``self``."""
        current = self._backend.get(self.name)
        if services is not UNCHANGED:
            current["services"] = [services] if isinstance(services, str) else builtins.list(services)
        if feature_list is not UNCHANGED:
            if feature_list is None:
                current.pop("feature_list", None)
            else:
                current["feature_list"] = builtins.list(feature_list)
        if drift_threshold is not UNCHANGED:
            current["drift_threshold"] = (
                DEFAULT_DRIFT_THRESHOLD if drift_threshold is None else drift_threshold
            )
        if alert_config is not UNCHANGED:
            current["alert"] = (alert_config or AlertConfiguration())._to_json()
        if baseline is not UNCHANGED:
            current["baseline"] = os.fspath(baseline)
        if snapshots is not UNCHANGED:
            if snapshots is None:
                current.pop("snapshots", None)
            else:
                current["snapshots"] = snapshots
        if latency is not UNCHANGED:
            current["latency"] = latency
        if on_missing_feature is not UNCHANGED:
            current["on_missing_feature"] = on_missing_feature
        signals = current.get("signals", {})
        for key, value in (
            ("prediction_drift", prediction_drift),
            ("data_quality", data_quality),
            ("performance", performance),
        ):
            if value is not UNCHANGED:
                signals.pop(key, None)
                signals.update(_signals(**{key: value}))
        if signals:
            current["signals"] = signals
        else:
            current.pop("signals", None)
        for key, value in (
            ("reference_window", reference_window),
            ("production_window", production_window),
        ):
            if value is None:
                current.pop(key, None)
            elif value is not UNCHANGED:
                current[key] = _window(value)
        self._definition = self._backend.replace(self.name, current)
        return self

    def delete(self) -> None:
        """Deletes the detector; its run history stays in the store."""
        self._backend.delete(self.name)


def _signals(
    prediction_drift: dict[str, Any] | None = None,
    data_quality: dict[str, Any] | bool | None = None,
    performance: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The definition's ``signals`` object: ``data_quality=True`` is the signal with Azure ML's
    default thresholds; ``None`` or ``False`` leaves a signal out."""
    signals: dict[str, Any] = {}
    if prediction_drift is not None:
        signals["prediction_drift"] = dict(prediction_drift)
    if data_quality is True:
        signals["data_quality"] = {}
    elif data_quality:
        signals["data_quality"] = dict(data_quality)
    if performance is not None:
        signals["performance"] = dict(performance)
    return signals


def _window(window: dict[str, Any]) -> dict[str, Any]:
    """A window definition with dates as ``YYYY-MM-DD`` text (``datetime.date`` accepted)."""
    doc = dict(window)
    for key in ("window_start", "window_end"):
        if key in doc:
            doc[key] = _date_text(doc[key])
    return doc


def _required_date(value: Any) -> str:
    text = _date_text(value)
    if text is None:
        from driftscan.errors import DetectorError

        raise DetectorError("a date is required (YYYY-MM-DD, datetime.date or datetime)",
                            "invalid_date")
    return text
