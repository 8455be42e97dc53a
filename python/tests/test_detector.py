"""``DataDriftDetector`` on a local folder, on Blob Storage (Azurite) and on ``driftscan serve``
(the REST API of the Functions app): each method, the shapes of Azure ML's ``get_output``, and
detectors visible from the command line and the REST API the other way round."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

import driftscan
from driftscan import AlertConfiguration, DataDriftDetector
from conftest import frame, run_cli

MODEL, VERSION, SERVICE = "credit", 3, "credit-svc"
DAYS = [dt.date(2026, 11, 17) + dt.timedelta(days=i) for i in range(7)]


@pytest.fixture()
def store(workdir: Path) -> Path:
    """A store folder with a training set and a week of snapshots in the legacy collector
    layout; drift starts on the fifth day."""
    root = workdir / "store"
    (root / "training").mkdir(parents=True)
    frame(3000, 1).to_csv(root / "training" / "train.csv", index=False)
    for i, day in enumerate(DAYS):
        folder = (root / "modeldata" / "sub" / "rg" / "ws" / SERVICE / MODEL / str(VERSION) / "inputs"
                  / f"{day:%Y}" / f"{day:%m}" / f"{day:%d}")
        folder.mkdir(parents=True)
        drift = i >= 4
        frame(800, 10 + i, shift=0.8 if drift else 0.0, new_region=0.2 if drift else 0.0).to_csv(
            folder / "data.csv", index=False
        )
    return root


def create(where, name: str = "credit-drift", **kw) -> DataDriftDetector:
    args = dict(
        store=where, name=name, model_name=MODEL, model_version=VERSION, services=[SERVICE],
        baseline="training/train.csv", frequency="Day", drift_threshold=0.2,
        alert_config=AlertConfiguration(["ml-team@example.com"]),
    )
    args.update(kw)
    return DataDriftDetector.create(**args)


def test_create_get_list_and_the_command_sees_it(store):
    d = create(store)
    assert (d.name, d.model_name, d.model_version, d.services) == ("credit-drift", MODEL, VERSION, [SERVICE])
    assert (d.frequency, d.interval, d.drift_threshold, d.feature_list) == ("Day", 1, 0.2, None)
    assert d.alert_config == AlertConfiguration(["ml-team@example.com"])
    assert d.state == "Disabled" and d.enabled is False and d.drift_type == "ModelBased"
    assert DataDriftDetector.get_by_name(store, "credit-drift") == d
    assert DataDriftDetector.get_by_name(str(store), "credit-drift") == d

    listed = run_cli("detectors", "list", "--store", str(store)).stdout
    assert listed.startswith("credit-drift\tcredit v3\tDay\tcredit-svc\tdisabled")
    got = json.loads(run_cli("detectors", "get", "credit-drift", "--store", str(store)).stdout)
    assert got == d.to_dict()

    create(store, name="other-model", model_name="other", model_version=1)
    assert [x.name for x in DataDriftDetector.list(store)] == ["credit-drift", "other-model"]
    assert [x.name for x in DataDriftDetector.list(store, model_name=MODEL)] == ["credit-drift"]
    assert DataDriftDetector.list(store, model_name=MODEL, model_version=1) == []


def test_a_detector_made_by_the_command_is_seen_by_python(store, workdir):
    definition = workdir / "d.json"
    definition.write_text(json.dumps({
        "name": "from-cli", "model_name": MODEL, "model_version": VERSION, "services": [SERVICE],
        "baseline": "training/train.csv", "feature_list": ["income", "region"],
    }))
    run_cli("detectors", "create", str(definition), "--store", str(store))
    d = DataDriftDetector.get_by_name(store, "from-cli")
    assert d.feature_list == ["income", "region"] and d.state == "Enabled"


def test_run_backfill_get_output_in_azure_ml_shapes(store):
    d = create(store)
    answer = d.run(DAYS[-1])
    assert answer["window"] == {"start": "2026-11-23", "end": "2026-11-23"}
    (run,) = answer["runs"]
    assert run["status"] == "succeeded" and run["has_drift"] is True and run["recorded"] == "result"

    back = d.backfill(DAYS[0], "2026-11-22")
    assert back["cycles"] == 6
    assert [r["has_drift"] for r in back["runs"]] == [False, False, False, False, True, True]

    results, metrics = d.get_output(start_time=dt.datetime(2026, 11, 17, 8, 30), end_time="2026-11-23")
    # azure-facts.md 3.3: one entry per service; results hold has_drift, datetime, threshold, model.
    assert [r.keys() for r in results] == [{"drift_type", "service_name", "result"}]
    assert results[0]["drift_type"] == "ModelBased" and results[0]["service_name"] == SERVICE
    rows = results[0]["result"]
    assert [r["datetime"] for r in rows] == [f"{day}" for day in DAYS]
    for r in rows:
        assert set(r) == {"has_drift", "datetime", "drift_threshold", "model_name", "model_version"}
        assert (r["drift_threshold"], r["model_name"], r["model_version"]) == (0.2, MODEL, VERSION)
    assert [r["has_drift"] for r in rows] == [False] * 4 + [True] * 3

    assert [m.keys() for m in metrics] == [{"drift_type", "service_name", "metrics"}]
    entries = metrics[0]["metrics"]
    assert len(entries) == 7
    for e in entries:
        assert {"schema_version", "datetime", "model_name", "model_version", "dataset_metrics",
                "column_metrics"} <= set(e)
        assert e["dataset_metrics"][0]["name"] == "datadrift_coefficient"
        for column in e["column_metrics"]:
            ((feature, values),) = column.items()
            names = [v["name"] for v in values]
            assert names[0] == "datadrift_contribution"
            if feature != "region":
                assert names[1:3] == ["wasserstein_distance", "energy_distance"]
    # has_drift is strictly coefficient > threshold.
    for r, e in zip(rows, entries):
        assert r["has_drift"] == (e["dataset_metrics"][0]["value"] > 0.2)

    # Same document as `driftscan detectors output`.
    cli = json.loads(run_cli("detectors", "output", "credit-drift", "--store", str(store),
                             "--start", "2026-11-17", "--end", "2026-11-23").stdout)
    assert (cli["results"], cli["metrics"]) == (results, metrics)

    # Per-run overrides.
    answer = d.run("2026-11-20", drift_threshold=0.9, feature_list=["age"])
    assert answer["runs"][0]["has_drift"] is False
    # The default range is the ten cycles up to today.
    doc = d.get_output_document()
    assert doc["end"] == str(dt.datetime.now(dt.timezone.utc).date())


def test_show_enable_disable_update_delete(store):
    d = create(store)
    d.backfill("2026-11-20", "2026-11-23")
    report = d.show("2026-11-17", "2026-11-23")
    assert isinstance(report, driftscan.HistoryReport)
    assert report.html.startswith("<!DOCTYPE html>") and "credit-drift" in report.html
    assert report._repr_html_().startswith("<iframe srcdoc=")
    detailed = d.show("2026-11-17", "2026-11-23", with_details=True)
    assert report.html.count(" open><summary>") == 0
    assert detailed.html.count(" open><summary>") == 5
    path = store / "history.html"
    detailed.save(path)
    assert path.read_text() == detailed.html

    d.enable_schedule()
    assert d.state == "Enabled"
    assert "\tenabled" in run_cli("detectors", "list", "--store", str(store)).stdout
    d.disable_schedule()
    assert DataDriftDetector.get_by_name(store, d.name).state == "Disabled"

    d.update(drift_threshold=0.35, feature_list=["income", "region"], alert_config=None)
    again = DataDriftDetector.get_by_name(store, d.name)
    assert (again.drift_threshold, again.feature_list, again.alert_config) == (0.35, ["income", "region"], None)
    assert again.services == [SERVICE]  # unchanged
    d.update(drift_threshold=None, feature_list=None)
    again = DataDriftDetector.get_by_name(store, d.name)
    assert (again.drift_threshold, again.feature_list) == (0.2, None)

    d.delete()
    with pytest.raises(driftscan.DetectorNotFoundError) as e:
        DataDriftDetector.get_by_name(store, d.name)
    assert isinstance(e.value, LookupError) and e.value.code == "not_found"
    assert any((store / "runs" / "credit-drift").rglob("*.json"))  # history kept


def test_rest_api_and_python_see_the_same_detectors(store, serve):
    server = serve(store)
    service = driftscan.connect(server.url, key="not-checked-locally")
    local = create(store)
    remote = DataDriftDetector.get_by_name(service, "credit-drift")
    assert remote.to_dict() == local.to_dict()

    made_remotely = create(service, name="via-rest", drift_threshold=0.25)
    assert DataDriftDetector.get_by_name(store, "via-rest").to_dict() == made_remotely.to_dict()
    assert "via-rest" in run_cli("detectors", "list", "--store", str(store)).stdout
    assert sorted(x.name for x in DataDriftDetector.list(service)) == ["credit-drift", "via-rest"]

    remote.backfill("2026-11-21", "2026-11-23")
    assert local.get_output("2026-11-17", "2026-11-23") == remote.get_output("2026-11-17", "2026-11-23")
    assert len(remote.get_output("2026-11-17", "2026-11-23")[0][0]["result"]) == 3
    assert "credit-drift" in remote.show("2026-11-17", "2026-11-23").html

    remote.enable_schedule()
    assert DataDriftDetector.get_by_name(store, "credit-drift").state == "Enabled"
    remote.update(services=[SERVICE], drift_threshold=0.4)
    assert DataDriftDetector.get_by_name(store, "credit-drift").drift_threshold == 0.4
    remote.delete()
    with pytest.raises(driftscan.DetectorNotFoundError):
        DataDriftDetector.get_by_name(store, "credit-drift")


def test_function_key_is_sent_as_x_functions_key(workdir):
    import http.server
    import threading

    seen: list[str | None] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            seen.append(self.headers.get("x-functions-key"))
            body = json.dumps({"detectors": []}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    httpd = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{httpd.server_address[1]}"
        assert DataDriftDetector.list(driftscan.connect(url, key="s3cret")) == []
        assert DataDriftDetector.list(driftscan.connect(url)) == []
    finally:
        httpd.shutdown()
    assert seen == ["s3cret", None]


def test_blob_store(azurite, monkeypatch, workdir):
    azurite.create_container("drift")
    monkeypatch.setenv("AZURE_STORAGE_CONNECTION_STRING", azurite.connection_string)
    d = create("az://drift", name="in-blob")
    assert DataDriftDetector.get_by_name("az://drift", "in-blob") == d
    env = {"AZURE_STORAGE_CONNECTION_STRING": azurite.connection_string}
    listed = run_cli("detectors", "list", "--store", "az://drift", env=env).stdout
    assert listed.startswith("in-blob\t")
    d.enable_schedule()
    assert DataDriftDetector.list("az://drift")[0].state == "Enabled"
    # A run against a baseline that is not in the container is recorded as failed, with why.
    run = d.run("2026-11-23")["runs"][0]
    assert run["status"] == "failed" and "training/train.csv" in run["error"]
    d.delete()
    assert DataDriftDetector.list("az://drift") == []


def test_signal_settings_are_stored_checked_and_scored(store):
    """A detector that adds data quality and a rolling reference keeps the settings, rejects bad
    ones naming the field, and its runs carry every signal beside the v1 keys."""
    d = create(store, name="with-signals", data_quality={"feature_thresholds": {"income": {"null_value_rate": 0.05}}},
               alert_config=AlertConfiguration(["ml-team@example.com"],
                                               event_grid_topic="https://t.westeurope-1.eventgrid.azure.net/api/events"))
    assert d.signals == ["data_drift", "data_quality"]
    assert d.data_quality == {"feature_thresholds": {"income": {"null_value_rate": 0.05}}}
    assert d.alert_config.event_grid_topic.startswith("https://t.")
    assert DataDriftDetector.get_by_name(store, "with-signals") == d
    with pytest.raises(driftscan.errors.DetectorError):
        create(store, name="bad-window", reference_window={"lookback_window_size": "P1M"})

    d.run(DAYS[5])
    results, metrics = d.get_output(DAYS[5], DAYS[5])
    verdict = results[0]["result"][0]
    assert [s["name"] for s in verdict["signals"]] == ["data_drift", "data_quality"]
    doc = metrics[0]["metrics"][0]
    assert doc["dataset_metrics"][0]["name"] == "datadrift_coefficient", "v1 keys stay"
    quality = next(s for s in doc["signals"] if s["name"] == "data_quality")
    assert quality["features"], "every feature is checked"

    d.update(data_quality=None)
    assert d.signals == ["data_drift"]
    plain = create(store, name="plain")
    plain.run(DAYS[5])
    _, metrics = plain.get_output(DAYS[5], DAYS[5])
    assert "signals" not in metrics[0]["metrics"][0], "a data-drift detector's document is unchanged"


def test_a_performance_signal_is_estimated_then_realized_when_labels_arrive(workdir):
    """A detector with the performance signal: a day scored before its labels carries the
    estimate only; once the labels arrive (joined by id), the next run recomputes that day and
    says so, and get_output shows realized accuracy equal to the labels' own."""
    import numpy as np
    import pandas as pd

    root = workdir / "perf-store"
    rng = np.random.default_rng(5)

    def rows(n, first):
        x = rng.normal(size=(n, 2))
        p = 1 / (1 + np.exp(-(1.5 * x[:, 0] - x[:, 1])))
        y = (rng.random(n) < p).astype(int)
        ids = [f"r{first + i}" for i in range(n)]
        inputs = pd.DataFrame({"id": ids, "x1": x[:, 0], "x2": x[:, 1], "proba": p,
                               "y_pred": (p >= 0.5).astype(int)})
        return inputs, pd.DataFrame({"id": ids, "label": y})

    ref, ref_labels = rows(4000, 0)
    (root / "training").mkdir(parents=True)
    ref.assign(label=ref_labels["label"]).to_csv(root / "training" / "ref.csv", index=False)
    day1, labels1 = rows(1500, 10_000)
    day2, _ = rows(1500, 20_000)
    for day, frame_ in ((DAYS[0], day1), (DAYS[1], day2)):
        folder = root / "data" / SERVICE / f"{day:%Y}" / f"{day:%m}" / f"{day:%d}"
        folder.mkdir(parents=True)
        frame_.to_csv(folder / "inputs.csv", index=False)
    perf = {"problem": "binary", "y_true": "label", "y_pred": "y_pred", "y_pred_proba": ["proba"],
            "labels": "labels/{service}/{yyyy}/{MM}/{dd}", "id": "id"}
    d = create(root, name="perf", baseline="training/ref.csv", feature_list=["x1", "x2"],
               snapshots="data/{service}/{yyyy}/{MM}/{dd}", performance=perf)
    assert d.signals == ["data_drift", "performance"]
    assert d.performance["id"] == "id"

    d.run(DAYS[0])
    _, metrics = d.get_output(DAYS[0], DAYS[0])
    signal = next(s for s in metrics[0]["metrics"][0]["signals"] if s["name"] == "performance")
    accuracy = next(m for m in signal["performance"]["metrics"] if m["name"] == "accuracy")
    assert "realized" not in accuracy and accuracy["estimated"]["lower"] < accuracy["estimated"]["upper"]

    folder = root / "labels" / SERVICE / f"{DAYS[1]:%Y}" / f"{DAYS[1]:%m}" / f"{DAYS[1]:%d}"
    folder.mkdir(parents=True)
    labels1.to_csv(folder / "labels.csv", index=False)
    d.run(DAYS[1])
    _, metrics = d.get_output(DAYS[0], DAYS[1])
    by_day = {str(m["datetime"])[:10]: m for m in metrics[0]["metrics"]}
    first = next(s for s in by_day[str(DAYS[0])]["signals"] if s["name"] == "performance")
    second = next(s for s in by_day[str(DAYS[1])]["signals"] if s["name"] == "performance")
    assert second["updated_windows"][0]["date"] == str(DAYS[0])
    assert first["recomputed"]["labelled_rows_before"] == 0
    accuracy = next(m for m in first["performance"]["metrics"] if m["name"] == "accuracy")
    truth = (day1["y_pred"].to_numpy() == labels1["label"].to_numpy()).mean()
    assert accuracy["realized"]["value"] == pytest.approx(truth, abs=1e-12)
