"""``driftscan.spark`` on pyspark in local mode (``local[2]``, one SparkSession for the module).

* The profile of a DataFrame in 1, 4 and 16 shuffled partitions has the same statistics bytes as
  ``driftscan profile`` of the same rows as one Parquet file; empty partitions change nothing,
  and every shape of the tree reduce gives the same bytes.
* A target profile built by Spark scores exactly as the command scores the raw target.
* The day's job writes its profile into a folder store and into Blob Storage (Azurite), and
  ``driftscan detectors run`` scores it as it scores the raw snapshot in the legacy layout.
* Both Azure ML collector layouts are read.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import sys
from pathlib import Path
from typing import Any, Iterator

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import driftscan
from driftscan import spark as ds_spark
from driftscan import spark_job
from conftest import DATE, REPO, cli_scan_json, comparable, frame, run_cli
from test_quality import assert_exact, production, reference

MODEL, VERSION, SERVICE = "credit", 3, "credit-svc"
# March the 5th: the legacy collector's folders are written unpadded (`3`) and padded (`05`).
DAY = dt.date(2026, 3, 5)


@pytest.fixture(scope="module")
def spark() -> Iterator[Any]:
    """One local SparkSession for the module: two cores, no UI, workers on this interpreter (the
    one driftscan is installed in)."""
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        pytest.fail("pyspark needs a Java runtime (17 or newer): scripts/test.sh installs "
                    "Debian's default-jre-headless when `java` is missing")
    from pyspark.sql import SparkSession

    os.environ["PYSPARK_PYTHON"] = sys.executable
    os.environ["PYSPARK_DRIVER_PYTHON"] = sys.executable
    session = (
        SparkSession.builder.master("local[2]")
        .appName("driftscan-tests")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.driver.memory", "2g")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


def table(rows: int, seed: int) -> pa.Table:
    """Rows with duplicates (a few categorical-looking columns repeat), missing values, NaN and
    infinities, integers, a huge value, booleans and text, so the row sample holds distinct rows
    with counts and every statistic has something to do."""
    rng = np.random.default_rng(seed)
    x = rng.normal(50, 10, rows).round(2)
    x[rng.random(rows) < 0.01] = np.nan
    x[rng.random(rows) < 0.005] = np.inf
    x[:3] = [1.7976931348623157e308, -0.0, 0.0]
    x_mask = rng.random(rows) < 0.05
    labels = np.array([f"label{i}" for i in range(40)], dtype=object)
    c = labels[rng.integers(0, 40, rows)]
    c_mask = rng.random(rows) < 0.1
    return pa.table({
        "n": pa.array(rng.integers(0, 5, rows), type=pa.int64()),
        "x": pa.array(x, mask=x_mask, type=pa.float64()),
        "c": pa.array(c, mask=c_mask, type=pa.string()),
        "flag": pa.array(rng.random(rows) < 0.3, type=pa.bool_()),
        "k": pa.array(rng.integers(0, 3, rows), type=pa.int32()),
    })


def shuffled(spark, data: pa.Table, partitions: int, seed: int):  # noqa: ANN001, ANN201
    """The rows in ``partitions`` partitions, in a random order within each."""
    from pyspark.sql import functions as F

    df = (
        spark.createDataFrame(data)
        .withColumn("_order", F.rand(seed))
        .repartition(partitions)
        .sortWithinPartitions("_order")
        .drop("_order")
    )
    assert df.rdd.getNumPartitions() == partitions
    return df


@pytest.fixture(scope="module")
def rows() -> pa.Table:
    return table(20_000, 7)


@pytest.fixture(scope="module")
def one_file(rows: pa.Table, tmp_path_factory) -> driftscan.Profile:
    """``driftscan profile`` of the rows as one Parquet file."""
    folder = tmp_path_factory.mktemp("one-file")
    pq.write_table(rows, folder / "all.parquet")
    run_cli("profile", "--input", str(folder / "all.parquet"), "--out", str(folder / "all.profile"))
    return driftscan.Profile.load(folder / "all.profile")


@pytest.mark.parametrize("partitions", [1, 4, 16])
def test_shuffled_partitions_give_the_statistics_of_one_file(spark, rows, one_file, partitions):
    p = ds_spark.profile(shuffled(spark, rows, partitions, seed=partitions))
    assert p.rows == one_file.rows == 20_000
    assert p.kinds == one_file.kinds == [("n", "numeric"), ("x", "numeric"), ("c", "text"),
                                         ("flag", "text"), ("k", "numeric")]
    assert p.statistics_bytes() == one_file.statistics_bytes()
    assert p.statistics_digest() == one_file.statistics_digest()
    assert p.source == "<spark.DataFrame>"


def test_declared_types_give_the_statistics_of_the_command_with_the_same_types(spark, rows, workdir):
    """Integer codes declared categorical: Spark partitions, the command and an Arrow table read
    them alike."""
    pq.write_table(rows, workdir / "all.parquet")
    run_cli("profile", "--input", str(workdir / "all.parquet"), "--out", str(workdir / "t.profile"),
            "--type", "n=categorical,k=categorical")
    declared = driftscan.Profile.load(workdir / "t.profile")
    types = {"n": "categorical", "k": "categorical"}
    p = ds_spark.profile(shuffled(spark, rows, 4, seed=5), types=types)
    assert dict(p.kinds)["n"] == dict(p.kinds)["k"] == "text"
    assert p.statistics_bytes() == declared.statistics_bytes()
    assert driftscan.profile(rows, types=types) == declared


def test_every_tree_shape_and_the_streamed_merge_give_the_same_bytes(spark, rows, one_file):
    df = shuffled(spark, rows, 16, seed=3)
    for fanout in (2, 3, 16):
        assert ds_spark.profile(df, fanout=fanout).statistics_bytes() == one_file.statistics_bytes()
    # Spark Connect has no RDD API: the cells are streamed to the driver and merged there.
    cells = df.mapInArrow(ds_spark._PartitionProfiler("<spark.DataFrame>", None), "profile binary")
    streamed = ds_spark._merge_streamed(cells.toLocalIterator(), 3)
    assert streamed.statistics_bytes() == one_file.statistics_bytes()


def test_empty_partitions_change_nothing_and_no_rows_is_an_error(spark, rows):
    few = rows.slice(0, 5)
    df = shuffled(spark, few, 16, seed=1)  # at least 11 partitions without a row
    assert ds_spark.profile(df).statistics_bytes() == driftscan.profile(few).statistics_bytes()
    with pytest.raises(driftscan.DataError, match="`<spark.DataFrame>` has no rows"):
        ds_spark.profile(df.filter("n < 0"))
    with pytest.raises(driftscan.DataError, match="feature `salary` is not a column"):
        ds_spark.profile(df, features=["x", "salary"])
    with pytest.raises(driftscan.InputTypeError):
        ds_spark.profile(few)
    with pytest.raises(driftscan.InvalidArgumentError):
        ds_spark.profile(df, fanout=1)


def test_features_and_names(spark, rows):
    df = shuffled(spark, rows, 4, seed=5)
    p = ds_spark.profile(df, features=["c", "x"], name="day 2026-03-05")
    assert p.columns == ["c", "x"] and p.source == "day 2026-03-05"
    assert p.statistics_bytes() == driftscan.profile(rows.select(["c", "x"])).statistics_bytes()


def test_scores_from_a_spark_target_profile_equal_the_commands_on_the_raw_target(spark, workdir):
    base = frame(4000, 1)
    target = frame(3000, 2, shift=0.3, new_region=0.1, missing=0.15)
    base.to_csv(workdir / "train.csv", index=False)
    target.to_parquet(workdir / "today.parquet", index=False)
    baseline = driftscan.profile(str(workdir / "train.csv"))

    df = spark.read.parquet(str(workdir / "today.parquet")).repartition(7)
    spark_target = ds_spark.profile(df, like=baseline)
    spark_target.save(workdir / "today.profile")

    raw = cli_scan_json(str(workdir / "train.csv"), str(workdir / "today.parquet"))
    from_spark = cli_scan_json(str(workdir / "train.csv"), str(workdir / "today.profile"))
    assert raw["has_drift"] is True and raw["dataset_metrics"][0]["value"] > 0.2
    assert comparable(from_spark) == comparable(raw)
    # The Python scan on the same profile agrees too.
    py = driftscan.scan(str(workdir / "train.csv"), spark_target, date=DATE).to_dict()
    assert comparable(py) == comparable(raw)


def test_a_spark_profile_measures_performance_as_the_rows_do(spark):
    """A profile's row sample carries the model's outputs and labels: the performance of a Spark
    profile of NannyML's car-loan analysis period equals that of the frame itself."""
    data = REPO / "tests" / "data" / "public" / "car_loan"
    reference = pq.read_table(data / "reference.parquet")
    columns = dict(y_true="repaid", y_pred="y_pred", y_pred_proba="y_pred_proba")
    df = spark.read.parquet(str(data / "analysis.parquet")).repartition(5)
    profiled = ds_spark.profile(df, list(columns.values()))
    from_rows = driftscan.performance(
        reference, pq.read_table(data / "analysis.parquet"), "binary", **columns
    ).to_dict()
    from_spark = driftscan.performance(reference, profiled, "binary", **columns).to_dict()
    rows, sampled = from_rows["windows"][0], from_spark["windows"][0]
    assert (sampled["rows"], sampled["labelled_rows"]) == (rows["rows"], rows["labelled_rows"]) == (50_000, 50_000)
    assert sampled["confusion_matrix"] == rows["confusion_matrix"]
    for a, b in zip(rows["metrics"], sampled["metrics"]):
        assert b["realized"]["value"] == pytest.approx(a["realized"]["value"], abs=1e-12), a["name"]
        assert b["estimated"]["value"] == pytest.approx(a["estimated"]["value"], abs=1e-9), a["name"]


