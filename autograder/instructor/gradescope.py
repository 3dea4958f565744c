"""`autograder gradescope OUT.zip`: a Gradescope autograder bundle.

Gradescope unpacks the zip into `/autograder/source`, runs `setup.sh` once (as root) when it
builds the autograder image, and `run_autograder` for every submission, which it finds in
`/autograder/submission`; the score goes to `/autograder/results/results.json`.

The zip holds, at its root:

    setup.sh         installs Python >= 3.11, bubblewrap and the kit into /autograder/venv
    run_autograder   grades the submission with `autograder grade`, always leaves a results.json
    seed             the instructor's seed of the hidden cases (the same seed, the same cases)
    only             (with `--only EX1,EX2`) the exercises the bundle grades, one line,
                     comma-separated: the others are not graded, not scored, not in the total
    kit/             pyproject.toml, README.md, autograder/ and solutions/ (the hidden checks
                     need the reference; a Gradescope bundle is an instructor-side file)

Sizing for Gradescope's default limits (10 minutes, 768 MB, 0.5 vCPU):

* `run_autograder` runs `$PYTHON -m autograder.cli grade` (the venv's `autograder` command,
  spelled so that `AUTOGRADER_PYTHON` can pick another interpreter) from `kit/`, with `kit/`
  first on PYTHONPATH: the grader is the bundle's copy, and finds the reference solutions
  beside it (a plain `pip install` would put the package where `kit/solutions` is not).
* `run_autograder` stops the grader after `AUTOGRADER_BUDGET_S` (default 540 s) with a
  watchdog, so a results.json is written before Gradescope's own 10-minute kill, which would
  leave the student with nothing but "the autograder failed".
* `--timeout` (one exercise's worker; `AUTOGRADER_TIMEOUT_S`, default 180 s): the CNN worker
  imports TensorFlow and runs the CNN checks; the whole reference grades in about 20 s on one
  core, so 180 s leaves room for half a core and a slow disk and still bounds a hanging
  submission. Each call inside a worker has its own 20 s limit (the grader's default).
* the MNIST profile is pinned to `mnist-offline` (`AUTOGRADER_PROFILE`): 4,000 training
  digits, 3 epochs, no download; full MNIST would take minutes on half a core.
* memory: the worker's RLIMIT_AS (4 GiB) bounds address space, not resident memory, so it is
  no obstacle. Measured on the reference: the grader (which imports TensorFlow for the CNN's
  hidden checks) and the CNN worker peak at about 740 MB each, about 1.4 GB resident in all
  (shared TensorFlow pages counted twice). 768 MB is tight for the CNN exercise: give the
  autograder 2 GB in Gradescope's settings if CNN submissions fail with "exit code -9" or a
  killed worker.

The isolation of student code inside Gradescope's container depends on bubblewrap working
there (user namespaces); where it does not, the grader, root there, runs student code as an
unprivileged sandbox user (docs/sandbox.md). Either way it says so in one line on stderr at
the start of each grading (in the autograder's log) and in each result's `sandbox` field.

`--only EX1,EX2` writes the bundle's `only` file: the bundle then grades and scores those
exercises alone, so that an assignment of padding alone is out of padding's points, not the
whole kit's (`AUTOGRADER_ONLY` in run_autograder's environment still overrides it).
"""

from __future__ import annotations

import io
import os
import stat
import sys
import zipfile
from collections.abc import Iterator, Sequence
from pathlib import Path

import autograder

KIT_ROOT = Path(autograder.__file__).resolve().parents[1]
# What the bundle's kit/ holds, relative to the kit's root: enough to `pip install` it and to
# grade (the hidden checks load the reference solutions from kit/solutions).
KIT_FILES = ("pyproject.toml", "README.md", "LICENSE")
KIT_TREES = ("autograder", "solutions")
_SKIP_DIRS = {"__pycache__", ".mypy_cache", ".pytest_cache", ".ruff_cache"}
_SKIP_SUFFIXES = (".pyc", ".pyo", ".tmp", ".swp", "~")
# A fixed timestamp: the same kit and seed give the same zip, byte for byte.
_DATE = (2024, 1, 1, 0, 0, 0)

