"""Bad input raises a ``driftscan.DriftscanError`` subclass with the engine's message (never a
crash of the interpreter), the same one from a local store and from the REST API; and the
``driftscan`` command the wheel installs."""

from __future__ import annotations

import json
import subprocess
import sys

import pandas as pd
import pyarrow as pa
import pytest

import driftscan
from driftscan import DataDriftDetector
from conftest import frame, run_cli


@pytest.fixture()
def csvs(workdir):
    b, t = workdir / "train.csv", workdir / "today.csv"
    frame(300, 1).to_csv(b, index=False)
    frame(300, 2).to_csv(t, index=False)
    return str(b), str(t)


def test_every_error_is_a_driftscan_error():
    for name in ("DataError", "InputTypeError", "InvalidArgumentError", "DetectorError",
                 "DetectorNotFoundError", "DetectorExistsError", "StoreError", "ServiceError",
                 "InternalError"):
        assert issubclass(getattr(driftscan, name), driftscan.DriftscanError)


def test_bad_data(csvs, workdir):
    b, t = csvs
    with pytest.raises(driftscan.DataError, match=r"nothing\.csv"):
        driftscan.scan(b, str(workdir / "nothing.csv"))
    empty = workdir / "empty.csv"
    empty.write_bytes(b"")
    with pytest.raises(driftscan.DataError, match=r"empty\.csv. is empty \(0 bytes\)"):
        driftscan.scan(b, str(empty))
    ragged = workdir / "ragged.csv"
    ragged.write_text("a,b,c\n1,2,3\n4,5\n")
    with pytest.raises(driftscan.DataError, match=r"line 3: expected 3 fields"):
        driftscan.profile(str(ragged))
    with pytest.raises(driftscan.DataError, match=r"feature `salary` is not a column"):
        driftscan.scan(b, t, features=["salary"])
    with pytest.raises(driftscan.DataError, match=r"not a driftscan profile"):
        driftscan.Profile.from_bytes(b"hello")
    bad_profile = workdir / "bad.profile"
    bad_profile.write_bytes(b"not a profile at all")
    with pytest.raises(driftscan.DataError, match=r"bad\.profile"):
        driftscan.scan(str(bad_profile), t)
    with pytest.raises(driftscan.DataError) as e:
        driftscan.Profile.load(workdir / "missing.profile")
    assert e.value.code == "data_error" and "missing.profile" in str(e.value)


def test_bad_arguments(csvs):
    b, t = csvs
    with pytest.raises(driftscan.InputTypeError, match="cannot read `int`") as e:
        driftscan.scan(42, t)
    assert isinstance(e.value, TypeError)
    with pytest.raises(driftscan.InputTypeError):
        driftscan.profile({"a": [1, 2]})
    with pytest.raises(driftscan.InvalidArgumentError, match=r"threshold must be between 0 and 1, got `1.5`") as e:
        driftscan.scan(b, t, threshold=1.5)
    assert isinstance(e.value, ValueError)
    with pytest.raises(driftscan.DetectorError, match=r"field `date`: `2026-13-01`"):
        driftscan.scan(b, t, date="2026-13-01")


def test_a_failing_arrow_producer_is_a_data_error(csvs):
    class Broken:
        def __arrow_c_stream__(self, requested_schema=None):
            raise RuntimeError("producer failed")

    with pytest.raises(driftscan.DataError, match="producer failed"):
        driftscan.profile(Broken())

    def batches():
        yield pa.record_batch({"x": [1.0, 2.0]})
        raise RuntimeError("stream broke halfway")

    reader = pa.RecordBatchReader.from_batches(pa.schema({"x": pa.float64()}), batches())
    with pytest.raises(driftscan.DataError, match="stream broke halfway"):
        driftscan.profile(reader)
    # An empty table has no rows to compare.
    with pytest.raises(driftscan.DataError, match="no rows"):
        driftscan.profile(pd.DataFrame({"x": pd.Series([], dtype=float)}))