# -- The day's job and the service -----------------------------------------------------------------


def legacy_snapshot(root: Path, day: dt.date, seed: int) -> Path:
    """A day of the legacy AKS collector's CSV in a store folder, with its `$aml_*` columns and
    an unpadded month folder, as the collector has been seen writing."""
    folder = (root / "modeldata" / "sub" / "rg" / "ws" / SERVICE / MODEL / str(VERSION) / "inputs"
              / f"{day:%Y}" / str(day.month) / f"{day:%d}")
    folder.mkdir(parents=True)
    df = frame(2500, seed, shift=0.4, new_region=0.1)
    df["$aml_dc_correlation_id"] = [f"c{i}" for i in range(len(df))]
    df["$aml_dc_scoring_timestamp"] = f"{day}T10:00:00.000000"
    df["$aml_model_version"] = VERSION
    df.to_csv(folder / "data.csv", index=False)
    return folder


def detector(snapshots: str, baseline: str) -> dict:
    return {"name": "credit-drift", "model_name": MODEL, "model_version": VERSION,
            "services": [SERVICE], "baseline": baseline, "snapshots": snapshots}


def create_and_run(store: str, definition: dict, workdir: Path, env: dict | None = None) -> dict:
    """Creates the detector with the command, runs it for the day, and returns the stored
    result as ``detectors output`` gives it."""
    path = workdir / f"detector-{abs(hash(store))}.json"
    path.write_text(json.dumps(definition))
    # Metrics go to a file (no Application Insights here): the test's folder, not the cwd.
    env = {**(env or {}), "DRIFTSCAN_METRICS_FILE": str(workdir / "metrics.jsonl")}
    run_cli("detectors", "create", str(path), "--store", store, env=env)
    run_cli("detectors", "run", "credit-drift", "--store", store, "--date", str(DAY), env=env)
    out = json.loads(run_cli("detectors", "output", "credit-drift", "--store", store,
                             "--start", str(DAY), "--end", str(DAY), env=env).stdout)
    (entry,) = out["metrics"]
    (result,) = entry["metrics"]
    return result


