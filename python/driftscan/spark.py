"""Profiles of Spark DataFrames, built by driftscan's engine on the executors.

Past one machine, Spark does the heavy pass and the driftscan service keeps doing the rest
(schedule, score, store, alert, report):

* :func:`profile` profiles a DataFrame: every partition is handed to the Rust engine as the Arrow
  record batches ``DataFrame.mapInArrow`` delivers (no pandas conversion, no copy to disk) and
  comes back as one binary cell holding its partial profile; the partial profiles are merged by
  a tree reduce on the executors (``fanout`` at a time), so the driver merges at most ``fanout``
  of them. The result is a normal :class:`driftscan.Profile`.
* :func:`profile_files` profiles files where they lie (local paths, globs, ``az://``): the
  driver lists them and makes tasks of whole files or of row groups of large Parquet files, each
  executor reads its share with the engine itself (no rows through the JVM), and the partial
  profiles are tree-reduced as for a DataFrame. The statistics are those of ``driftscan profile``
  of the same files.
* :func:`save_profile` writes it into a detector's store (a folder, ``az://container/...``, or
  any Hadoop path Spark can write, such as ``abfss://...``), where the service's timer scores it
  like a raw snapshot (see :data:`SNAPSHOT_TEMPLATE`).
* :func:`read_legacy` and :func:`read_collector` read what Azure ML's two model-data collectors
  wrote for a day; :mod:`driftscan.spark_job` is the day's job built from these pieces.

Profiles are partition-invariant: the statistics of a DataFrame's profile (``statistics_bytes``)
are the same bytes however it is partitioned and in whatever order the partitions finish, and the
same as ``driftscan profile`` of the same rows in one file. Column kinds come from the
DataFrame's schema (numbers are numeric, strings and booleans text), which every partition
shares, or from a baseline profile (``like=``), as the service reads a raw snapshot.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import math
import os
import uuid
from typing import TYPE_CHECKING, Any, Iterable, Iterator, Sequence, Union

from driftscan import _driftscan
from driftscan._driftscan import Profile
from driftscan.errors import DataError, InputTypeError, InvalidArgumentError, StoreError

if TYPE_CHECKING:
    import pyarrow
    from pyspark.sql import DataFrame, SparkSession

__all__ = [
    "DEFAULT_FANOUT",
    "DEFAULT_SPLIT_BYTES",
    "PROFILE_FILE",
    "SNAPSHOT_TEMPLATE",
    "load_profile",
    "day_files",
    "profile",
    "profile_files",
    "profile_location",
    "read_collector",
    "read_legacy",
    "save_profile",
]

#: Partial profiles merged by one node of the tree reduce (and at most this many reach the
#: driver). A profile holds up to 100,000 sampled rows, so a node holds at most ``fanout`` of them.
DEFAULT_FANOUT = 8

#: The file path's split rule (:func:`profile_files`): a Parquet file larger than this is cut into
#: tasks of consecutive row groups of about this many (compressed) bytes; smaller files are
#: profiled whole, one task each, and consecutive files smaller than :data:`PACK_BYTES` share a
#: task. Chosen by measurement (docs/spark.md, "Files where they lie").
DEFAULT_SPLIT_BYTES = 128 << 20

#: Files smaller than this are packed into one task until it holds this many bytes, so that a
#: day of thousands of small files is not thousands of tasks.
PACK_BYTES = 16 << 20

#: Where a Spark job writes the day's profile, relative to a detector's store: the same
#: placeholders as a detector's ``snapshots`` template, which should be this folder.
SNAPSHOT_TEMPLATE = "spark-profiles/{service}/{model}/{version}/{yyyy}/{MM}/{dd}/"

#: File name of the day's profile in that folder; a rerun of the day replaces it. Other
#: ``.profile`` files in the folder (for example one per hour) are merged by the service too.
PROFILE_FILE = "day.profile"

#: Name of the binary column that carries a partial profile between Spark stages.
_CELL = "profile"

#: How a DataFrame is described in the profile unless a name is given.
_DEFAULT_NAME = "<spark.DataFrame>"

#: A baseline to take column kinds from: a Profile or where one is saved.
Like = Union[Profile, str, "os.PathLike[str]", None]


# -- Profiling ------------------------------------------------------------------------------------


def profile(
    df: DataFrame,
    features: Sequence[str] | None = None,
    *,
    like: Like = None,
    name: str | None = None,
    fanout: int = DEFAULT_FANOUT,
    types: dict[str, str] | None = None,
) -> Profile:
    """Profiles a Spark DataFrame on the executors and returns its :class:`Profile`.

    ``features`` limits the profile to those columns (only they are sent from the JVM to the
    engine). ``like`` is a baseline profile (or where one is saved): columns it has are read with
    its kinds, as the service reads a raw snapshot, so a text column that holds numbers (a CSV
    read without schema inference) is parsed as the baseline's numbers and values that are not
    numbers are counted as invalid. ``name`` describes the data in results (default
    ``<spark.DataFrame>``). ``fanout`` is the number of partial profiles one node of the tree
    reduce merges. ``types`` declares columns' types (``{"puma": "categorical"}``; ``numeric``
    or ``categorical``) over ``like``'s, as :func:`driftscan.profile` does.

    Empty partitions contribute nothing; a DataFrame without rows raises
    :class:`driftscan.DataError`. The executors need driftscan installed (the same wheel as the
    driver): each Python worker runs the engine on ``spark.task.cpus`` threads.
    """
    if not hasattr(df, "mapInArrow"):
        raise InputTypeError(
            f"driftscan.spark.profile takes a pyspark DataFrame, not `{type(df).__module__}.{type(df).__name__}`",
            "invalid_input",
        )
    if not isinstance(fanout, int) or fanout < 2:
        raise InvalidArgumentError(f"fanout must be an integer of at least 2, got `{fanout}`", "invalid_argument")
    if features is not None:
        df = _select(df, list(features))
    kinds, bounds = _kinds_and_bounds(like, types)
    label = name or _DEFAULT_NAME
    profiler = _PartitionProfiler(label, kinds, bounds)
    cells = df.mapInArrow(profiler, f"{_CELL} binary")
    merged = _tree_reduce(cells, fanout)
    if merged is None:
        raise DataError(f"`{label}` has no rows", "data_error")
    return merged


def _kinds_and_bounds(
    like: Like, types: dict[str, str] | None
) -> tuple[list[tuple[str, str]] | None, list[tuple[str, float, float]] | None]:
    """The kinds to pin (the baseline's, then the declared ``types`` over them) and the
    baseline's numeric ranges, as the engine takes them."""
    reference = _reference(like)
    kinds = dict(reference.kinds if reference is not None else [])
    kinds.update(types or {})
    bounds = list(reference.numeric_bounds) if reference is not None else None
    return list(kinds.items()) or None, bounds or None


def _select(df: DataFrame, features: list[str]) -> DataFrame:
    """The DataFrame's ``features`` columns, in the list's order; an unknown name is an error
    naming it and the columns there are (as the engine's own message)."""
    if not features:
        raise InvalidArgumentError("features is empty; pass None to profile every column", "invalid_argument")
    columns = df.columns
    for f in features:
        if f not in columns:
            raise DataError(
                f"feature `{f}` is not a column of the DataFrame (columns: {', '.join(columns)})",
                "unknown_feature",
            )
    from pyspark.sql import functions as F

    return df.select(*[F.col(f"`{f}`") for f in dict.fromkeys(features)])


def _reference(like: Like) -> Profile | None:
    """The baseline profile ``like`` names, if any: its kinds are pinned in every partition, and
    the values outside its numeric ranges counted exactly (the data-quality signal's
    ``out_of_bounds_rate``), so the merged partitions carry exact counts."""
    if like is None or isinstance(like, Profile):
        return like
    return load_profile(like)


class _PartitionProfiler:
    """The function ``mapInArrow`` runs on each partition: the partition's Arrow batches go to
    the engine as they arrive; one cell with the partial profile comes back, or none for an empty
    partition (the neutral element of a merge). A class rather than a closure, so that what is
    shipped to the executors is small and explicit."""

    def __init__(
        self,
        name: str,
        kinds: list[tuple[str, str]] | None,
        bounds: list[tuple[str, float, float]] | None = None,
    ) -> None:
        self.name = name
        self.kinds = kinds
        self.bounds = bounds

    def __call__(self, batches: Iterable[pyarrow.RecordBatch]) -> Iterator[pyarrow.RecordBatch]:
        import pyarrow as pa

        _engine_threads()
        batches = iter(batches)
        first = next((b for b in batches if b.num_rows > 0), None)
        if first is None:
            return
        reader = pa.RecordBatchReader.from_batches(first.schema, itertools.chain([first], batches))
        part = _driftscan.profile(reader, name=self.name, kinds=self.kinds, bounds=self.bounds)
        yield _cell_batch([part.to_bytes()])


def _engine_threads() -> None:
    """Sizes the engine's thread pool in a Python worker to the task's cores (``spark.task.cpus``,
    1 by default): Spark already runs one task per core, and a pool per worker as wide as the
    machine would oversubscribe it. Set before the engine's first use in the worker process; an
    explicit ``RAYON_NUM_THREADS`` is left alone."""
    _one_heap()
    if "RAYON_NUM_THREADS" in os.environ:
        return
    try:
        from pyspark import TaskContext

        ctx = TaskContext.get()
        cpus = ctx.cpus() if ctx is not None else 1
    except Exception:  # noqa: BLE001 - outside a task, or an older TaskContext
        cpus = 1
    os.environ["RAYON_NUM_THREADS"] = str(max(1, int(cpus)))


def _one_heap() -> None:
    """One malloc arena in a Python worker, as the ``driftscan`` command keeps (its peak memory
    flat in rows): a worker is Spark's process, running one task at a time. Linux with glibc
    only; elsewhere nothing."""
    global _ONE_HEAP
    if _ONE_HEAP:
        return
    _ONE_HEAP = True
    try:
        import ctypes

        ctypes.CDLL(None).mallopt(-8, 1)  # M_ARENA_MAX
    except Exception:  # noqa: BLE001 - not glibc
        pass


_ONE_HEAP = False


def _cell_batch(cells: list[bytes]) -> pyarrow.RecordBatch:
    import pyarrow as pa

    return pa.RecordBatch.from_arrays([pa.array(cells, type=pa.binary())], names=[_CELL])


def _merge_cells(cells: Iterable[bytes]) -> Profile | None:
    """One profile of the encoded partial profiles, merged ``merge_all`` at once; None when
    there are none."""
    parts = [Profile.from_bytes(bytes(c)) for c in cells]
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else Profile.merge_all(parts)


class _CellMerger:
    """A node of the tree reduce: merges the partial profiles of its group into one."""

    def __call__(self, cells: Iterable[tuple[int, bytes]]) -> Iterator[bytes]:
        _engine_threads()
        merged = _merge_cells(cell for _, cell in cells)
        if merged is not None:
            yield merged.to_bytes()


def _tree_reduce(cells: DataFrame, fanout: int) -> Profile | None:
    """Merges the partial profiles of ``cells`` (one or none per partition) into one.

    With the RDD API (classic Spark: Databricks dedicated clusters, Synapse, Azure ML serverless
    Spark), each level groups ``fanout`` consecutive partitions into one node, run on an
    executor, until at most ``fanout`` profiles are left; the driver merges those. Under Spark
    Connect, which has no RDD API, the cells are streamed to the driver one partition at a time
    and merged ``fanout`` at a time, so the driver holds at most ``fanout + 1`` profiles.
    """
    try:
        rdd = cells.rdd
        partitions = rdd.getNumPartitions()
    except Exception:  # noqa: BLE001 - Spark Connect: no RDD API
        return _merge_streamed(cells.toLocalIterator(), fanout)
    return _reduce_rdd(rdd.map(lambda row: bytes(row[0])), partitions, fanout)


def _reduce_rdd(level: Any, partitions: int, fanout: int) -> Profile | None:
    """The tree reduce of an RDD of encoded partial profiles (at most one per partition after the
    first level): ``fanout`` consecutive partitions per node, level by level, until at most
    ``fanout`` are left for the driver."""
    while partitions > fanout:
        partitions = math.ceil(partitions / fanout)
        level = (
            level.mapPartitionsWithIndex(_GroupKey(fanout))
            .partitionBy(partitions, _identity)
            .mapPartitions(_CellMerger())
        )
    return _merge_cells(level.collect())


def _merge_streamed(rows: Iterable[Any], fanout: int) -> Profile | None:
    merged: Profile | None = None
    rows = iter(rows)
    while True:
        group = [bytes(r[0]) for r in itertools.islice(rows, fanout)]
        if not group:
            return merged
        part = _merge_cells(group)
        merged = part if merged is None else Profile.merge_all([merged, part])


class _GroupKey:
    """Keys each cell of partition ``i`` by ``i // fanout``: its node at the next level."""

    def __init__(self, fanout: int) -> None:
        self.fanout = fanout

    def __call__(self, index: int, cells: Iterable[bytes]) -> Iterator[tuple[int, bytes]]:
        for cell in cells:
            yield index // self.fanout, cell


def _identity(key: int) -> int:
    return key


# -- Profiling files where they lie ---------------------------------------------------------------

#: A file to profile: its location and size in bytes (as :func:`day_files` lists them).
DataFile = tuple[str, int]

#: One task of the file path: locations of whole files (in the dataset's order), or one large
#: Parquet file with the row groups it reads.
_Task = tuple[list[str], Union[list[int], None]]


def profile_files(
    spark: SparkSession,
    paths: str | os.PathLike[str] | Sequence[str | os.PathLike[str] | DataFile],
    features: Sequence[str] | None = None,
    *,
    like: Like = None,
    name: str | None = None,
    fanout: int = DEFAULT_FANOUT,
    types: dict[str, str] | None = None,
    split_bytes: int = DEFAULT_SPLIT_BYTES,
    pack_bytes: int = PACK_BYTES,
    partitions: int | None = None,
) -> Profile:
    """Profiles data files where they lie, on the executors, and returns their :class:`Profile`:
    the same statistics (``statistics_bytes``) as ``driftscan profile`` of the same files.

    ``paths`` is a file, a folder, a glob or ``az://container/prefix`` (what
    :func:`driftscan.profile` takes), a list of them, or ``(location, bytes)`` pairs as
    :func:`day_files` lists them. The driver lists the files and reads the dataset's schema from
    the head of the first (as the command does); the files become tasks, one per file, with a
    Parquet file larger than ``split_bytes`` cut into runs of whole row groups and consecutive
    files smaller than ``pack_bytes`` packed together (up to that size); each task reads and
    profiles its share with the engine on an executor, which opens ``az://`` locations with its
    own credentials (its environment, as the service). Nothing passes through the JVM but the
    task descriptions and the partial profiles, which are tree-reduced as by :func:`profile`.

    ``partitions`` is how many Spark partitions the tasks are dealt into (default one per core,
    ``defaultParallelism``): each profiles its tasks in turn and merges them into one partial
    profile. ``features``, ``like``, ``name``, ``fanout`` and ``types`` are as for
    :func:`profile`. Hadoop paths (``abfss://``, ``dbfs:/``) are not read by the engine: read
    them into a DataFrame and use :func:`profile`.
    """
    if not isinstance(fanout, int) or fanout < 2:
        raise InvalidArgumentError(f"fanout must be an integer of at least 2, got `{fanout}`", "invalid_argument")
    if not isinstance(split_bytes, int) or split_bytes < 1:
        raise InvalidArgumentError(f"split_bytes must be a positive integer, got `{split_bytes}`", "invalid_argument")
    files = _list(paths)
    label = name or ", ".join(dict.fromkeys(_spec(p) for p in _as_list(paths)))
    kinds, bounds = _kinds_and_bounds(like, types)
    locations = [loc for loc, _ in files]
    columns, excluded = _driftscan.files_schema(locations, kinds)
    selected = None
    if features is not None:
        selected = list(dict.fromkeys(features))
        if not selected:
            raise InvalidArgumentError("features is empty; pass None to profile every column", "invalid_argument")
        known = [c for c, _ in columns]
        for f in selected:
            if f not in known and all(f != e for e, _ in excluded):
                raise DataError(
                    f"feature `{f}` is not a column of `{label}` (columns: {', '.join(known)})",
                    "unknown_feature",
                )
    tasks = plan_tasks(files, split_bytes, pack_bytes)
    profiler = _TaskProfiler((columns, excluded), selected, label, kinds, bounds)
    merged = _run_tasks(spark, tasks, profiler, fanout, partitions=partitions)
    if merged is None:
        raise DataError(f"`{label}` has no rows", "data_error")
    return merged


def day_files(
    root: str,
    layout: str,
    service: str,
    model: str,
    version: int,
    day: dt.date,
) -> list[DataFile]:
    """The files a model's data collector wrote for ``day`` below ``root`` (a folder or
    ``az://container[/prefix]``), found as the detector's ``legacy`` or ``collector`` template
    finds them in the service (zero-padded and unpadded date folders, every deployment and hour),
    as ``(location, bytes)`` pairs for :func:`profile_files`. ``root`` is the ``modeldata``
    container (legacy) or the ``modelDataCollector`` folder (collector)."""
    if layout == "legacy":
        template = _driftscan.LEGACY_SNAPSHOTS
    elif layout == "collector":
        # The template has no model or version: the endpoint's deployments are its folders.
        template, model, version = _driftscan.COLLECTOR_SNAPSHOTS, "", 0
    else:
        raise InvalidArgumentError(f"layout `{layout}` is not `legacy` or `collector`", "invalid_argument")
    if _is_hadoop_uri(os.fspath(root)):
        raise InvalidArgumentError(
            f"`{root}`: the engine reads local folders and az://container[/prefix]; read a Hadoop path "
            "with read_legacy or read_collector and profile the DataFrame",
            "invalid_argument",
        )
    files = _driftscan.snapshot_files(os.fspath(root), template, service, model, version, day.isoformat())
    if not files:
        raise DataError(f"`{root}`: no {layout} files for `{service}` on {day.isoformat()}", "not_found")
    return files


def _as_list(paths: Any) -> list[Any]:
    if isinstance(paths, (str, os.PathLike)) or (isinstance(paths, tuple) and len(paths) == 2 and isinstance(paths[1], int)):
        return [paths]
    return list(paths)


def _spec(item: Any) -> str:
    return item[0] if isinstance(item, tuple) else os.fspath(item)


def _list(paths: Any) -> list[DataFile]:
    """The files of ``paths`` with their sizes, each once, in order."""
    files: dict[str, int] = {}
    for item in _as_list(paths):
        if isinstance(item, tuple):
            files.setdefault(str(item[0]), int(item[1]))
            continue
        spec = os.fspath(item)
        if _is_hadoop_uri(spec):
            raise InvalidArgumentError(
                f"`{spec}`: the engine reads local paths and az://container/prefix; read a Hadoop path "
                "into a DataFrame and use driftscan.spark.profile",
                "invalid_argument",
            )
        for location, size in _driftscan.list_files(spec):
            files.setdefault(location, size)
    if not files:
        raise DataError("no files to profile", "not_found")
    return list(files.items())


def _place(location: str) -> str:
    """Where a file lies: its ``az://container``, or the local file system. A task's files share
    one place."""
    if location.startswith("az://"):
        return "az://" + location[len("az://"):].split("/", 1)[0]
    return ""


def _is_parquet(location: str) -> bool:
    return location.lower().endswith((".parquet", ".pq"))


def plan_tasks(
    files: Sequence[DataFile], split_bytes: int = DEFAULT_SPLIT_BYTES, pack_bytes: int = PACK_BYTES
) -> list[_Task]:
    """The file path's tasks for ``files`` (``(location, bytes)`` in the dataset's order): one
    per file; a Parquet file larger than ``split_bytes`` is cut into runs of consecutive row groups
    of about ``split_bytes`` compressed bytes (its footer is read on the driver); consecutive files
    of one place smaller than ``pack_bytes`` are packed into one task up to that size."""
    tasks: list[_Task] = []
    pack: list[str] = []
    packed = 0

    def flush() -> None:
        nonlocal pack, packed
        if pack:
            tasks.append((pack, None))
        pack, packed = [], 0

    for location, size in files:
        if size < pack_bytes:
            if pack and (packed + size > pack_bytes or _place(pack[0]) != _place(location)):
                flush()
            pack.append(location)
            packed += size
            continue
        flush()
        if size > split_bytes and _is_parquet(location):
            runs: list[list[int]] = [[]]
            run_bytes = 0
            for index, (_, compressed) in enumerate(_driftscan.parquet_row_groups(location)):
                if runs[-1] and run_bytes + compressed > split_bytes:
                    runs.append([])
                    run_bytes = 0
                runs[-1].append(index)
                run_bytes += compressed
            if len(runs) > 1:
                tasks.extend(([location], run) for run in runs)
                continue
        tasks.append(([location], None))
    flush()
    return tasks


class _TaskProfiler:
    """What each task of the file path runs on an executor: its files (or row groups) read and
    profiled by the engine with the dataset's schema; one encoded partial profile comes back, or
    none for a share without rows."""

    def __init__(
        self,
        schema: tuple[list[tuple[str, str]], list[tuple[str, str]]],
        features: list[str] | None,
        name: str,
        kinds: list[tuple[str, str]] | None,
        bounds: list[tuple[str, float, float]] | None,
    ) -> None:
        self.schema = schema
        self.features = features
        self.name = name
        self.kinds = kinds
        self.bounds = bounds

    def profile(self, task: _Task) -> bytes | None:
        _engine_threads()
        locations, row_groups = task
        part = _driftscan.profile_files(
            list(locations),
            self.schema,
            features=self.features,
            row_groups=None if row_groups is None else list(row_groups),
            name=self.name,
            kinds=self.kinds,
            bounds=self.bounds,
        )
        return None if part is None else part.to_bytes()

    def __call__(self, tasks: Iterable[_Task]) -> Iterator[bytes]:
        """An RDD partition of tasks: one merged cell."""
        cells = [c for c in (self.profile(t) for t in tasks) if c is not None]
        if len(cells) == 1:
            yield cells[0]
        elif cells:
            yield Profile.merge_all([Profile.from_bytes(c) for c in cells]).to_bytes()

    def arrow(self, batches: Iterable[pyarrow.RecordBatch]) -> Iterator[pyarrow.RecordBatch]:
        """A DataFrame partition of task descriptions (JSON), for Spark Connect."""
        tasks = [json.loads(t) for b in batches for t in b.column(0).to_pylist()]
        for cell in self(tuple(t) for t in tasks):
            yield _cell_batch([cell])


class _ArrowTasks:
    """``mapInArrow``'s function for the task DataFrame (a bound method would ship the same)."""

    def __init__(self, profiler: _TaskProfiler) -> None:
        self.profiler = profiler

    def __call__(self, batches: Iterable[pyarrow.RecordBatch]) -> Iterator[pyarrow.RecordBatch]:
        return self.profiler.arrow(batches)


class _Slots:
    """An RDD partition holding lists of tasks: all of them profiled and merged into one cell."""

    def __init__(self, profiler: _TaskProfiler) -> None:
        self.profiler = profiler

    def __call__(self, slots: Iterable[list[_Task]]) -> Iterator[bytes]:
        return self.profiler(t for slot in slots for t in slot)


def _run_tasks(
    spark: SparkSession,
    tasks: list[_Task],
    profiler: _TaskProfiler,
    fanout: int,
    rdd: bool | None = None,
    partitions: int | None = None,
) -> Profile | None:
    """Runs ``tasks`` and tree-reduces their partial profiles. Classic Spark:
    ``sparkContext.parallelize`` of ``partitions`` partitions (default: one per core,
    ``defaultParallelism``) and the RDD tree reduce. Spark Connect (no RDD API): a
    DataFrame of the tasks as JSON strings, one per partition, through ``mapInArrow``, merged as
    :func:`profile` merges under Connect. ``rdd`` forces one or the other (tests)."""
    context = None
    if rdd is not False:
        try:
            context = spark.sparkContext
        except Exception:  # noqa: BLE001 - Spark Connect: no SparkContext
            context = None
    if context is not None:
        # One partition per core, its tasks dealt round-robin and merged where they ran: fewer
        # partial profiles to encode and reduce (measured: docs/spark.md, "The split rule").
        n = max(1, min(len(tasks), partitions or context.defaultParallelism))
        slots = [tasks[i::n] for i in range(n)]
        cells = context.parallelize(slots, n).mapPartitions(_Slots(profiler))
        return _reduce_rdd(cells, n, fanout)
    n = max(1, len(tasks))
    rows = [(i, json.dumps([list(loc), rg])) for i, (loc, rg) in enumerate(tasks)]
    df = spark.createDataFrame(rows, "i int, task string").repartition(n, "i").select("task")
    cells_df = df.mapInArrow(_ArrowTasks(profiler), f"{_CELL} binary")
    return _tree_reduce(cells_df, fanout)


# -- Saving and loading ---------------------------------------------------------------------------


def save_profile(profile: Profile, location: str | os.PathLike[str], spark: SparkSession | None = None) -> int:
    """Writes ``profile`` to ``location`` atomically and returns the bytes written.

    ``location`` is a local path (the driver's file system, for example a DBFS or Volumes mount),
    ``az://container/key`` (written by driftscan with the credentials the service uses: a
    connection string, a key, a SAS, a service principal, workload or managed identity, or the
    Azure CLI), or any Hadoop path the SparkSession can write (``abfss://``, ``wasbs://``,
    ``dbfs:/``, ``file:/``), written with Spark's own credentials: first under a hidden name in
    the same folder (which the service never reads), then renamed. Missing folders are created.
    """
    location = os.fspath(location)
    if not _is_hadoop_uri(location):
        if not location.startswith("az://"):
            # A folder store's day folder does not exist before its first profile.
            os.makedirs(os.path.dirname(location) or ".", exist_ok=True)
        return profile.save(location)
    jvm, fs, path = _hadoop_path(location, spark)
    data = profile.to_bytes()
    tmp = jvm.org.apache.hadoop.fs.Path(path.getParent(), f".{path.getName()}.{uuid.uuid4().hex}.tmp")
    out = fs.create(tmp, True)
    try:
        out.write(bytearray(data))
    finally:
        out.close()
    if fs.exists(path):
        fs.delete(path, False)
    if not fs.rename(tmp, path):
        fs.delete(tmp, False)
        raise StoreError(f"could not rename the written profile into `{location}`", "store_error")
    return len(data)


def load_profile(location: str | os.PathLike[str], spark: SparkSession | None = None) -> Profile:
    """Reads a profile from a local path, ``az://container/key``, or a Hadoop path (read through
    Spark, as :func:`save_profile` writes it)."""
    location = os.fspath(location)
    if not _is_hadoop_uri(location):
        return Profile.load(location)
    session = spark or _active_session()
    rows = session.read.format("binaryFile").load(location).select("content").collect()
    if len(rows) != 1:
        raise DataError(f"`{location}`: expected one profile file, found {len(rows)}", "not_found")
    return Profile.from_bytes(bytes(rows[0][0]))


def _is_hadoop_uri(location: str) -> bool:
    scheme, sep, _ = location.partition(":")
    if not sep or len(scheme) < 2:  # a plain path, or a Windows drive letter
        return False
    return scheme.lower() != "az"


def _active_session() -> SparkSession:
    from pyspark.sql import SparkSession

    session = SparkSession.getActiveSession()
    if session is None:
        raise StoreError("a Hadoop path needs an active SparkSession (pass spark=...)", "store_error")
    return session


def _hadoop_path(location: str, spark: SparkSession | None) -> tuple[Any, Any, Any]:
    session = spark or _active_session()
    jvm = getattr(session, "_jvm", None)
    if jvm is None:
        raise StoreError(
            f"`{location}`: writing a Hadoop path needs classic Spark (this is Spark Connect); "
            "write to az://container/key or to a mounted path instead",
            "store_error",
        )
    path = jvm.org.apache.hadoop.fs.Path(location)
    fs = path.getFileSystem(session._jsc.hadoopConfiguration())
    return jvm, fs, path


def profile_location(
    store: str,
    service: str,
    model: str,
    version: int,
    day: dt.date,
    template: str = SNAPSHOT_TEMPLATE,
    file: str = PROFILE_FILE,
) -> str:
    """Where the day's profile goes in ``store`` (a folder, ``az://container[/prefix]`` or a
    Hadoop path): ``template`` rendered by the service's own rules (zero-padded month and day),
    then ``file``. A template with ``*`` or ``{HH}`` names no single folder and is an error."""
    folder = _driftscan.snapshot_folder(template, service, model, version, day.isoformat())
    return f"{store.rstrip('/')}/{folder}/{file}"


# -- Reading Azure ML's model data ----------------------------------------------------------------


def _day_glob(root: str, template: str, service: str, model: str, version: int, day: dt.date) -> str:
    """The Hadoop glob of one day's folders of a collector layout under ``root``: the service's
    template for it, rendered by the service's rules, below the template's first folder (the
    ``modeldata`` container or the ``modelDataCollector`` folder, which ``root`` is)."""
    glob = _driftscan.snapshot_glob(template, service, model, version, day.isoformat())
    _, _, below = glob.partition("/")
    return f"{root.rstrip('/')}/{below}"


def read_legacy(
    spark: SparkSession,
    root: str,
    service: str,
    model: str,
    version: int,
    day: dt.date,
    *,
    infer_schema: bool = True,
) -> DataFrame:
    """The rows the legacy AKS ``ModelDataCollector`` wrote for ``day``: the CSV files the
    detector's ``legacy`` template finds, ``{root}/*/*/*/{service}/{model}/{version}/inputs/{yyyy}/{MM}/{dd}/``,
    where ``root`` is the ``modeldata`` container (e.g.
    ``abfss://modeldata@<account>.dfs.core.windows.net``) holding the
    ``<subscription>/<resource group>/<workspace>`` folders. Month and day folders are matched
    zero-padded and not, as by the service.

    With ``infer_schema=False`` every column is read as text; pass the baseline as ``like=`` to
    :func:`profile` and the engine parses each column as the baseline types it, exactly as the
    service reads the same CSV (recommended: no extra pass over the data, and a value that is not
    a number is counted as invalid instead of turning the column into text). The ``$aml_*``
    bookkeeping columns are kept and left out by the engine, as from a raw snapshot.
    """
    path = _day_glob(root, _driftscan.LEGACY_SNAPSHOTS, service, model, version, day)
    return (
        spark.read.option("header", True)
        .option("inferSchema", infer_schema)
        # RFC 4180 quoting, as pandas and the collector write it (Spark's default escape is `\`).
        .option("escape", '"')
        .option("multiLine", False)
        .csv(path)
    )


def read_collector(
    spark: SparkSession,
    root: str,
    endpoint: str,
    day: dt.date,
    *,
    like: Like = None,
) -> DataFrame:
    """The rows the ``azureml-ai-monitoring`` collector wrote for ``day``: the JSON lines the
    detector's ``collector`` template finds, ``{root}/{endpoint}/*/model_inputs/{yyyy}/{MM}/{dd}/{HH}/``
    (``root`` is the ``modelDataCollector`` folder of the workspace's blob store), one
    CloudEvents record per line whose ``data`` array holds the rows. The envelope (``id``,
    ``time``, ``correlationid``, ...) is dropped and each element of ``data`` becomes a row.

    Spark's JSON reader orders columns alphabetically; with ``like=`` (the baseline profile), the
    baseline's columns come first in its order, so the row sample hashes columns in the same
    order as the baseline's.
    """
    from pyspark.sql import functions as F

    # The template has no model or version: the endpoint's deployments are its folders.
    path = _day_glob(root, _driftscan.COLLECTOR_SNAPSHOTS, endpoint, "", 0, day)
    records = spark.read.json(path)
    if "data" not in records.columns:
        raise DataError(f"`{path}`: no `data` field in the collector records", "data_error")
    rows = records.select(F.explode("data").alias("_row")).select("_row.*")
    if like is not None:
        reference = _reference(like)
        order = [c for c, _ in reference.kinds] if reference is not None else []
        present = [c for c in order if c in rows.columns]
        rest = [c for c in rows.columns if c not in present]
        rows = rows.select(*[F.col(f"`{c}`") for c in present + rest])
    return rows
