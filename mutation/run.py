"""The mutation run: cosmic-ray mutates each reference module, the grader judges each mutant.

    python -m mutation.run [--modules padding,stride] [--jobs 2] [--out build/mutation]
    python -m mutation.run --survivors    # rerun only the survivors of the last run
    python -m mutation.run --report-only  # recompute the report from the last run's sessions

Per module, in `OUT/<module>/`: a copy of `solutions/<module>.py` (cosmic-ray mutates files in
place, so the repository's own solutions are never touched), a cosmic-ray config, and its
session database. `cosmic-ray init` lists the mutants; the ones that are not code are marked
skipped (type annotations are never evaluated under `from __future__ import annotations`), and
so are those of `build_cnn` and `reference_model`, which only a Keras training run could judge;
`cosmic-ray exec` then runs `python -m mutation.kill` (the grader's public and hidden checks, in
process) on each. The score of a module is killed / non-equivalent mutants, the equivalent ones
being the survivors listed in `mutation/equivalent.toml`, keyed by a stable description (module,
function, the line before and after), not by cosmic-ray's run-specific ids.
"""

from __future__ import annotations

import argparse
import ast
import json
import shutil
import subprocess
import sys
import time
import tomllib
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EQUIVALENT = Path(__file__).with_name("equivalent.toml")
MODULES = ("cross_correlation", "padding", "stride", "pooling", "cnn")
TARGETS = {"cnn": 0.95}  # the share of non-equivalent mutants to kill; 1.0 for the others
NOT_MUTATED = {"cnn": ("build_cnn", "reference_model")}  # judged only by a Keras training run
TIMEOUT_S = 60.0  # one mutant's grading: ~0.5 s, or ~6 s for one that imports TensorFlow
Span = tuple[tuple[int, int], tuple[int, int]]


@dataclass(frozen=True)
class Mutant:
    module: str
    key: str  # stable: module, function, the changed line(s) before and after
    operator: str
    line: int
    outcome: str  # killed, survived, incompetent, or "skipped: why"
    output: str = ""  # the grader's last lines: which checks killed it


# --- preparing a session --------------------------------------------------------------------

def annotation_spans(source: str) -> list[Span]:
    """Where the type annotations of a module are: mutating them changes no behaviour."""
    spans = []
    for node in ast.walk(ast.parse(source)):
        annotations: list[ast.expr | None] = []
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            arguments = [*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs,
                         node.args.vararg, node.args.kwarg]
            annotations = [a.annotation for a in arguments if a is not None] + [node.returns]
        elif isinstance(node, ast.AnnAssign):
            annotations = [node.annotation]
        spans += [((a.lineno, a.col_offset), (a.end_lineno or a.lineno, a.end_col_offset or 0))
                  for a in annotations if a is not None]
    return spans


def skip_reason(module: str, definition: str | None, start: tuple[int, int],
                annotations: Sequence[Span]) -> str | None:
    if any(begin <= start < end for begin, end in annotations):
        return "skipped: a type annotation"
    if definition in NOT_MUTATED.get(module, ()):
        return f"skipped: {definition} (judged by the MNIST training check only)"
    return None


def kill_command(module: str, folder: Path, seed: int, public_only: bool = False) -> str:
    flag = " --public-only" if public_only else ""
    return f"{sys.executable} -m mutation.kill {module} {folder} --seed {seed}{flag}"


def write_config(module: str, folder: Path, seed: int, public_only: bool) -> Path:
    from cosmic_ray.config import serialize_config

    command = kill_command(module, folder, seed, public_only)
    config = {"module-path": str(folder / f"{module}.py"), "timeout": TIMEOUT_S,
              "excluded-modules": [], "test-command": command,
              "distributor": {"name": "local"}}
    path = folder.parent / "cosmic-ray.toml"
    path.write_text(serialize_config(config))
    return path


def prepare(module: str, work: Path, seed: int, public_only: bool = False) -> Path:
    """A fresh session for one module: the copy to mutate, the config, the mutants listed and
    the ones that are not code marked skipped. Returns the module's folder."""
    from cosmic_ray.work_db import WorkDB, use_db
    from cosmic_ray.work_item import WorkerOutcome, WorkResult

    shutil.rmtree(work, ignore_errors=True)
    folder = work / "submission"
    folder.mkdir(parents=True)
    source = (ROOT / "solutions" / f"{module}.py").read_text()
    (folder / f"{module}.py").write_text(source)
    config = write_config(module, folder, seed, public_only)
    _cosmic_ray("init", str(config), str(work / "session.sqlite"))
    annotations = annotation_spans(source)
    with use_db(str(work / "session.sqlite"), WorkDB.Mode.open) as db:
        for item in db.pending_work_items:
            spec = item.mutations[0]
            why = skip_reason(module, spec.definition_name, spec.start_pos, annotations)
            if why:
                db.set_result(item.job_id, WorkResult(output=why,
                                                      worker_outcome=WorkerOutcome.SKIPPED))
    return work


