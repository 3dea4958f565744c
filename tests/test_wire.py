"""The outcome stream (autograder.grading.wire): what the worker writes reads back exactly, a
large or non-numeric array takes a file of its own, and whatever a hostile or dying worker
leaves becomes a missing or malformed case, never a crash or a hang of the grader. Real
files; the sandboxed end is in tests/test_hostile.py."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from autograder.core.calls import Outcome
from autograder.grading import wire


@pytest.fixture
def out(tmp_path: Path) -> Iterator[Path]:
    folder = tmp_path / "out"
    folder.mkdir()
    yield folder
    wire.close_outcomes()


def _append(out: Path, data: bytes) -> None:
    with open(out / wire.OUTCOMES, "ab") as stream:
        stream.write(data)


@pytest.mark.parametrize("array", [
    np.arange(12, dtype=np.float32).reshape(3, 4),
    np.array([[1 + 2j]], dtype=np.complex128),
    np.zeros((0, 5), dtype=np.int16),
    np.asfortranarray(np.arange(6.0).reshape(2, 3)),
    np.array(True),
    np.arange(6, dtype=">i4"),  # another byte order
])
def test_an_outcome_reads_back_as_it_was_written(out: Path, array: np.ndarray) -> None:
    sent = Outcome(type_name="numpy.ndarray", is_ndarray=True, array=array, value=(1, "a"),
                   error=None, modified=("x",), details="d", data={"k": [1, 2]},
                   refused=("r",))
    wire.write_outcome(out, "0", sent)
    wire.close_outcomes()
    got = wire.read_outcomes(out).get("0")
    assert got.array is not None and got.array.dtype == array.dtype
    assert got.array.shape == array.shape and np.array_equal(got.array, array)
    assert (got.value, got.modified, got.details, got.data, got.refused) == \
        ((1, "a"), ("x",), "d", {"k": [1, 2]}, ("r",))
    assert list(out.iterdir()) == [out / wire.OUTCOMES]  # inline: no file of its own


def test_a_large_array_takes_a_file_of_its_own(out: Path) -> None:
    big = np.ones(wire.INLINE_ARRAY_BYTES // 8 + 1)
    wire.write_outcome(out, "3", Outcome(type_name="numpy.ndarray", is_ndarray=True, array=big))
    assert (out / "3.npy").is_file()
    assert np.array_equal(wire.read_outcomes(out).get("3").array, big)


def test_many_outcomes_share_one_stream_and_the_last_record_of_a_key_counts(out: Path) -> None:
    for index in range(50):
        wire.write_outcome(out, str(index), Outcome(type_name="int", value=index))
    wire.write_outcome(out, "7", Outcome(type_name="int", value=-7))  # written again
    read = wire.read_outcomes(out)
    assert [read.get(str(i)).value for i in range(50)] == [-7 if i == 7 else i
                                                           for i in range(50)]
    assert sorted(p.name for p in out.iterdir()) == [wire.OUTCOMES]


def test_a_record_cut_short_reads_as_never_written(out: Path) -> None:
    wire.write_outcome(out, "0", Outcome(type_name="numpy.ndarray", is_ndarray=True,
                                         array=np.arange(100.0)))
    whole = (out / wire.OUTCOMES).read_bytes()
    (out / wire.OUTCOMES).write_bytes(whole[:-10])  # the worker killed mid-write
    with pytest.raises(wire.BadResult, match=r"^no result was written$"):
        wire.read_outcomes(out).get("0")
    (out / wire.OUTCOMES).write_bytes(whole[:20])  # ... or mid-header
    with pytest.raises(wire.BadResult, match=r"^no result was written$"):
        wire.read_outcomes(out).get("0")


@pytest.mark.parametrize(("line", "says"), [
    (b"{not json\n", "not valid JSON"),
    (b"[" * 100_000 + b"]" * 100_000 + b"\n", "not valid JSON"),
    (b'["a list"]\n', "not a JSON object"),
    (b'{"key": 0}\n', "not a JSON object"),
    (b'{"key": "1", "array": {"dtype": "O", "shape": [1]}}\n', "not numeric"),
    (b'{"key": "1", "array": {"dtype": "i4,i4", "shape": [1]}}\n', "not numeric"),
    (b'{"key": "1", "array": {"dtype": "<U5", "shape": [1]}}\n', "not numeric"),
    (b'{"key": "1", "array": {"dtype": "nonsense", "shape": [1]}}\n', "not numeric"),
    (b'{"key": "1", "array": {"dtype": "<f8", "shape": [-1]}}\n', "malformed array shape"),
    (b'{"key": "1", "array": {"dtype": "<f8", "shape": "3"}}\n', "malformed array shape"),
    (b'{"key": "1", "array": {"dtype": "<f8", "shape": [65536, 65536, 65536]}}\n',
     "too large"),
    (b'{"key": "1", "array": {"dtype": "<f8", "shape": [' + b", ".join([b"268435456"] * 32)
     + b']}}\n', "too large"),  # past what a float can count
    (b'{"key": "1", "array": {"dtype": "(2,)f8", "shape": [1]}}\n', "not numeric"),
])
def test_a_malformed_record_fails_every_case_not_read_before_it(out: Path, line: bytes,
                                                                says: str) -> None:
    wire.write_outcome(out, "0", Outcome(type_name="int", value=1))
    _append(out, line)
    wire.write_outcome(out, "2", Outcome(type_name="int", value=2))
    read = wire.read_outcomes(out)
    assert read.get("0").value == 1
    for key in ("1", "2"):
        with pytest.raises(wire.BadResult, match=says):
            read.get(key)


def test_fields_of_the_wrong_type_are_a_malformed_case(out: Path) -> None:
    _append(out, json.dumps({"key": "0", "error_types": 1}).encode() + b"\n")
    _append(out, json.dumps({"key": "1", "data": [1]}).encode() + b"\n")
    read = wire.read_outcomes(out)
    with pytest.raises(wire.BadResult, match="malformed error or modified list"):
        read.get("0")
    with pytest.raises(wire.BadResult, match="probe data is not an object"):
        read.get("1")


def test_what_is_not_a_regular_file_is_never_opened_for_its_data(out: Path,
                                                                  tmp_path: Path) -> None:
    os.mkfifo(out / wire.OUTCOMES)  # a pipe: reading it would wait for a writer forever
    with pytest.raises(wire.BadResult, match="not a regular file"):
        wire.read_outcomes(out).get("0")
    (out / wire.OUTCOMES).unlink()
    wire.write_outcome(tmp_path, "0", Outcome(type_name="int", value=42))
    wire.close_outcomes()
    os.symlink(tmp_path / wire.OUTCOMES, out / wire.OUTCOMES)  # a link to another stream
    with pytest.raises(wire.BadResult, match="not a regular file"):
        wire.read_outcomes(out).get("0")
    (out / wire.OUTCOMES).unlink()
    os.mkfifo(out / "0.npy")
    _append(out, json.dumps({"key": "0", "array": "file"}).encode() + b"\n")
    with pytest.raises(wire.BadResult, match="not a regular file"):
        wire.read_outcomes(out).get("0")


def test_a_missing_stream_or_folder_means_nothing_was_written(tmp_path: Path) -> None:
    for folder in (tmp_path, tmp_path / "absent"):
        with pytest.raises(wire.BadResult, match=r"^no result was written$"):
            wire.read_outcomes(folder).get("import")
