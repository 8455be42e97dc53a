"""The ``driftscan`` command installed by the wheel: the Rust command line inside the extension."""

from __future__ import annotations

import signal
import sys


def main() -> None:
    """Runs ``driftscan`` with ``sys.argv`` and exits with its status."""
    from driftscan import _driftscan

    # The engine does the work; Ctrl-C ends the command as it ends the standalone binary.
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    sys.stdout.flush()
    sys.exit(_driftscan.cli_main(["driftscan", *sys.argv[1:]]))


if __name__ == "__main__":
    main()