def baseline(module: str, work: Path, seed: int) -> None:
    """The unmutated copy must keep every point, or no mutant's result means anything."""
    done = subprocess.run(kill_command(module, work / "submission", seed).split(), cwd=ROOT,
                          capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"{module}: the reference itself loses points:\n{done.stdout}{done.stderr}")


def _cosmic_ray(*args: str) -> None:
    executable = Path(sys.executable).with_name("cosmic-ray")
    subprocess.run([str(executable), *args], cwd=ROOT, check=True, capture_output=True)


# --- running --------------------------------------------------------------------------------

def execute(works: Sequence[Path], jobs: int) -> None:
    """`cosmic-ray exec` of each session, `jobs` sessions at a time (each runs its mutants one
    after the other: cosmic-ray mutates the file in place)."""
    executable = str(Path(sys.executable).with_name("cosmic-ray"))
    waiting, running = list(works), list[subprocess.Popen[bytes]]()
    while waiting or running:
        while waiting and len(running) < jobs:
            work = waiting.pop(0)
            log = (work / "exec.log").open("w")
            running.append(subprocess.Popen(
                [executable, "exec", str(work / "cosmic-ray.toml"), str(work / "session.sqlite")],
                cwd=ROOT, stdout=log, stderr=subprocess.STDOUT))
        time.sleep(0.5)
        running = [p for p in running if p.poll() is None]


def rerun_survivors(work: Path) -> None:
    """Judge the last run's survivors again (after new checks), through cosmic-ray's own
    mutate-and-test, in place of a full run."""
    from cosmic_ray.config import load_config
    from cosmic_ray.mutating import mutate_and_test
    from cosmic_ray.work_db import WorkDB, use_db
    from cosmic_ray.work_item import TestOutcome

    config = load_config(str(work / "cosmic-ray.toml"))
    with use_db(str(work / "session.sqlite"), WorkDB.Mode.open) as db:
        for item, result in db.completed_work_items:
            if result.test_outcome == TestOutcome.SURVIVED:
                db.set_result(item.job_id, mutate_and_test(item.mutations, config.test_command,
                                                           config.timeout))


# --- results --------------------------------------------------------------------------------

def _changed_lines(diff: str) -> tuple[list[str], list[str]]:
    body = [line for line in diff.splitlines()[3:] if not line.startswith("@@")]
    old = [" ".join(line[1:].split()) for line in body if line.startswith("-")]
    new = [" ".join(line[1:].split()) for line in body if line.startswith("+")]
    return old, new


def describe(module: str, definition: str | None, diff: str) -> str:
    """A mutant's stable description: where it is and what it changes."""
    old, new = _changed_lines(diff)
    return f"{module}.py {definition or '<module>'}: {' / '.join(old)} -> {' / '.join(new)}"


def collect(module: str, work: Path) -> list[Mutant]:
    """Every mutant of a session with its outcome; a repeated description gets a #n suffix."""
    from cosmic_ray.work_db import WorkDB, use_db

    mutants: list[Mutant] = []
    seen: dict[str, int] = {}
    with use_db(str(work / "session.sqlite"), WorkDB.Mode.open) as db:
        items = sorted(db.completed_work_items, key=lambda pair: (
            pair[0].mutations[0].start_pos, pair[0].mutations[0].operator_name,
            pair[0].mutations[0].occurrence))
        for item, result in items:
            spec = item.mutations[0]
            operator = spec.operator_name.split("/")[-1]
            skipped = result.worker_outcome == "skipped"
            key = (f"{module}.py {spec.definition_name}: {operator} at line {spec.start_pos[0]}"
                   if skipped or not result.diff else describe(module, spec.definition_name, result.diff))
            seen[key] = seen.get(key, 0) + 1
            key += f" #{seen[key]}" if seen[key] > 1 else ""
            outcome = (result.output or "skipped") if skipped else (
                result.test_outcome or result.worker_outcome).value
            mutants.append(Mutant(module, key, operator, spec.start_pos[0], outcome,
                                  "" if skipped else (result.output or "")[-600:]))
    return mutants


@dataclass(frozen=True)
class Equivalent:
    reason: str
    outside: bool = False  # differs only on inputs the contract leaves undefined


def load_equivalents(path: Path = EQUIVALENT) -> dict[str, Equivalent]:
    """The mutants known to compute the same function, by description."""
    entries = tomllib.loads(path.read_text()).get("equivalent", []) if path.exists() else []
    return {e["mutant"]: Equivalent(e["reason"], bool(e.get("outside", False))) for e in entries}


