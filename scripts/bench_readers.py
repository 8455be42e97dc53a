#!/usr/bin/env python3
"""Hostile-input benchmark of the readers: wall time, peak RSS and outcome per case.

Generates the files of the reader cases of issue 12 (a first record that does not fit a block, CR-only
line endings, very long lines, a small gzip that expands to one huge line, Python's JSON spellings of
non-finite numbers, a dictionary-encoded integer Parquet column, a CSV of 100,000 columns, a saved
profile that inflates to 4 GB, a folder of 100,000 small files, a row of a million columns) into a
folder, then runs `driftscan profile` (`scan` where the case is about scanning, `profile merge` for a
saved profile) on each and prints one row per case: wall seconds, peak RSS (from `wait4`), the exit
code and the last line of stderr.

Usage (from the repository root, after `cargo build --release`):
    .tools/venv/bin/python scripts/bench_readers.py [--binary target/release/driftscan] [--data bench-data/readers]
        [--only NAME] [--timeout 600]
"""

import argparse
import gzip
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

MB = 1 << 20


def write_once(path: Path, make) -> Path:
    if not path.exists():
        tmp = path.with_name(path.name + ".tmp")
        make(tmp)
        tmp.rename(path)
    return path


def rows_csv(f, rows: int, start: int = 0, eol: bytes = b"\n") -> None:
    for i in range(start, start + rows):
        f.write(b"%d,%d.5,item%d" % (i, i % 97, i % 7) + eol)


def stray_quote(p: Path) -> None:
    # `5" screen` in the first data record, then 5 MB of rows: a naive quote parity sees one open
    # quote and no record boundary in the first block.
    with open(p, "wb") as f:
        f.write(b"size,price,label\n5,10.5,5\" screen\n")
        rows_csv(f, 300_000)


def unclosed_quote(p: Path) -> None:
    with open(p, "wb") as f:
        f.write(b"size,price,label\n5,10.5,\"never closed\n")
        rows_csv(f, 300_000)


def long_first_row(p: Path) -> None:
    # A first data record of 6 MB (one long text field), then ordinary rows.
    with open(p, "wb") as f:
        f.write(b"size,price,label\n1,2.5,")
        f.write(b"x" * (6 * MB))
        f.write(b"\n")
        rows_csv(f, 100_000)


def cr_only(p: Path) -> None:
    # About 43 MB with old Mac line endings (`\r` only).
    with open(p, "wb") as f:
        f.write(b"size,price,label\r")
        rows_csv(f, 2_000_000, eol=b"\r")


def lf_same(p: Path) -> None:
    with open(p, "wb") as f:
        f.write(b"size,price,label\n")
        rows_csv(f, 2_000_000)


def long_line(mb: int):
    def make(p: Path) -> None:
        with open(p, "wb") as f:
            f.write(b"size,price,label\n1,2.5,")
            block = b"y" * MB
            for _ in range(mb):
                f.write(block)
            f.write(b"\n2,3.5,z\n")

    return make


def gz_bomb(p: Path) -> None:
    # About 2 MB of gzip that expands to one 2 GB line.
    with gzip.open(p, "wb", compresslevel=9) as f:
        f.write(b"size,label\n1,")
        block = b"z" * (16 * MB)
        for _ in range(128):
            f.write(block)
        f.write(b"\n")


def json_long_line(p: Path) -> None:
    # One 100 MB JSON line (a collector record with many rows), then a few ordinary lines.
    with open(p, "wb") as f:
        f.write(b'{"data":[')
        row = b'{"a":1.5,"b":"some text here","c":42},'
        n = (100 * MB) // len(row)
        f.write(row * n)
        f.write(b'{"a":2,"b":"x","c":1}]}\n')
        for i in range(1000):
            f.write(b'{"a":%d,"b":"r","c":%d}\n' % (i, i))


def json_python(p: Path) -> None:
    # What Python's json.dumps writes for non-finite floats, behind a byte-order mark.
    with open(p, "wb") as f:
        f.write(b"\xef\xbb\xbf")
        vals = [b"1.5", b"NaN", b"Infinity", b"-Infinity", b"1e400", b"-2"]
        for i in range(60_000):
            f.write(b'{"x":%s,"y":%d}\n' % (vals[i % len(vals)], i))


def parquet_dictionary(p: Path) -> None:
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(1)
    df = pd.DataFrame(
        {
            "code": pd.Categorical(rng.integers(0, 50, 200_000)),
            "value": rng.normal(size=200_000),
        }
    )
    df.to_parquet(p, engine="pyarrow")


def wide_csv(p: Path) -> None:
    cols = 100_000
    with open(p, "w") as f:
        f.write(",".join(f"c{i}" for i in range(cols)) + "\n")
        for r in range(20):
            f.write(",".join(str((r * 7 + i) % 13) for i in range(cols)) + "\n")


def rle_zeros(size: int) -> bytes:
    """A zstd frame that inflates to `size` zero bytes, four bytes per 128 KiB (RFC 8878: a frame
    header with a 128 KiB window, then one RLE block per 128 KiB)."""
    block = 128 << 10
    out = bytearray(b"\x28\xb5\x2f\xfd" + bytes([0x00, 7 << 3]))
    while size > 0:
        n = min(size, block)
        size -= n
        out += ((n << 3) | (1 << 1) | (1 if size == 0 else 0)).to_bytes(3, "little") + b"\x00"
    return bytes(out)


