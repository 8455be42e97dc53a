"""Metrics where operators look. ``/metrics`` of ``driftscan serve`` is parsed by the Prometheus
client library's own OpenMetrics parser; OTLP is received by a loopback collector that decodes
the protobuf with OpenTelemetry's proto package. Both carry the same values under the same names
(Prometheus: ``driftscan_`` and the OTLP name with every other character as ``_``) and the same
labels, and per-column series stay within the documented bound."""

from __future__ import annotations

import http.server
import json
import re
import threading
import urllib.request
from pathlib import Path
from typing import Any, Iterator

import pytest
from opentelemetry.proto.collector.metrics.v1 import metrics_service_pb2
from prometheus_client.openmetrics.parser import text_string_to_metric_families

from conftest import run_cli
from test_detector import DAYS, create, store  # noqa: F401 - the fixture

KEY = "telemetry-test-key-0123456789"
TOP_FEATURES = 2


def prometheus_name(name: str) -> str:
    body = re.sub(r"[^A-Za-z0-9_]", "_", name)
    return body if body.startswith("driftscan_") else f"driftscan_{body}"


class Collector:
    """A loopback OTLP/HTTP metrics receiver: every request body decoded as an
    ``ExportMetricsServiceRequest``."""

    def __init__(self) -> None:
        self.requests: list[Any] = []
        received = self.requests

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - the http.server API
                body = self.rfile.read(int(self.headers["Content-Length"]))
                assert self.path == "/v1/metrics", self.path
                assert self.headers["Content-Type"] == "application/x-protobuf"
                message = metrics_service_pb2.ExportMetricsServiceRequest()
                message.ParseFromString(body)
                received.append(message)
                self.send_response(200)
                self.send_header("Content-Type", "application/x-protobuf")
                self.end_headers()
                self.wfile.write(metrics_service_pb2.ExportMetricsServiceResponse().SerializeToString())

            def log_message(self, *args):  # quiet
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def points(self) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
        """The last value of every gauge and sum point, by (name, sorted attributes)."""
        out: dict[tuple[str, tuple[tuple[str, str], ...]], float] = {}
        for request in self.requests:
            for rm in request.resource_metrics:
                for sm in rm.scope_metrics:
                    for metric in sm.metrics:
                        data = metric.gauge.data_points or metric.sum.data_points
                        for p in data:
                            attrs = tuple(sorted((a.key, a.value.string_value) for a in p.attributes))
                            value = p.as_double if p.HasField("as_double") else float(p.as_int)
                            out[(metric.name, attrs)] = value
        return out

    def resource(self) -> dict[str, str]:
        rm = self.requests[-1].resource_metrics[0]
        return {a.key: a.value.string_value for a in rm.resource.attributes}


@pytest.fixture()
def collector() -> Iterator[Collector]:
    c = Collector()
    yield c
    c.server.shutdown()


def scrape(url: str, key: str | None) -> tuple[int, str, str]:
    request = urllib.request.Request(url + "/metrics")
    if key:
        request.add_header("x-functions-key", key)
    try:
        with urllib.request.urlopen(request, timeout=30) as r:
            return r.status, r.headers["Content-Type"], r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.headers["Content-Type"], e.read().decode()


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    out = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def test_metrics_and_otlp_carry_the_same_series(store: Path, serve, collector: Collector):
    create(store)
    env = {
        "OTEL_EXPORTER_OTLP_ENDPOINT": collector.url,
        "DRIFTSCAN_METRICS_TOP_FEATURES": str(TOP_FEATURES),
    }
    # A drifting day through the command, which sends it over OTLP before it exits.
    run_cli("detectors", "run", "credit-drift", "--date", str(DAYS[5]), "--store", str(store), env=env)
    otlp = collector.points()
    assert collector.resource()["service.name"] == "driftscan"
    coefficient = [v for (n, a), v in otlp.items() if n == "datadrift_coefficient"]
    assert len(coefficient) == 1 and coefficient[0] > 0.2
    runs = {a: v for (n, a), v in otlp.items() if n == "driftscan.runs"}
    assert runs == {(("detector", "credit-drift"), ("status", "succeeded")): 1.0}
    contributions = {dict(a)["feature"] for (n, a), v in otlp.items() if n == "datadrift_contribution"}
    assert len(contributions) == TOP_FEATURES, contributions

    # A fresh server starts from the stored results; the run it makes counts and is timed.
    server = serve(store, env={"DRIFTSCAN_API_KEY": KEY, "DRIFTSCAN_METRICS_TOP_FEATURES": str(TOP_FEATURES)})
    status, _, _ = scrape(server.url, None)
    assert status == 401, "the scrape needs the API key"
    request = urllib.request.Request(
        f"{server.url}/api/detectors/credit-drift/run", method="POST",
        data=json.dumps({"target_date": str(DAYS[6])}).encode(),
        headers={"x-functions-key": KEY, "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=120) as r:
        assert r.status == 200
    status, content_type, text = scrape(server.url, KEY)
    assert status == 200 and content_type.startswith("application/openmetrics-text")
    scraped = samples(text)

    # The same gauge values under the Prometheus spelling of the OTLP names, with the same labels,
    # for the day both saw (day 6 is the latest scored day in the server: compare its runs' names).
    names = {prometheus_name(n) for (n, _) in otlp if n not in ("driftscan.runs", "driftscan.run.duration")}
    assert names <= {n for (n, _) in scraped}, names - {n for (n, _) in scraped}
    label_sets = {n: {k for k, _ in a} for (n, a) in scraped}
    for (n, a), _ in otlp.items():
        if n.startswith("driftscan."):
            continue
        assert {k for k, _ in a} == label_sets[prometheus_name(n)], n
    features = {dict(a)["feature"] for (n, a) in scraped if n == "driftscan_datadrift_contribution"}
    assert len(features) == TOP_FEATURES
    key = ("driftscan_runs_total", (("detector", "credit-drift"), ("status", "succeeded")))
    assert scraped[key] == 1.0
    assert scraped[("driftscan_run_duration_seconds_count", (("detector", "credit-drift"),))] == 1.0
    threshold = ("driftscan_drift_threshold", (("detector", "credit-drift"), ("service", "credit-svc")))
    assert scraped[threshold] == 0.2
    assert any(n == "driftscan_last_run_timestamp_seconds" for (n, _) in scraped)


def test_an_unreachable_collector_costs_the_run_nothing(store: Path):
    create(store)
    env = {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:9", "OTEL_EXPORTER_OTLP_TIMEOUT": "2000"}
    run_cli("detectors", "run", "credit-drift", "--date", str(DAYS[5]), "--store", str(store), env=env)
    out = json.loads(run_cli("detectors", "output", "credit-drift", "--store", str(store),
                             "--start", str(DAYS[5]), "--end", str(DAYS[5])).stdout)
    assert out, "the run was recorded"