def scores(result: dict) -> dict:
    """A stored result without clock readings and data provenance."""
    doc = comparable(result) if "baseline" in result and "target" in result else json.loads(json.dumps(result))
    doc.get("run", {}).pop("started_at", None)
    doc.get("run", {}).pop("duration_ms", None)
    return doc


@pytest.fixture()
def raw_store(workdir: Path) -> dict:
    """A folder store holding the training set and the day's raw snapshot, its detector run on
    the raw snapshot, and the baseline's profile."""
    root = workdir / "raw"
    (root / "training").mkdir(parents=True)
    frame(4000, 1).to_csv(root / "training" / "train.csv", index=False)
    legacy_snapshot(root, DAY, 21)
    baseline = workdir / "train.profile"
    run_cli("profile", "--input", str(root / "training" / "train.csv"), "--out", str(baseline))
    result = create_and_run(str(root), detector("legacy", "training/train.csv"), workdir)
    assert result["has_drift"] is True
    return {"root": root, "baseline": baseline, "result": result}


def job_args(input_root: Path, store: str, baseline: str) -> list[str]:
    return ["--layout", "legacy", "--input", str(input_root / "modeldata"), "--service", SERVICE,
            "--model", MODEL, "--version", str(VERSION), "--date", str(DAY), "--store", store,
            "--baseline", baseline]


