"""The day's Spark job: profile what a model's data collector wrote for one day and write the
profile into the detector's store, where the service's timer scores it like a raw snapshot.

Runs on Azure Databricks, Synapse and Azure ML serverless Spark (see docs/spark.md), or anywhere
``spark-submit`` runs::

    python -m driftscan.spark_job --layout legacy \\
        --input abfss://modeldata@<account>.dfs.core.windows.net \\
        --service credit-svc --model credit --version 3 --date 2026-11-24 \\
        --baseline az://driftscan/training/credit_train.profile --store az://driftscan

The profile goes to ``{store}/spark-profiles/{service}/{model}/{version}/{yyyy}/{MM}/{dd}/day.profile``
(``--template`` and ``--file`` change that); point the detector's ``snapshots`` at the same
template. ``--date`` defaults to yesterday (UTC), the day a daily detector scores next.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import time
from typing import Sequence

from driftscan import spark as ds_spark
from driftscan.errors import DriftscanError, InvalidArgumentError

#: The layouts of Azure ML's two model-data collectors (the detector's ``legacy`` and
#: ``collector`` snapshot templates).
LAYOUTS = ("legacy", "collector")

#: How the day is profiled: its files read by the engine on the executors, or a DataFrame read
#: by Spark (see docs/spark.md, "Files where they lie").
PATHS = ("auto", "files", "dataframe")


def uses_files(args: argparse.Namespace) -> bool:
    """Whether the day is profiled where its files lie: asked for, or by default when the engine
    reads ``--input`` itself (a folder or ``az://``; not a Hadoop path such as ``abfss://``)."""
    if args.path == "auto":
        return not ds_spark._is_hadoop_uri(args.input)
    return args.path == "files"


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="driftscan.spark_job",
        description="Profile one day of a model's collected inputs on Spark and write the profile "
        "into a driftscan detector's store.",
    )
    p.add_argument(
        "--layout",
        choices=LAYOUTS,
        required=True,
        help="legacy: the AKS ModelDataCollector's CSV files; collector: azureml-ai-monitoring's JSON lines",
    )
    p.add_argument(
        "--input",
        required=True,
        help="legacy: the modeldata container (holding <subscription>/<resource group>/<workspace>/); "
        "collector: the modelDataCollector folder",
    )
    p.add_argument("--service", required=True, help="web service (legacy) or online endpoint (collector)")
    p.add_argument("--model", required=True, help="model name, as in the detector")
    p.add_argument("--version", required=True, type=int, help="model version, as in the detector")
    p.add_argument("--date", type=dt.date.fromisoformat, help="the day, YYYY-MM-DD (default: yesterday, UTC)")
    p.add_argument("--store", required=True, help="the detector's store: a folder, az://container[/prefix], or a Hadoop path (abfss://...)")
    p.add_argument("--baseline", help="the baseline's profile (path, az://..., or Hadoop path): columns are read with its kinds")
    p.add_argument("--features", help="comma-separated columns to profile (default: all)")
    p.add_argument("--type", dest="types", action="append", default=[], metavar="NAME=TYPE",
                   help="read a column as declared: numeric or categorical (repeat, or comma-separate)")
    p.add_argument("--template", default=ds_spark.SNAPSHOT_TEMPLATE, help="folder of the profile in the store (default: %(default)s)")
    p.add_argument("--file", default=ds_spark.PROFILE_FILE, help="file name of the profile (default: %(default)s)")
    p.add_argument("--fanout", type=int, default=ds_spark.DEFAULT_FANOUT, help="partial profiles merged per node (default: %(default)s)")
    p.add_argument(
        "--path",
        choices=PATHS,
        default="auto",
        help="files: the executors read the day's files with driftscan's engine (a folder or az:// input); "
        "dataframe: Spark reads them into a DataFrame (any Hadoop path); auto: files unless --input is a "
        "Hadoop path (default: %(default)s)",
    )
    args = p.parse_args(argv)
    if args.date is None:
        args.date = dt.datetime.now(dt.timezone.utc).date() - dt.timedelta(days=1)
    return args


def read_day(spark, args: argparse.Namespace, like):  # noqa: ANN001, ANN201 - pyspark types
    """The day's rows as a DataFrame, for the layout asked."""
    if args.layout == "legacy":
        return ds_spark.read_legacy(
            spark, args.input, args.service, args.model, args.version, args.date,
            # With a baseline, the engine parses the text as the baseline types each column.
            infer_schema=like is None,
        )
    return ds_spark.read_collector(spark, args.input, args.service, args.date, like=like)


def run(spark, args: argparse.Namespace) -> dict:  # noqa: ANN001 - pyspark types
    """Profiles the day and writes the profile; returns what was done (printed as JSON)."""
    started = time.monotonic()
    like = ds_spark.load_profile(args.baseline, spark) if args.baseline else None
    features = [f.strip() for f in args.features.split(",") if f.strip()] if args.features else None
    name = f"{args.layout}:{args.service}/{args.model}/{args.version}/{args.date}"
    types = {}
    for item in (i for flag in args.types for i in flag.split(",") if i.strip()):
        column, sep, kind = item.partition("=")
        if not sep:
            raise InvalidArgumentError(f"--type `{item}`: declare a type as NAME=numeric or NAME=categorical", "invalid_argument")
        types[column.strip()] = kind.strip()
    if uses_files(args):
        # The engine reads the collectors' layouts as the service does ($aml_* columns left out,
        # collector records' `data` rows), so the day's files need no Spark transformation.
        files = ds_spark.day_files(args.input, args.layout, args.service, args.model, args.version, args.date)
        prof = ds_spark.profile_files(spark, files, features, like=like, name=name, fanout=args.fanout, types=types)
        path = "files"
    else:
        df = read_day(spark, args, like)
        prof = ds_spark.profile(df, features, like=like, name=name, fanout=args.fanout, types=types)
        path = "dataframe"
    out = ds_spark.profile_location(
        args.store, args.service, args.model, args.version, args.date, args.template, args.file
    )
    written = ds_spark.save_profile(prof, out, spark)
    return {
        "profile": out,
        "path": path,
        "rows": prof.rows,
        "columns": len(prof.columns),
        "bytes": written,
        "statistics_digest": prof.statistics_digest(),
        "seconds": round(time.monotonic() - started, 3),
    }


def main(argv: Sequence[str] | None = None) -> int:
    """Runs the job on the active SparkSession (or a new one); prints a one-line JSON summary.
    Exit codes as the ``driftscan`` command's: 0 done, 2 error (with a one-line reason)."""
    args = parse_args(argv)
    from pyspark.sql import SparkSession

    spark = SparkSession.builder.appName("driftscan-profile").getOrCreate()
    try:
        summary = run(spark, args)
    except DriftscanError as e:
        print(f"driftscan.spark_job: {e}", file=sys.stderr)
        return 2
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
