#!/usr/bin/env python3
"""A real SMTP server for tests: accepts every message and writes it to a folder.

Each message becomes NNNN.eml (the DATA exactly as received) and NNNN.json (envelope sender and
recipients). Prints READY on stdout once the server accepts connections, then runs until stdin
closes or it receives SIGTERM/SIGINT, so a test that dies never leaves it behind.

    smtp_sink.py --port 2525 --out /tmp/mail [--host 127.0.0.1] [--reject-first N]

--reject-first N answers the first N messages with "451 try again later" (a transient failure),
to test that the sender retries.
"""

import argparse
import json
import os
import signal
import sys
import threading

from aiosmtpd.controller import Controller


class FolderHandler:
    def __init__(self, out, reject_first):
        self.out = out
        self.reject_left = reject_first
        self.count = 0
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            if self.reject_left > 0:
                self.reject_left -= 1
                return "451 4.3.0 Try again later"
            self.count += 1
            n = self.count
        base = os.path.join(self.out, f"{n:04d}")
        with open(base + ".json", "w", encoding="utf-8") as f:
            json.dump({"mail_from": envelope.mail_from, "rcpt_tos": list(envelope.rcpt_tos)}, f)
        # Write the .eml last, through a rename, so a reader never sees half a message.
        with open(base + ".eml.part", "wb") as f:
            f.write(envelope.original_content or envelope.content)
        os.replace(base + ".eml.part", base + ".eml")
        return "250 Message accepted for delivery"


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--reject-first", type=int, default=0)
    args = p.parse_args()
    os.makedirs(args.out, exist_ok=True)

    controller = Controller(FolderHandler(args.out, args.reject_first), hostname=args.host, port=args.port)
    controller.start()
    print("READY", flush=True)

    done = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: done.set())
    threading.Thread(target=lambda: (sys.stdin.read(), done.set()), daemon=True).start()
    done.wait()
    controller.stop()


if __name__ == "__main__":
    main()