def test_the_job_writes_a_profile_a_folder_store_scores_like_the_raw_snapshot(spark, raw_store, workdir):
    store = workdir / "spark-store"
    (store / "training").mkdir(parents=True)
    shutil.copy(raw_store["root"] / "training" / "train.csv", store / "training" / "train.csv")
    summary = spark_job.run(spark, spark_job.parse_args(job_args(raw_store["root"], str(store), str(raw_store["baseline"]))))
    written = store / "spark-profiles" / SERVICE / MODEL / str(VERSION) / "2026" / "03" / "05" / "day.profile"
    assert summary["profile"] == f"{store}/spark-profiles/{SERVICE}/{MODEL}/{VERSION}/2026/03/05/day.profile"
    assert written.is_file() and summary["rows"] == 2500 and summary["bytes"] == written.stat().st_size
    # The profile of the CSV read by Spark is the profile the service makes of the raw CSV: read
    # against the baseline (its kinds, and the values outside its ranges counted exactly).
    raw_csv = next((raw_store["root"] / "modeldata").rglob("data.csv"))
    service = driftscan.profile(str(raw_csv), like=driftscan.Profile.load(raw_store["baseline"]))
    assert driftscan.Profile.load(written).statistics_bytes() == service.statistics_bytes()

    result = create_and_run(str(store), detector(ds_spark.SNAPSHOT_TEMPLATE, "training/train.csv"), workdir)
    assert scores(result) == scores(raw_store["result"])
    assert result["target"]["source"] == f"legacy:{SERVICE}/{MODEL}/{VERSION}/{DAY}"  # the job names the day


def test_the_job_writes_into_blob_storage_and_the_service_scores_it(spark, raw_store, workdir, azurite, monkeypatch):
    azurite.create_container("spark-drift")
    monkeypatch.setenv("AZURE_STORAGE_CONNECTION_STRING", azurite.connection_string)
    env = {"AZURE_STORAGE_CONNECTION_STRING": azurite.connection_string}
    # The baseline goes to the container as a profile, written by driftscan.
    baseline = driftscan.Profile.load(raw_store["baseline"])
    assert baseline.save("az://spark-drift/training/train.profile") > 0
    assert driftscan.Profile.load("az://spark-drift/training/train.profile") == baseline

    summary = spark_job.run(spark, spark_job.parse_args(
        job_args(raw_store["root"], "az://spark-drift", "az://spark-drift/training/train.profile")))
    assert summary["profile"] == f"az://spark-drift/spark-profiles/{SERVICE}/{MODEL}/{VERSION}/2026/03/05/day.profile"
    result = create_and_run("az://spark-drift", detector(ds_spark.SNAPSHOT_TEMPLATE, "training/train.profile"),
                            workdir, env=env)
    assert scores(result) == scores(raw_store["result"])
    with pytest.raises(driftscan.StoreError, match="name the profile's blob"):
        baseline.save("az://spark-drift")