def test_bad_detectors_raise_the_same_from_a_folder_and_from_the_rest_api(workdir, serve):
    store = workdir / "store"
    store.mkdir()
    server = serve(store)
    good = dict(name="ok", model_name="m", model_version=1, services=["svc"], baseline="train.csv")
    DataDriftDetector.create(store, **good)
    cases = [
        (dict(good, name="../x"), driftscan.DetectorError, "invalid_detector", "field `name`"),
        (dict(good, name="t", drift_threshold=1.5), driftscan.DetectorError, "invalid_detector",
         "field `drift_threshold`: `1.5` is not a number between 0 and 1"),
        (dict(good, name="t", frequency="Hour"), driftscan.DetectorError, "invalid_json", "Hour"),
        (dict(good, name="t", services=[]), driftscan.DetectorError, "invalid_detector", "field `services`"),
        (dict(good, name="t", alert_config=driftscan.AlertConfiguration(["not-an-address"])),
         driftscan.DetectorError, "invalid_detector", "not-an-address"),
        (good, driftscan.DetectorExistsError, "already_exists", "already exists"),
    ]
    for where in (store, driftscan.connect(server.url)):
        for kwargs, cls, code, text in cases:
            with pytest.raises(cls) as e:
                DataDriftDetector.create(where, **kwargs)
            assert e.value.code == code, (where, kwargs, e.value)
            assert text in str(e.value)
        with pytest.raises(driftscan.DetectorNotFoundError):
            DataDriftDetector.get_by_name(where, "nope")
        d = DataDriftDetector.get_by_name(where, "ok")
        with pytest.raises(driftscan.DetectorError) as e:
            d.backfill("2026-01-01", "2026-11-30")
        assert e.value.code == "backfill_too_long" and "30" in str(e.value)
        with pytest.raises(driftscan.DetectorError) as e:
            d.run("2026-02-30")
        assert e.value.code == "invalid_date"
        with pytest.raises(driftscan.DetectorError) as e:
            d.run("2026-11-20", services=["not-monitored"])
        assert "not-monitored" in str(e.value)
        with pytest.raises(driftscan.DetectorError):
            d.get_output("2026-11-20", "2026-11-01")
    # Nothing above changed the store.
    assert [x.name for x in DataDriftDetector.list(store)] == ["ok"]


def test_unreachable_service_is_a_service_error():
    from conftest import free_port

    with pytest.raises(driftscan.ServiceError) as e:
        DataDriftDetector.list(driftscan.connect(f"http://127.0.0.1:{free_port()}"))
    assert e.value.code == "unreachable"


def test_the_interpreter_survives_errors_in_a_loop(csvs, workdir):
    # Many errors in one process: each is an exception, the process goes on.
    for _ in range(20):
        with pytest.raises(driftscan.DriftscanError):
            driftscan.scan(str(workdir / "x.csv"), csvs[1])
    assert driftscan.scan(*csvs).coefficient is not None


def test_command_on_path(csvs, workdir):
    version = run_cli("--version").stdout
    assert version.strip() == f"driftscan {driftscan.__version__}"
    assert "scan" in run_cli("--help").stdout
    usage = run_cli("scan", check=False)
    assert usage.returncode == 2 and "--baseline" in usage.stderr
    missing = run_cli("scan", "--baseline", str(workdir / "no.csv"), "--target", csvs[1], check=False)
    assert missing.returncode == 2
    assert missing.stderr.startswith("error: ") and "no.csv" in missing.stderr
    assert missing.stderr.count("\n") == 1
    doc = json.loads(run_cli("scan", "--baseline", csvs[0], "--target", csvs[1], "--json").stdout)
    assert doc["schema_version"] == "1.0"
    # `python -m driftscan._cli` is the same entry point.
    proc = subprocess.run([sys.executable, "-m", "driftscan._cli", "--version"], capture_output=True, text=True)
    assert proc.returncode == 0 and proc.stdout == version


