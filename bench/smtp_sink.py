#!/usr/bin/env python3
"""A counting SMTP sink on loopback for the benches (aiosmtpd, from PyPI).

Usage: python3 bench/smtp_sink.py PORT STATS_FILE

Accepts every message and, ten times a second, rewrites STATS_FILE with one line:
`messages unique first_accepted last_accepted` (Unix seconds, float), where unique counts
distinct Message-ID headers, so a duplicate delivery shows as messages > unique.
"""
import asyncio
import os
import re
import sys
import time

from aiosmtpd.controller import Controller

MESSAGE_ID = re.compile(rb"^Message-ID:\s*(\S+)", re.IGNORECASE | re.MULTILINE)


class Counter:
    def __init__(self) -> None:
        self.messages = 0
        self.ids: set[bytes] = set()
        self.first = 0.0
        self.last = 0.0

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        now = time.time()
        self.messages += 1
        found = MESSAGE_ID.search(envelope.original_content or envelope.content)
        if found:
            self.ids.add(found.group(1))
        if not self.first:
            self.first = now
        self.last = now
        return "250 OK"


def main() -> None:
    port, stats = int(sys.argv[1]), sys.argv[2]
    counter = Counter()
    controller = Controller(counter, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        while True:
            tmp = stats + ".tmp"
            with open(tmp, "w") as f:
                f.write(f"{counter.messages} {len(counter.ids)} {counter.first:.6f} {counter.last:.6f}\n")
            os.replace(tmp, stats)
            time.sleep(0.1)
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
