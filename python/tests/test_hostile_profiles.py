"""Damaged and hostile profile bytes through ``Profile.load``, ``Profile.from_bytes`` and
unpickling: each raises a ``driftscan`` error and the interpreter lives, whatever the bytes (a
profile bomb of a few hundred KB that inflates to gigabytes, truncated, bit-flipped and inflated
copies of a valid profile)."""

from __future__ import annotations

import pickle
import random
import resource
import subprocess
import sys
import textwrap

import pytest

import driftscan
from conftest import frame

#: Bytes before a profile's compressed payload: magic, format version, decoded length.
HEADER = 20


def rle_zeros(size: int) -> bytes:
    """A zstd frame that inflates to ``size`` zero bytes, four bytes per 128 KiB: one RLE block
    each (RFC 8878, 3.1.1: a frame header with a 128 KiB window and no content size, then blocks
    whose 3-byte header says last-block, type 1 = RLE and the regenerated size)."""
    block = 128 << 10
    out = bytearray(b"\x28\xb5\x2f\xfd" + bytes([0x00, 7 << 3]))
    while size > 0:
        n = min(size, block)
        size -= n
        header = (n << 3) | (1 << 1) | (1 if size == 0 else 0)
        out += header.to_bytes(3, "little") + b"\x00"
    return bytes(out)


@pytest.fixture(scope="module")
def valid() -> bytes:
    return driftscan.profile(frame(300, 1)).to_bytes()


def bomb(valid: bytes, size: int = 4 << 30) -> bytes:
    """The valid profile's header (declaring its own payload's length) before a stream of
    ``size`` zero bytes."""
    return valid[:HEADER] + rle_zeros(size)


def version_3(valid: bytes, size: int) -> bytes:
    """A version 3 header, which declares no length, before a stream of ``size`` zero bytes."""
    return valid[:8] + (3).to_bytes(4, "little") + rle_zeros(size)


class _Pickled:
    """Unpickles as ``Profile.from_bytes(data)``: a pickle of a profile with other bytes."""

    def __init__(self, data: bytes):
        self.data = data

    def __reduce__(self):
        return (driftscan.Profile.from_bytes, (self.data,))


def peak_rss() -> int:
    """This process's peak resident memory so far, in bytes."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def test_a_profile_bomb_raises_everywhere_and_the_interpreter_lives(valid, workdir):
    before = peak_rss()
    # A version 3 file has no declared length: it is refused by its version, before any byte of
    # it is inflated.
    hostile = {
        "bomb": (bomb(valid), "corrupt profile"),
        "version 3 bomb": (version_3(valid, 2 << 30), "profile format version 3 is not supported"),
    }
    assert len(hostile["bomb"][0]) < 200_000
    for name, (data, message) in hostile.items():
        path = workdir / f"{name.replace(' ', '_')}.profile"
        path.write_bytes(data)
        with pytest.raises(driftscan.DriftscanError, match=message):
            driftscan.Profile.load(path)
        with pytest.raises(driftscan.DriftscanError, match=message):
            driftscan.Profile.from_bytes(data)
        with pytest.raises(driftscan.DriftscanError, match=message):
            pickle.loads(pickle.dumps(_Pickled(data)))
    # Never near the bombs' sizes.
    assert peak_rss() - before < 3 << 29, f"peak RSS grew by {(peak_rss() - before) >> 20} MB"
    # Still alive, and a real profile still reads and unpickles.
    assert driftscan.Profile.from_bytes(valid).to_bytes() == valid
    assert pickle.loads(pickle.dumps(driftscan.Profile.from_bytes(valid))).to_bytes() == valid


def mutations(valid: bytes, seed: int = 12) -> list[bytes]:
    """Truncated, bit-flipped and inflated copies of a valid profile."""
    rng = random.Random(seed)
    out = [valid[:n] for n in sorted(rng.sample(range(len(valid)), 40))]
    for _ in range(120):
        b = bytearray(valid)
        for _ in range(rng.randint(1, 8)):
            b[rng.randrange(len(b))] ^= 1 << rng.randrange(8)
        out.append(bytes(b))
    declared = int.from_bytes(valid[12:HEADER], "little")
    for factor in (2, 1000, 1 << 40):
        out.append(valid[:12] + (declared * factor).to_bytes(8, "little") + valid[HEADER:])
    out += [bomb(valid, 64 << 20), bomb(valid), version_3(valid, 3 << 30)]
    return out


CHILD = textwrap.dedent(
    """
    import pickle, sys
    import driftscan

    class Pickled:
        def __init__(self, data):
            self.data = data
        def __reduce__(self):
            return (driftscan.Profile.from_bytes, (self.data,))

    read = refused = 0
    for data in pickle.load(sys.stdin.buffer):
        for load in (driftscan.Profile.from_bytes, lambda d: pickle.loads(pickle.dumps(Pickled(d)))):
            try:
                load(data)
                read += 1
            except driftscan.DriftscanError:
                refused += 1
    print(read, refused)
    """
)


def limit_address_space() -> None:
    """3 GiB of address space: far more than the child needs, far less than a bomb read whole."""
    resource.setrlimit(resource.RLIMIT_AS, (3 << 30, 3 << 30))


def test_damaged_profile_bytes_never_kill_the_interpreter(valid):
    copies = mutations(valid)
    proc = subprocess.run(
        [sys.executable, "-c", CHILD],
        input=pickle.dumps(copies),
        capture_output=True,
        timeout=600,
        preexec_fn=limit_address_space,
    )
    assert proc.returncode == 0, (
        f"the interpreter died (exit {proc.returncode}): {proc.stderr.decode(errors='replace')[-2000:]}"
    )
    read, refused = map(int, proc.stdout.split())
    assert read + refused == 2 * len(copies)
    # Every truncated and inflated copy is refused; a flipped bit may land where any value reads.
    assert refused >= 2 * (40 + 6)