def test_hadoop_paths_are_written_and_read_through_spark(spark, rows, workdir):
    p = driftscan.profile(rows)
    uri = (workdir / "hadoop" / "day.profile").as_uri()  # file:///... through Hadoop's FileSystem
    assert ds_spark.save_profile(p, uri, spark) == len(p.to_bytes())
    assert ds_spark.save_profile(p, uri, spark) == len(p.to_bytes())  # a rerun replaces it
    assert sorted(os.listdir(workdir / "hadoop")) == ["day.profile"] or all(
        n.startswith(".") for n in os.listdir(workdir / "hadoop") if n != "day.profile")
    assert ds_spark.load_profile(uri, spark) == p
    assert (workdir / "hadoop" / "day.profile").read_bytes() == p.to_bytes()


def test_the_collector_layout_is_read_as_the_command_reads_it(spark, workdir):
    """azureml-ai-monitoring JSON lines: CloudEvents records whose `data` holds the rows, in hour
    folders of the day."""
    rng = np.random.default_rng(5)
    root = workdir / "modelDataCollector"
    lines_written = 0
    for hour in ("09", "17"):
        folder = root / "credit-ep" / "blue" / "model_inputs" / f"{DAY:%Y}" / f"{DAY:%m}" / f"{DAY:%d}" / hour
        folder.mkdir(parents=True)
        with open(folder / "instance-1.jsonl", "w") as f:
            for i in range(40):
                data = [{"AGE": int(rng.integers(18, 80)), "LIMIT_BAL": round(float(rng.normal(1e5, 2e4)), 2),
                         "SEX": str(rng.choice(["1", "2"]))} for _ in range(int(rng.integers(1, 6)))]
                record = {"specversion": "1.0", "id": f"{hour}-{i}", "source": "/subscriptions/s",
                          "type": "azureml.inference.model_inputs", "datacontenttype": "application/json",
                          "time": f"{DAY}T{hour}:00:00Z", "data": data, "correlationid": f"c{i}",
                          "modelversion": "default", "agent": "azureml-ai-monitoring/0.1.0b4"}
                f.write(json.dumps(record) + "\n")
                lines_written += len(data)
    cli = workdir / "collector.profile"
    run_cli("profile", "--input", str(root / "credit-ep"), "--out", str(cli))
    expected = driftscan.Profile.load(cli)
    assert expected.rows == lines_written

    df = ds_spark.read_collector(spark, str(root), "credit-ep", DAY, like=expected)
    assert df.columns == ["AGE", "LIMIT_BAL", "SEX"]
    p = ds_spark.profile(df, like=expected)
    assert p.statistics_bytes() == driftscan.profile(str(root / "credit-ep"), like=expected).statistics_bytes()


def test_locations_follow_the_services_templates():
    """Where the job reads and writes is rendered by the service's own template rules."""
    assert ds_spark.profile_location("az://drift/", SERVICE, MODEL, VERSION, DAY) == (
        f"az://drift/spark-profiles/{SERVICE}/{MODEL}/{VERSION}/2026/03/05/day.profile")
    assert ds_spark._day_glob("abfss://modeldata@acct.dfs.core.windows.net", driftscan._driftscan.LEGACY_SNAPSHOTS,
                              SERVICE, MODEL, VERSION, DAY) == (
        f"abfss://modeldata@acct.dfs.core.windows.net/*/*/*/{SERVICE}/{MODEL}/{VERSION}/inputs/2026/{{03,3}}/{{05,5}}")
    assert ds_spark._day_glob("/mnt/modelDataCollector", driftscan._driftscan.COLLECTOR_SNAPSHOTS,
                              "ep", "", 0, DAY) == "/mnt/modelDataCollector/ep/*/model_inputs/2026/{03,3}/{05,5}/*"
    with pytest.raises(driftscan.InvalidArgumentError, match="names no single folder"):
        ds_spark.profile_location("/store", SERVICE, MODEL, VERSION, DAY, template="p/{yyyy}/{MM}/{dd}/{HH}")
    with pytest.raises(driftscan.DetectorError, match="unknown placeholder"):
        ds_spark.profile_location("/store", SERVICE, MODEL, VERSION, DAY, template="p/{day}/{yyyy}/{MM}/{dd}")


