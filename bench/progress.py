"""The progress display on stderr: which benchmark, which phase, how far, how long.

On a terminal one line is redrawn in place; otherwise (a log, CI) a line is written
when a phase starts and at every tenth of its work, so the output stays short."""

from __future__ import annotations

import sys
import time
from typing import TextIO


class Progress:
    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stderr
        self.live = self.stream.isatty()
        self.started = time.monotonic()
        self.bench = ""
        self.phase = ""
        self._last_tenth = -1
        self._width = 0

    def _elapsed(self) -> str:
        seconds = int(time.monotonic() - self.started)
        return f"{seconds // 60:d}:{seconds % 60:02d}"

    def _write(self, text: str, *, final: bool = False) -> None:
        if self.live:
            padded = text.ljust(self._width)
            self._width = len(text)
            self.stream.write("\r" + padded + ("\n" if final else ""))
            if final:
                self._width = 0
        else:
            self.stream.write(text + "\n")
        self.stream.flush()

    def begin(self, bench: str, index: int, count: int) -> None:
        self.bench = f"[{index}/{count}] {bench}"
        self.phase = ""
        self._write(f"{self._elapsed()} {self.bench}: starting")

    def step(self, phase: str, done: int = 0, total: int = 0) -> None:
        """Report ``done`` of ``total`` units of ``phase`` (total 0: no count)."""
        if phase != self.phase:
            self.phase = phase
            self._last_tenth = -1
            if not self.live:
                self._write(f"{self._elapsed()} {self.bench}: {phase}")
        if total:
            tenth = done * 10 // total
            if not self.live and (tenth == self._last_tenth or tenth in (0, 10)):
                return
            self._last_tenth = tenth
            bar = ("#" * (done * 20 // total)).ljust(20, ".")
            self._write(f"{self._elapsed()} {self.bench}: {phase} [{bar}] {done}/{total}")
        elif self.live:
            self._write(f"{self._elapsed()} {self.bench}: {phase}")

    def end(self, summary: str) -> None:
        self._write(f"{self._elapsed()} {self.bench}: {summary}", final=True)