SETUP_SH = r"""#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder image (Ubuntu base image).
# It installs Python >= 3.11, bubblewrap (the grader's sandbox) and the kit into /autograder/venv.
set -euo pipefail
SOURCE=/autograder/source
VENV=/autograder/venv
export DEBIAN_FRONTEND=noninteractive

# Tolerant: an image that already has these, or a mirror that is down, is not fatal here.
apt-get update -y || true
apt-get install -y --no-install-recommends python3 python3-venv python3-pip bubblewrap \
    ca-certificates || true

python_ok() {  # a Python >= 3.11 with the venv module
    "$1" -c 'import sys, venv; sys.exit(sys.version_info < (3, 11))' >/dev/null 2>&1
}
pick_python() {
    for py in python3.13 python3.12 python3.11 python3; do
        if command -v "$py" >/dev/null 2>&1 && python_ok "$py"; then
            echo "$py"
            return 0
        fi
    done
    return 1
}
# Ubuntu 22.04's python3 is 3.10: take python3.11 from its universe component then.
PY="$(pick_python)" || {
    apt-get install -y --no-install-recommends python3.11 python3.11-venv || true
    PY="$(pick_python)" || { echo "setup.sh: no Python >= 3.11 could be installed" >&2; exit 1; }
}
echo "setup.sh: using $("$PY" --version) at $(command -v "$PY")"

"$PY" -m venv "$VENV"
"$VENV/bin/python" -m pip install --upgrade pip
"$VENV/bin/python" -m pip install "$SOURCE/kit"
chmod +x "$SOURCE/run_autograder" 2>/dev/null || true

# Fail the image build now rather than every grading run later: the kit, and TensorFlow.
"$VENV/bin/python" -c 'import autograder.cli, autograder.grading.grade
print("autograder", autograder.__version__)'
"$VENV/bin/python" -c 'from autograder.core.tfquiet import tensorflow
print("tensorflow", tensorflow().__version__)'
# Without bwrap the grader runs student code as an unprivileged sandbox user: the bundle's
# source (kit, solutions, seed) and the results must be root's alone. run_autograder names
# them in AUTOGRADER_HIDE and the grader refuses to start while that user can read them.
chmod -R go-rwx "$SOURCE"
mkdir -p /autograder/results && chmod 700 /autograder/results
if command -v bwrap >/dev/null 2>&1; then
    bwrap --ro-bind / / --unshare-all --die-with-parent true \
        && echo "setup.sh: bubblewrap works here" \
        || echo "setup.sh: bubblewrap cannot sandbox here; the grader falls back to plain subprocesses"
fi
"""