def test_the_same_mistake_raises_the_same_class_and_code_locally_and_over_rest(workdir, serve):
    """The matrix of tests/detector_errors.rs (command line and REST), here for Python on a local
    store and on a service: one class and one code per mistake."""
    import datetime as dt

    store = workdir / "store"
    store.mkdir()
    server = serve(store)
    good = dict(name="ok", model_name="m", model_version=1, services=["svc"], baseline="train.csv")
    DataDriftDetector.create(store, **good)
    today = dt.date.today()
    future = today + dt.timedelta(days=3)
    end = today - dt.timedelta(days=10)
    start = today - dt.timedelta(days=40)
    cases = [
        ("a baseline outside the roots", driftscan.InvalidLocationError, "invalid_location",
         lambda where: DataDriftDetector.create(where, **dict(good, name="leak", baseline="/etc/passwd"))),
        ("an unknown detector", driftscan.DetectorNotFoundError, "not_found",
         lambda where: DataDriftDetector.get_by_name(where, "nope")),
        ("a date in the future", driftscan.DetectorError, "invalid_date",
         lambda where: DataDriftDetector.get_by_name(where, "ok").run(future)),
        ("a backfill of 31 cycles", driftscan.DetectorError, "backfill_too_long",
         lambda where: DataDriftDetector.get_by_name(where, "ok").backfill(start, end)),
        ("a malformed definition", driftscan.DetectorError, "invalid_json",
         lambda where: DataDriftDetector.create(where, **dict(good, name="t", frequency="Hour"))),
        ("a report over six years", driftscan.InvalidArgumentError, "range_too_long",
         lambda where: DataDriftDetector.get_by_name(where, "ok").show(
             today - dt.timedelta(days=6 * 366), today)),
    ]
    for what, cls, code, call in cases:
        raised = []
        for where in (store, driftscan.connect(server.url)):
            with pytest.raises(cls) as e:
                call(where)
            assert e.value.code == code, (what, where, e.value)
            raised.append((type(e.value), str(e.value)))
        assert raised[0][0] is raised[1][0], (what, raised)
    # Nothing above changed the store.
    assert [x.name for x in DataDriftDetector.list(store)] == ["ok"]


def test_every_error_code_has_its_own_class():
    from driftscan._driftscan import error_codes
    from driftscan.errors import error_for_code

    table = error_codes()
    assert len(table) == len({code for code, _ in table})
    for code, class_name in table:
        raised = error_for_code(code, "message")
        assert type(raised).__name__ == class_name, code
        assert not isinstance(raised, driftscan.ServiceError), code
        assert raised.code == code


def test_a_detector_chooses_what_a_missing_feature_does(workdir):
    store = workdir / "store"
    store.mkdir()
    good = dict(name="ok", model_name="m", model_version=1, services=["svc"], baseline="train.csv")
    d = DataDriftDetector.create(store, **good, on_missing_feature="fail")
    assert d.to_dict()["on_missing_feature"] == "fail"
    assert "on_missing_feature" not in DataDriftDetector.create(store, **dict(good, name="d")).to_dict()
    d.update(on_missing_feature="report")
    assert DataDriftDetector.get_by_name(store, "ok").to_dict().get("on_missing_feature", "report") == "report"
    with pytest.raises(driftscan.DetectorError) as e:
        DataDriftDetector.create(store, **dict(good, name="x"), on_missing_feature="ignore")
    assert e.value.code == "invalid_json" and "ignore" in str(e.value)


def test_a_detector_declares_column_types(workdir):
    store = workdir / "store"
    store.mkdir()
    good = dict(name="ok", model_name="m", model_version=1, services=["svc"], baseline="train.csv")
    d = DataDriftDetector.create(store, **good, feature_types={"puma": "categorical"})
    assert DataDriftDetector.get_by_name(store, "ok").to_dict()["feature_types"] == {"puma": "categorical"}
    with pytest.raises(driftscan.DetectorError) as e:
        DataDriftDetector.create(store, **dict(good, name="x"), feature_types={"puma": "date"})
    assert e.value.code == "invalid_json"
    assert d.name == "ok"