# Data quality's exact counts from Spark partitions (the frames of test_quality.py). Here, with
# the module's SparkSession, since the pandas 3 run leaves Spark out.
@pytest.mark.parametrize("partitions", [1, 7])
def test_merged_spark_partitions_count_exactly(spark: Any, partitions: int) -> None:
    baseline = driftscan.profile(reference())
    prod = production()
    # Spark has no mixed column: x crosses as text, as a string column of a Parquet file would.
    prod["x"] = prod["x"].map(lambda v: None if v is None else str(v))
    df = spark.createDataFrame(prod).repartition(partitions)
    target = ds_spark.profile(df, like=baseline)
    assert_exact(driftscan.scan(baseline, target, date=DATE))


# -- Files where they lie -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def parquet_files(rows: pa.Table, tmp_path_factory) -> Path:
    """The rows as 4 Parquet files of 4 row groups each (1,250 rows a row group)."""
    folder = tmp_path_factory.mktemp("parquet-files")
    for i in range(4):
        pq.write_table(rows.slice(i * 5000, 5000), folder / f"part-{i}.parquet", row_group_size=1250)
    return folder


#: (split_bytes, pack_bytes) that make 1, 4 and 16 tasks of `parquet_files`: all four files in
#: one task, one task per file, one per row group.
SPLITS = {1: (1 << 40, 1 << 40), 4: (1 << 40, 0), 16: (1, 0)}


@pytest.mark.parametrize("tasks", [1, 4, 16])
def test_files_in_1_4_and_16_tasks_give_the_statistics_of_the_command(spark, rows, one_file, parquet_files, workdir, tasks):
    split, pack = SPLITS[tasks]
    listed = [(str(p), p.stat().st_size) for p in sorted(parquet_files.glob("*.parquet"))]
    planned = ds_spark.plan_tasks(listed, split, pack)
    assert len(planned) == tasks
    if tasks == 16:
        assert all(len(rg) == 1 for _, rg in planned)
    cli = workdir / "files.profile"
    run_cli("profile", "--input", str(parquet_files), "--out", str(cli))
    command = driftscan.Profile.load(cli)
    p = ds_spark.profile_files(spark, str(parquet_files), split_bytes=split, pack_bytes=pack)
    assert p.rows == 20_000
    assert p.statistics_bytes() == command.statistics_bytes() == one_file.statistics_bytes()
    assert p.source == str(parquet_files)
    # The DataFrame path on the same files.
    df = ds_spark.profile(spark.read.parquet(str(parquet_files)).repartition(tasks))
    assert df.statistics_bytes() == command.statistics_bytes()
    # Spark Connect's route (a DataFrame of the tasks through mapInArrow) gives the same bytes.
    if tasks == 16:
        kinds, bounds = None, None
        columns, excluded = driftscan._driftscan.files_schema([f for f, _ in listed], kinds)
        profiler = ds_spark._TaskProfiler((columns, excluded), None, "x", kinds, bounds)
        connect = ds_spark._run_tasks(spark, planned, profiler, 3, rdd=False)
        assert connect.statistics_bytes() == command.statistics_bytes()


@pytest.mark.parametrize("tasks", [1, 4, 16])
def test_files_in_blob_storage_are_read_by_the_executors(spark, one_file, parquet_files, azurite, monkeypatch, tasks):
    container = f"files-{tasks}"
    azurite.create_container(container)
    for p in sorted(parquet_files.glob("*.parquet")):
        azurite.put_blob(container, f"day/2026/03/05/{p.name}", p.read_bytes())
    azurite.put_blob(container, "day/2026/03/05/_SUCCESS", b"")  # not a data file: passed over
    # The driver lists and reads the first footer; the executors open the blobs with their own
    # environment's credentials.
    monkeypatch.setenv("AZURE_STORAGE_CONNECTION_STRING", azurite.connection_string)
    environment = spark.sparkContext.environment
    environment["AZURE_STORAGE_CONNECTION_STRING"] = azurite.connection_string
    try:
        split, pack = SPLITS[tasks]
        location = f"az://{container}/day/2026/03/05"
        listed = driftscan._driftscan.list_files(location)
        assert [f for f, _ in listed] == [f"{location}/part-{i}.parquet" for i in range(4)]
        assert len(ds_spark.plan_tasks(listed, split, pack)) == tasks
        p = ds_spark.profile_files(spark, location, split_bytes=split, pack_bytes=pack)
        assert p.statistics_bytes() == one_file.statistics_bytes()
        assert p.statistics_bytes() == driftscan.profile(location).statistics_bytes()
    finally:
        environment.pop("AZURE_STORAGE_CONNECTION_STRING", None)