RUN_AUTOGRADER = r"""#!/usr/bin/env bash
# Gradescope runs this for every submission: it grades /autograder/submission with the kit and
# writes /autograder/results/results.json, also when grading fails or runs out of time.
#
# Environment (all optional; the defaults are Gradescope's layout and limits):
#   AUTOGRADER_ROOT       the /autograder folder (tests point it at a temporary copy)
#   AUTOGRADER_PYTHON     the interpreter that has the kit's dependencies (default: the venv
#                         that setup.sh made); the kit's code is taken from source/kit either way
#   AUTOGRADER_ONLY       grade only these exercises, comma-separated (default: those in
#                         source/only, written by `autograder gradescope --only`, else all)
#   AUTOGRADER_BUDGET_S   stop grading after this many seconds (default 540: Gradescope stops
#                         everything at 600 s, and the fallback results.json needs a moment)
#   AUTOGRADER_TIMEOUT_S  wall-clock limit of one exercise's sandboxed worker (default 180)
#   AUTOGRADER_PROFILE    the MNIST data profile (default mnist-offline: no download, 3 epochs)
set -uo pipefail

absolute() { case "$1" in /*) echo "$1" ;; *) echo "$PWD/$1" ;; esac; }
ROOT="$(absolute "${AUTOGRADER_ROOT:-/autograder}")"
SOURCE="$ROOT/source"
KIT="$SOURCE/kit"
SUBMISSION="$ROOT/submission"
RESULTS="$ROOT/results"
WORK="$RESULTS/tmp"
PYTHON="${AUTOGRADER_PYTHON:-$ROOT/venv/bin/python}"
if [[ "$PYTHON" == */* ]]; then PYTHON="$(absolute "$PYTHON")"; else PYTHON="$(command -v "$PYTHON")"; fi
BUDGET="${AUTOGRADER_BUDGET_S:-540}"
TIMEOUT="${AUTOGRADER_TIMEOUT_S:-180}"
PROFILE="${AUTOGRADER_PROFILE:-mnist-offline}"
ONLY="${AUTOGRADER_ONLY:-}"
if [[ -z "$ONLY" && -f "$SOURCE/only" ]]; then ONLY="$(tr -d '[:space:]' < "$SOURCE/only")"; fi
[[ "$BUDGET" =~ ^[0-9]+$ ]] || BUDGET=540
[[ "$TIMEOUT" =~ ^[0-9]+([.][0-9]+)?$ ]] || TIMEOUT=180

mkdir -p "$RESULTS"
rm -rf "$WORK"
rm -f "$RESULTS/results.json"

# results.json with score 0 and a message for the student; the details are in this script's
# output, which Gradescope shows to instructors only ("stdout_visibility": "hidden").
fallback() {
    local why="$1"
    printf '{"score": 0, "execution_time": %d, "output": "%s", %s}\n' "$SECONDS" "$why" \
        '"stdout_visibility": "hidden", "tests": []' > "$RESULTS/results.json"
    echo "run_autograder: $why"
}
HELP="Your submission got 0 points for now. Check that your files keep their names"
HELP+=" (padding.py, stride.py, ...) and resubmit; if this message stays, tell your instructor."

if [[ ! -x "$PYTHON" ]]; then
    fallback "The autograder is not installed correctly (no Python at its expected place):\
 setup.sh failed. $HELP"
    exit 0
fi

SEED_ARGS=()
SEED="$(tr -d '[:space:]' < "$SOURCE/seed" 2>/dev/null || true)"
if [[ "$SEED" =~ ^-?[0-9]+$ ]]; then
    SEED_ARGS=(--seed "$SEED")
else
    echo "run_autograder: no valid seed file in $SOURCE; using the kit's default seed" >&2
fi
ONLY_ARGS=()
[[ -n "$ONLY" ]] && ONLY_ARGS=(--only "$ONLY")
WATCHDOG=()
command -v timeout >/dev/null 2>&1 && WATCHDOG=(timeout --kill-after=10 "$BUDGET")

# The trusted grader must not import anything from the submission: run it from the kit's folder
# with the kit first on sys.path (the hidden checks find kit/solutions beside the package).
cd "$KIT" || { fallback "The autograder bundle is incomplete (no kit folder). $HELP"; exit 0; }
export PYTHONPATH="$KIT"
# What no student may read, and a grader that will not start while a sandbox user could.
chmod -R go-rwx "$SOURCE" "$RESULTS" 2>/dev/null || true
export AUTOGRADER_HIDE="$SOURCE:$RESULTS" AUTOGRADER_STRICT_HIDE=1
"${WATCHDOG[@]}" "$PYTHON" -m autograder.cli grade "$SUBMISSION" --out "$WORK" \
    --timeout "$TIMEOUT" --profile "$PROFILE" "${SEED_ARGS[@]}" "${ONLY_ARGS[@]}"
rc=$?

valid() {  # a results.json Gradescope can read: a number score and a list of tests
    "$PYTHON" -c 'import json, sys
data = json.load(open(sys.argv[1]))
assert isinstance(data["score"], (int, float)) and isinstance(data["tests"], list)' "$1" 2>/dev/null
}
if [[ $rc -eq 0 ]] && [[ -s "$WORK/results.json" ]] && valid "$WORK/results.json"; then
    mv "$WORK/results.json" "$RESULTS/results.json"
elif [[ $rc -eq 124 || $rc -eq 137 ]]; then
    fallback "Grading did not finish within the time limit of $BUDGET seconds (it may hang or be\
 very slow, e.g. an endless loop or a very large model). $HELP"
else
    fallback "The autograder failed while grading this submission (exit code $rc). $HELP"
fi
exit 0
"""


