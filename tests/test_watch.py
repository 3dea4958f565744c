"""`autograder watch`: a real process, a real file saved under it, the checks run again."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from autograder.student import watch
from tests.conftest import ROOT, SOLUTIONS, STUBS

DEADLINE_S = 60.0  # generous: the course's machines have 2 cores, often busy


class Output:
    """A process's stdout, read line by line in a thread, so that waiting has a deadline."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.lines: list[str] = []
        self._queue: queue.Queue[str | None] = queue.Queue()
        assert process.stdout is not None
        stream = process.stdout

        def read() -> None:
            for line in stream:
                self._queue.put(line)
            self._queue.put(None)

        threading.Thread(target=read, daemon=True).start()

    def wait_for(self, *texts: str, after: int = 0, deadline_s: float = DEADLINE_S) -> int:
        """Wait until every text has appeared in the lines from `after` on; returns the number
        of lines read so far."""
        end = time.monotonic() + deadline_s
        while True:
            seen = "".join(self.lines[after:])
            if all(t in seen for t in texts):
                return len(self.lines)
            left = end - time.monotonic()
            if left <= 0:
                break
            try:
                line = self._queue.get(timeout=min(left, 1.0))
            except queue.Empty:
                continue
            if line is None:
                break
            self.lines.append(line)
        raise AssertionError(f"no {texts} within {deadline_s:g} s; output so far:\n"
                             + "".join(self.lines[-60:]))


@pytest.fixture()
def watching(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], Output, Path]]:
    folder = tmp_path / "exercises"
    folder.mkdir()
    (folder / "padding.py").write_text((STUBS / "padding.py").read_text())
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    process = subprocess.Popen(
        [sys.executable, "-m", "autograder.cli", "watch", "padding", "--dir", str(folder)],
        cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        yield process, Output(process), folder
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def test_a_saved_file_is_checked_again_and_ctrl_c_stops_cleanly(
        watching: tuple[subprocess.Popen[str], Output, Path]) -> None:
    process, output, folder = watching
    # the first run: the stub, 0 points, then the watching line
    read = output.wait_for("(padding.py): 0/15 points", "is not implemented yet",
                           "Progress: [", "Watching ")
    # the student saves a working padding.py: a new run sees the new text
    (folder / "padding.py").write_text((SOLUTIONS / "padding.py").read_text())
    read = output.wait_for("(padding.py): 15/15 points", "1/1 exercises, 15/15 points",
                           "All done", after=read)
    output.wait_for("Watching ", after=read)
    # and a bug saved after that is seen too (fresh modules every run, not the first import)
    buggy = (SOLUTIONS / "padding.py").read_text().replace(
        "return total // 2, total - total // 2", "return total - total // 2, total // 2")
    assert "total - total // 2, total // 2" in buggy
    (folder / "padding.py").write_text(buggy)
    output.wait_for("FAIL same_padding-even-kernel", "0/1 exercises", after=read)
    process.send_signal(signal.SIGINT)  # Ctrl-C
    assert process.wait(timeout=DEADLINE_S) in (0, 130)
    assert process.stderr is not None
    errors = process.stderr.read()
    assert "Traceback" not in errors, errors


def test_sibling_modules_are_imported_afresh(tmp_path: Path) -> None:
    """A module a student's file imports from the watched folder is dropped between runs."""
    (tmp_path / "helper_for_watch_test.py").write_text("VALUE = 1\n")
    sys.path.insert(0, str(tmp_path))
    try:
        import helper_for_watch_test

        assert helper_for_watch_test.VALUE == 1
        assert watch.forget_modules([tmp_path]) == ["helper_for_watch_test"]
        assert "helper_for_watch_test" not in sys.modules
    finally:
        sys.path.remove(str(tmp_path))
        sys.modules.pop("helper_for_watch_test", None)


def test_main_runs_once_per_batch_and_stops_on_ctrl_c(tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "exercises"
    folder.mkdir()
    (folder / "padding.py").write_text((STUBS / "padding.py").read_text())

    def changes(folders: Sequence[Path]) -> Iterator[set[str]]:
        assert folders == [folder.resolve()]
        yield set()  # watching
        (folder / "padding.py").write_text((SOLUTIONS / "padding.py").read_text())
        yield {"padding.py"}
        raise KeyboardInterrupt

    assert watch.main(["padding"], folder, changes=changes, clear=True) == 0
    out = capsys.readouterr().out
    assert out.count(watch.CLEAR) == 2
    first, second = out.split(watch.CLEAR)[1:]
    assert "0/15 points" in first and "15/15 points" in second
    assert second.rstrip().endswith("Stopped watching.")


def test_notifications_fall_back_to_polling_only_when_they_cannot_start(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import watchfiles

    asked: list[bool | None] = []

    def fake_watch(*paths: Path, force_polling: bool | None = None, **_: object) -> Iterator[set[str]]:
        asked.append(force_polling)
        if not force_polling:
            raise OSError("inotify instance limit reached")
        yield set()

    monkeypatch.setattr(watchfiles, "watch", fake_watch)
    notes: list[str] = []
    stream = watch.file_changes([tmp_path], note=notes.append)
    assert next(stream) == set()
    assert asked == [None, True]  # watchfiles' own choice first, polling only after it failed
    assert "unavailable" in notes[0] and "inotify instance limit" in notes[0]
