"""Capped capture of a child's output: the first bytes of a stream are kept, the rest counted
and dropped, so a child that floods stdout never blocks and never fills the grader's memory.
Shared by the real sandbox and the test double, so both mark truncation the same way."""

from __future__ import annotations

READ_CHUNK = 65536  # bytes per os.read from a child's pipe


class Capture:
    """Keeps the first `cap` bytes of a stream, counts the rest."""

    def __init__(self, name: str, cap: int) -> None:
        self.name = name
        self.cap = cap
        self.kept = bytearray()
        self.dropped = 0

    def feed(self, data: bytes) -> None:
        room = max(self.cap - len(self.kept), 0)
        self.kept += data[:room]
        self.dropped += max(len(data) - room, 0)

    def text(self) -> str:
        out = bytes(self.kept).decode("utf-8", errors="replace")
        if self.dropped:
            out += (
                f"\n[sandbox: {self.dropped} more bytes of {self.name} dropped after the first "
                f"{self.cap}]\n"
            )
        return out