def _kit_files(root: Path) -> Iterator[tuple[Path, str]]:
    """(file, path in the zip) of every kit file the bundle carries, in a stable order."""
    for name in KIT_FILES:
        if (root / name).is_file():
            yield root / name, f"kit/{name}"
    for tree in KIT_TREES:
        for directory, subdirs, files in os.walk(root / tree):
            subdirs[:] = sorted(d for d in subdirs if d not in _SKIP_DIRS and not d.startswith("."))
            for name in sorted(files):
                if name.startswith(".") or name.endswith(_SKIP_SUFFIXES):
                    continue
                path = Path(directory) / name
                if path.is_symlink() or not path.is_file():
                    continue
                yield path, f"kit/{path.relative_to(root).as_posix()}"


def _entry(zf: zipfile.ZipFile, name: str, data: bytes, *, executable: bool = False) -> None:
    info = zipfile.ZipInfo(name, date_time=_DATE)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.create_system = 3  # Unix: the mode bits below are read by unzip and Gradescope
    info.external_attr = ((0o100755 if executable else 0o100644) & 0xFFFF) << 16
    zf.writestr(info, data)


def build(bundle: Path, *, seed: int | None = None, kit_root: Path = KIT_ROOT,
          only: Sequence[str] = ()) -> list[str]:
    """Write the bundle zip; returns the names it holds. `only`: the exercises it grades
    (default: all), checked against the registry (KeyError names the valid ones)."""
    from autograder.registry import exercise

    if seed is None:
        from autograder.grading.options import default_seed

        seed = default_seed()
    only = tuple(dict.fromkeys(only))
    for name in only:
        exercise(name)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        _entry(zf, "setup.sh", SETUP_SH.encode(), executable=True)
        _entry(zf, "run_autograder", RUN_AUTOGRADER.encode(), executable=True)
        _entry(zf, "seed", f"{int(seed)}\n".encode())
        if only:
            _entry(zf, "only", f"{','.join(only)}\n".encode())
        for path, name in _kit_files(kit_root):
            executable = bool(path.stat().st_mode & stat.S_IXUSR)
            _entry(zf, name, path.read_bytes(), executable=executable)
        names = zf.namelist()
    bundle.parent.mkdir(parents=True, exist_ok=True)
    temporary = bundle.with_name(f".{bundle.name}.tmp")
    temporary.write_bytes(buffer.getvalue())
    temporary.replace(bundle)  # atomic: never half a zip under the final name
    return names


def main(bundle: Path, *, seed: int | None = None, only: Sequence[str] = ()) -> int:
    """`autograder gradescope OUT.zip [--only EX1,EX2]`."""
    bundle = Path(bundle)
    if bundle.suffix.lower() != ".zip":
        print(f"autograder gradescope: {bundle} should end in .zip (Gradescope takes a zip file)",
              file=sys.stderr)
        return 2
    if bundle.is_dir():
        print(f"autograder gradescope: {bundle} is a folder", file=sys.stderr)
        return 2
    if seed is None:
        from autograder.grading.options import default_seed

        seed = default_seed()
    try:
        names = build(bundle, seed=seed, only=only)
    except KeyError as error:  # an unknown exercise: the message lists the valid ones
        print(f"autograder gradescope: {error.args[0]}", file=sys.stderr)
        return 2
    kit = [n for n in names if n.startswith("kit/")]
    size = bundle.stat().st_size
    print(f"Wrote {bundle} ({size / 1e6:.1f} MB): setup.sh, run_autograder, seed ({seed}), "
          + (f"only ({', '.join(dict.fromkeys(only))}), " if only else "")
          + f"kit/ ({len(kit)} files: pyproject.toml, README.md, autograder/, solutions/).")
    if only:
        print(f"It grades and scores only {', '.join(dict.fromkeys(only))}: the total is out of "
              "their points; set the assignment's points on Gradescope to match.")
    print("It holds the reference solutions and the hidden checks: give it to Gradescope only, "
          "never to students.")
    print("On Gradescope: Configure Autograder -> Zip file upload, an Ubuntu base image; 10 min "
          "is enough, but give it 2 GB of memory if CNN submissions get killed (see "
          "`python -m pydoc autograder.instructor.gradescope`).")
    return 0
