"""Entry file of the day's Spark job, for platforms that run a script file (spark-submit, a
Synapse Spark job definition, an Azure ML Spark job). The job itself is `driftscan.spark_job`,
shipped in the wheel, which the cluster must have installed; see docs/spark.md."""

import sys

from driftscan.spark_job import main

if __name__ == "__main__":
    sys.exit(main())