@dataclass(frozen=True)
class Score:
    module: str
    mutants: int
    skipped: int
    killed: int
    equivalent: int
    outside: int  # of the equivalent ones, those that differ only outside the contract
    survived: list[str]  # descriptions of the survivors not listed as equivalent
    incompetent: list[str]
    stale: list[str]  # listed as equivalent, yet killed (or gone): the list needs a look
    target: float

    @property
    def non_equivalent(self) -> int:
        return self.killed + len(self.survived) + len(self.incompetent)

    @property
    def ratio(self) -> float:
        return self.killed / self.non_equivalent if self.non_equivalent else 1.0

    @property
    def met(self) -> bool:
        return self.ratio >= self.target


def score(module: str, mutants: Sequence[Mutant], equivalents: dict[str, Equivalent]) -> Score:
    run = [m for m in mutants if not m.outcome.startswith("skipped")]
    survived = [m.key for m in run if m.outcome == "survived"]
    keys = {m.key for m in run}
    mine = {k for k in equivalents if k.startswith(f"{module}.py ")}
    stale = sorted(k for k in mine if k not in keys or k not in survived)
    return Score(module, len(mutants), len(mutants) - len(run),
                 sum(m.outcome == "killed" for m in run),
                 sum(k in equivalents for k in survived),
                sum(k in equivalents and equivalents[k].outside for k in survived),
                 [k for k in survived if k not in equivalents],
                 [m.key for m in run if m.outcome not in ("killed", "survived")], stale,
                 TARGETS.get(module, 1.0))


def report(scores: Sequence[Score], seconds: float | None, seed: int) -> str:
    """The short report: the score per module, then whatever needs a look."""
    took = "the last run's sessions" if seconds is None else f"{seconds:.0f} s"
    lines = [f"# Mutation score of the grader (cosmic-ray, seed {seed}, {took})", "",
             "| module | mutants | skipped | equivalent (outside the contract) | "
             "killed / non-equivalent | target |", "|---|---|---|---|---|---|"]
    lines += [f"| {s.module}.py | {s.mutants} | {s.skipped} | {s.equivalent} ({s.outside}) | "
              f"{s.killed} / "
              f"{s.non_equivalent} = {100 * s.ratio:.1f} % | {100 * s.target:.0f} % "
              f"{'met' if s.met else 'MISSED'} |" for s in scores]
    lines += ["", "Skipped: mutants of type annotations (never evaluated) and of cnn.py's "
              "build_cnn and reference_model (judged only by the MNIST training check)."]
    for s in scores:
        for title, keys in (("survived, not listed as equivalent", s.survived),
                            ("incompetent (the test command failed to run)", s.incompetent),
                            ("listed as equivalent but killed or gone", s.stale)):
            if keys:
                lines += ["", f"## {s.module}.py: {title}", "", *(f"- `{k}`" for k in keys)]
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    from autograder.grading.options import default_seed

    parser = argparse.ArgumentParser(prog="python -m mutation.run", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--modules", default=",".join(MODULES))
    parser.add_argument("--jobs", type=int, default=2, help="sessions run at once")
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "mutation")
    parser.add_argument("--seed", type=int, default=default_seed())
    parser.add_argument("--survivors", action="store_true", help="rerun the last survivors")
    parser.add_argument("--report-only", action="store_true", help="no run, only the report")
    parser.add_argument("--public-only", action="store_true",
                        help="judge with the public checks alone (what the student loop sees)")
    args = parser.parse_args(argv)
    modules = [m for m in args.modules.split(",") if m]
    works = [args.out / m for m in modules]
    started = time.perf_counter()
    if args.survivors:
        for work in works:
            rerun_survivors(work)
    elif not args.report_only:
        for module, work in zip(modules, works, strict=True):
            prepare(module, work, args.seed, args.public_only)
            baseline(module, work, args.seed)
        execute(sorted(works, key=lambda w: w.name != "cnn"), args.jobs)  # the longest first
    seconds = None if args.report_only else time.perf_counter() - started
    return write_report(modules, works, args.out, seconds, args.seed)


def write_report(modules: Sequence[str], works: Sequence[Path], out: Path,
                 seconds: float | None, seed: int) -> int:
    equivalents = load_equivalents()
    mutants = {m: collect(m, w) for m, w in zip(modules, works, strict=True)}
    scores = [score(m, mutants[m], equivalents) for m in modules]
    text = report(scores, seconds, seed)
    (out / "report.md").write_text(text)
    (out / "mutants.json").write_text(json.dumps(
        {m: [asdict(x) for x in ms] for m, ms in mutants.items()}, indent=1))
    print(text, end="")
    print(f"(written to {out / 'report.md'}; every mutant in {out / 'mutants.json'})")
    return 0 if all(s.met for s in scores) else 1


if __name__ == "__main__":
    sys.exit(main())