def test_csv_files_are_typed_by_the_first_file_as_the_command_types_them(spark, rows, workdir):
    """16 CSV files; the first one's rows make `n` numeric, a later file holds text in it (counted
    invalid), one file is a header alone, one lacks a column and one has an extra one: the
    command's rules, whatever the tasks."""
    folder = workdir / "csv-files"
    folder.mkdir()
    frame_ = rows.to_pandas()
    for i in range(16):
        part = frame_.iloc[i * 1250:(i + 1) * 1250].copy()
        if i == 3:
            part["n"] = part["n"].astype(str).where(part.index % 7 != 0, "oops")
        if i == 5:
            part = part.iloc[:0]
        if i == 9:
            part = part.drop(columns=["k"])
        if i == 11:
            part["extra"] = 1
        part.to_csv(folder / f"part-{i:02}.csv", index=False)
    cli = workdir / "csv.profile"
    run_cli("profile", "--input", str(folder), "--out", str(cli))
    command = driftscan.Profile.load(cli)
    assert ("n", "numeric") in command.kinds
    for pack in (1 << 40, 0):
        p = ds_spark.profile_files(spark, str(folder), pack_bytes=pack)
        assert p.statistics_bytes() == command.statistics_bytes()
    # With a baseline, its kinds are pinned and its ranges counted, as by the command's engine.
    baseline = driftscan.profile(rows, types={"n": "categorical"})
    expected = driftscan.profile(str(folder), like=baseline)
    p = ds_spark.profile_files(spark, str(folder), like=baseline, pack_bytes=0)
    assert p.statistics_bytes() == expected.statistics_bytes()
    assert ("n", "text") in p.kinds
    p = ds_spark.profile_files(spark, str(folder), types={"k": "categorical"}, pack_bytes=0)
    assert p.statistics_bytes() == driftscan.profile(str(folder), types={"k": "categorical"}).statistics_bytes()


def test_file_path_features_names_and_errors(spark, rows, parquet_files, workdir):
    p = ds_spark.profile_files(spark, str(parquet_files), ["x", "c"], name="day", pack_bytes=0)
    assert p.columns == ["x", "c"] and p.source == "day" and p.excluded == []
    df = ds_spark.profile(spark.read.parquet(str(parquet_files)), ["x", "c"])
    assert p.statistics_bytes() == df.statistics_bytes()
    with pytest.raises(driftscan.DataError, match="feature `nope` is not a column"):
        ds_spark.profile_files(spark, str(parquet_files), ["nope"])
    with pytest.raises(driftscan.InvalidArgumentError, match="Hadoop path"):
        ds_spark.profile_files(spark, "abfss://c@a.dfs.core.windows.net/day")
    headers = workdir / "headers-only"
    headers.mkdir()
    for i in range(3):
        (headers / f"h{i}.csv").write_text("a,b\n")
    with pytest.raises(driftscan.DataError, match="no rows"):
        ds_spark.profile_files(spark, str(headers), pack_bytes=0)


def test_the_job_reads_files_or_a_dataframe_with_the_same_statistics(spark, raw_store, workdir):
    stores = {}
    for path in ("files", "dataframe"):
        store = workdir / f"store-{path}"
        args = job_args(raw_store["root"], str(store), str(raw_store["baseline"])) + ["--path", path]
        summary = spark_job.run(spark, spark_job.parse_args(args))
        assert summary["path"] == path and summary["rows"] == 2500
        stores[path] = driftscan.Profile.load(summary["profile"])
    assert stores["files"].statistics_bytes() == stores["dataframe"].statistics_bytes()
    assert spark_job.uses_files(spark_job.parse_args(job_args(raw_store["root"], "s", "b")))
    hadoop = job_args(raw_store["root"], "s", "b")
    hadoop[hadoop.index("--input") + 1] = "abfss://modeldata@acct.dfs.core.windows.net"
    assert not spark_job.uses_files(spark_job.parse_args(hadoop))