def profile_bomb(p: Path) -> None:
    # A 128 KB profile whose header declares a 1,000-byte payload and whose stream inflates to 4 GB.
    p.write_bytes(b"DSPROFIL" + (4).to_bytes(4, "little") + (1000).to_bytes(8, "little")
                  + rle_zeros(4 << 30))


def small_files(p: Path) -> None:
    # 100,000 CSV files of one row each.
    p.mkdir()
    for i in range(100_000):
        (p / f"part-{i:06d}.csv").write_bytes(b"a,b,c\n%d,%d.5,x%d\n" % (i, i % 97, i % 7))


def million_columns(p: Path) -> None:
    # One row of a million columns (about 10 MB).
    cols = 1_000_000
    with open(p, "w") as f:
        f.write(",".join(f"c{i}" for i in range(cols)) + "\n")
        f.write(",".join(str(i % 7) for i in range(cols)) + "\n")


CASES = [
    # name, file name, maker, command ("profile" or "scan"), extra environment
    ("8 stray quote in first record", "stray_quote.csv", stray_quote, "profile", {}),
    ("8 unclosed quote in first record", "unclosed_quote.csv", unclosed_quote, "profile", {}),
    ("8 first record of 6 MB", "long_first_row.csv", long_first_row, "profile", {}),
    ("9 CR-only line endings (43 MB)", "cr_only.csv", cr_only, "profile", {}),
    ("9 same rows with LF (43 MB)", "lf_same.csv", lf_same, "profile", {}),
    ("10 200 MB line (default limit)", "line_200mb.csv", long_line(200), "profile", {}),
    ("10 200 MB line (limit 256 MB)", "line_200mb.csv", long_line(200), "profile", {"DRIFTSCAN_MAX_RECORD_MB": "256"}),
    ("10 2 MB .gz of one 2 GB line", "bomb.csv.gz", gz_bomb, "profile", {}),
    ("10 100 MB JSON line (default limit)", "json_line.jsonl", json_long_line, "profile", {}),
    ("10 100 MB JSON line (limit 128 MB)", "json_line.jsonl", json_long_line, "profile", {"DRIFTSCAN_MAX_RECORD_MB": "128"}),
    ("13 JSON NaN/Infinity/1e400/BOM", "python.jsonl", json_python, "profile", {}),
    ("13 dictionary-encoded ints (Parquet)", "dictionary.parquet", parquet_dictionary, "profile", {}),
    ("13 100,000 columns x 20 rows: profile", "wide.csv", wide_csv, "profile", {}),
    ("13 100,000 columns x 20 rows: scan", "wide.csv", wide_csv, "scan", {}),
    ("profile inflating to 4 GB (128 KB)", "bomb.profile", profile_bomb, "merge", {}),
    ("100,000 files of one row", "small_files", small_files, "profile", {}),
    ("1 row of 1,000,000 columns", "million_columns.csv", million_columns, "profile", {}),
]


def run(binary: str, command: str, path: Path, env: dict, timeout: float):
    out = tempfile.mktemp(suffix=".profile")
    if command == "profile":
        args = [binary, "profile", "--input", str(path), "--out", out]
    elif command == "merge":
        args = [binary, "profile", "merge", str(path), "--out", out]
    else:
        args = [binary, "scan", "--baseline", str(path), "--target", str(path), "--json"]
    start = time.perf_counter()
    proc = subprocess.Popen(
        args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env={**os.environ, **env}
    )
    try:
        _, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        return timeout, 0, "timeout", f"killed after {timeout:.0f} s"
    # communicate() reaped the child: its peak RSS is in the children's usage.
    wall = time.perf_counter() - start
    rss = peak_rss_of_last_child()
    if os.path.exists(out):
        os.unlink(out)
    lines = [l for l in err.decode(errors="replace").splitlines() if l.strip()]
    first = lines[-1] if lines else ""
    return wall, rss, str(proc.returncode), first


def peak_rss_of_last_child() -> int:
    """ru_maxrss of RUSAGE_CHILDREN is the maximum over all children so far; each case runs in a
    fresh helper process so that the figure is this case's own."""
    import resource

    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--binary", default="target/release/driftscan")
    ap.add_argument("--data", default="bench-data/readers")
    ap.add_argument("--only", default=None, help="run only cases whose name contains this")
    ap.add_argument("--timeout", type=float, default=600)
    ap.add_argument("--case", type=int, default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    data = Path(args.data)
    data.mkdir(parents=True, exist_ok=True)

    if args.case is not None:
        # Child mode: run one case and print its row, so that RUSAGE_CHILDREN is this case's.
        name, file, make, command, env = CASES[args.case]
        path = write_once(data / file, make)
        wall, rss, code, first = run(args.binary, command, path, env, args.timeout)
        files = path.iterdir() if path.is_dir() else [path]
        size = sum(f.stat().st_size for f in files) / 1e6
        print(f"{name:<40} {size:>8.1f} {wall:>8.2f} {rss / 1e6:>9.0f} {code:>5}  {first[:110]}")
        return

    header = f"{'case':<40} {'MB':>8} {'wall s':>8} {'peak MB':>9} {'exit':>5}  last line of stderr"
    print(header)
    print("-" * 120)
    for i, (name, *_rest) in enumerate(CASES):
        if args.only and args.only not in name:
            continue
        subprocess.run(
            [sys.executable, __file__, "--binary", args.binary, "--data", args.data,
             "--timeout", str(args.timeout), "--case", str(i)],
            check=False,
        )


if __name__ == "__main__":
    main()
