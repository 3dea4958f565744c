"""The `autograder` command line: it parses arguments and forwards to one module per verb."""

from __future__ import annotations

import argparse
import importlib.util
import sys
from collections.abc import Sequence
from pathlib import Path

from autograder.registry import EXERCISE_TIMEOUT_S, EXERCISES

# Verbs of the full kit, and the module each runs: the student bundle (`autograder release`)
# leaves these modules out, so there the verb is refused with a clear message.
INSTRUCTOR_VERBS = {
    "grade": "autograder.grading.grade", "batch": "autograder.instructor.batch",
    "gradescope": "autograder.instructor.gradescope",
    "notebooks": "autograder.instructor.notebooks", "release": "autograder.instructor.release",
    "classroom": "autograder.instructor.classroom",
    "similarity": "autograder.instructor.similarity",
    "doctor": "autograder.instructor.doctor", "dev": "autograder.authoring.dev",
}


def _exercise_dir(path: Path) -> Path:
    """`./exercises` when run from the kit's root, else the folder given."""
    return path / "exercises" if (path / "exercises").is_dir() else path


def _check(args: argparse.Namespace) -> int:
    from autograder.student import loop as student

    return student.main(args.exercises, _exercise_dir(args.dir), profile=args.profile,
                        verbose=args.verbose, quiet=args.quiet)


def _watch(args: argparse.Namespace) -> int:
    from autograder.student import watch

    return watch.main(args.exercises, _exercise_dir(args.dir), profile=args.profile,
                      verbose=args.verbose, quiet=args.quiet)


def _data(args: argparse.Namespace) -> int:
    from autograder.core import data

    print("Data profiles for the MNIST threshold check:")
    for name, ok, how in data.available(mnist_path=args.mnist):
        profile = data.PROFILES[name]
        print(f"  {'available  ' if ok else 'unavailable'}  {name:14s} {profile.n_train:,} train / "
              f"{profile.n_test:,} test, {profile.epochs} epochs, pass at {profile.threshold:.2f}"
              f"\n               {how}")
    dataset = data.load(None, mnist_path=args.mnist)
    print(f"Default here: {dataset.profile.name}" + (f"\n{dataset.note}" if dataset.note else ""))
    return 0


def _names(text: str) -> tuple[str, ...]:
    return tuple(n.strip() for n in text.split(",") if n.strip())


def _sandbox_line(hide: Sequence[Path] = (), where: str = "") -> None:
    """The one line on stderr that says how this machine protects itself from student code."""
    from autograder.instructor.doctor import sandbox_banner

    print(sandbox_banner(hide, where=where), file=sys.stderr, flush=True)


def _grade(args: argparse.Namespace) -> int:
    from autograder.grading import grade, render

    _sandbox_line([args.out] if args.out else [])
    seed = {} if args.seed is None else {"seed": args.seed}
    options = grade.Options(only=args.only, profile=args.profile, timeout_s=args.timeout,
                            hide=(args.out.resolve(),) if args.out else (), **seed)
    result = grade.grade(args.path, options)
    if args.out:
        grade.write_outputs(result, args.out)
    print(result.to_json() if args.json else render.terminal(result))
    if args.out and not args.json:
        print(f"Wrote {args.out}/result.json, feedback.md, feedback.html and results.json")
    return 0


def _batch(args: argparse.Namespace) -> int:
    from autograder.instructor import batch

    return batch.main(args.directory, out=args.out, jobs=args.jobs, resume=args.resume,
                      scheduler=args.scheduler, only=args.only, seed=args.seed,
                      profile=args.profile, timeout_s=args.timeout)


def _similarity(args: argparse.Namespace) -> int:
    from autograder.instructor import similarity

    return similarity.main(args.out, submissions=args.submissions, threshold=args.threshold,
                           top=args.top)


def _gradescope(args: argparse.Namespace) -> int:
    from autograder.instructor import gradescope

    _sandbox_line(where="Gradescope grades in its own container: its log and each result's "
                        "sandbox field say what holds there.")
    return gradescope.main(args.bundle, seed=args.seed, only=args.only)


def _notebooks(args: argparse.Namespace) -> int:
    from autograder.instructor import notebooks

    return notebooks.main(args.out, seed=args.seed, only=args.only)


def _release(args: argparse.Namespace) -> int:
    from autograder.instructor import release

    return release.main(args.out)


def _classroom(args: argparse.Namespace) -> int:
    from autograder.instructor import classroom

    return classroom.main(args.out)


def _doctor(args: argparse.Namespace) -> int:
    from autograder.instructor import doctor

    return doctor.main()


def _dev(args: argparse.Namespace) -> int:
    from autograder.authoring import dev

    return dev.main(args.rest)


def _add_grading_options(command: argparse.ArgumentParser) -> None:
    command.add_argument("--only", type=_names, default=(), metavar="EX1,EX2",
                         help="grade only these exercises")
    command.add_argument("--profile", help="MNIST data profile (see `autograder data`)")
    command.add_argument("--seed", type=int, default=None,
                         help="the instructor's seed for hidden cases (default: "
                              "$AUTOGRADER_SEED or the kit's fixed default)")
    command.add_argument("--timeout", type=float, default=EXERCISE_TIMEOUT_S, metavar="S",
                         help="wall-clock limit of one exercise's worker "
                              f"(default: {EXERCISE_TIMEOUT_S:g})")


def parser() -> argparse.ArgumentParser:
    names = [e.name for e in EXERCISES]
    top = argparse.ArgumentParser(prog="autograder", description="The CNN exercise kit.")
    verbs = top.add_subparsers(dest="verb", required=True, metavar="COMMAND")

    check = verbs.add_parser("check", help="run the public checks on your exercises (students)")
    watch = verbs.add_parser("watch", help="run the public checks again each time you save a "
                             ".py file (students; Ctrl-C stops)")
    for command, run in ((check, _check), (watch, _watch)):
        command.add_argument("exercises", nargs="*", metavar="EXERCISE",
                             help=f"one or more of: {', '.join(names)} (default: all)")
        command.add_argument("--dir", type=Path, default=Path("."),
                             help="the folder holding exercises/ or the modules (default: .)")
        command.add_argument("--profile", help="MNIST data profile (see `autograder data`)")
        command.add_argument("-v", "--verbose", action="store_true",
                             help="show passing checks' notes")
        command.add_argument("-q", "--quiet", action="store_true",
                             help="one line per exercise, then the progress line")
        command.set_defaults(run=run)

    grade = verbs.add_parser("grade", help="grade one submission, sandboxed (instructors)")
    grade.add_argument("path", type=Path, help="a folder of exercise modules, a .zip or a .ipynb")
    grade.add_argument("--out", type=Path, help="write result.json, feedback.md/.html and "
                       "Gradescope's results.json into this folder")
    grade.add_argument("--json", action="store_true", help="print only the result JSON")
    _add_grading_options(grade)
    grade.set_defaults(run=_grade)

    batch = verbs.add_parser("batch", help="grade a folder of submissions (instructors)")
    batch.add_argument("directory", type=Path, help="one submission per student: folders, "
                       ".zip files, notebooks, or nbgrader's submitted/<student>/<assignment>/")
    batch.add_argument("--out", type=Path, required=True, help="gradebook and feedback folder")
    batch.add_argument("--jobs", type=int, default=None, help="parallel gradings (default: cores)")
    batch.add_argument("--resume", action="store_true",
                       help="skip submissions whose content and settings are unchanged")
    batch.add_argument("--scheduler", metavar="ADDR",
                       help="a Dask distributed scheduler to grade on (e.g. tcp://host:8786)")
    _add_grading_options(batch)
    batch.set_defaults(run=_batch)

    alike = verbs.add_parser("similarity", help="which students' code is alike, for human review "
                             "(never changes a grade; needs the similarity extra)")
    alike.add_argument("out", type=Path, metavar="OUT", help="the OUT folder of a graded batch")
    alike.add_argument("--threshold", type=float, default=0.6,
                       help="flag a pair at this similarity, 0 to 1, in either direction "
                            "(default: 0.6)")
    alike.add_argument("--top", type=int, default=20,
                       help="the most alike pairs listed per exercise (default: 20)")
    alike.add_argument("--submissions", type=Path, metavar="DIR",
                       help="the batch's DIR (default: found beside OUT or above it, by the "
                            "content hashes the batch recorded)")
    alike.set_defaults(run=_similarity)

    bundle = verbs.add_parser("gradescope", help="build a Gradescope autograder bundle")
    bundle.add_argument("bundle", type=Path, metavar="OUT.zip")
    bundle.add_argument("--seed", type=int, default=None,
                        help="the seed of the hidden cases (default: as `autograder grade`)")
    bundle.add_argument("--only", type=_names, default=(), metavar="EX1,EX2",
                        help="the bundle grades and scores only these exercises")
    bundle.set_defaults(run=_gradescope)

    notebooks = verbs.add_parser("notebooks", help="generate an nbgrader course directory")
    notebooks.add_argument("out", type=Path, metavar="OUT")
    notebooks.add_argument("--seed", type=int, default=None,
                           help="the seed of the hidden cases (grade with the same seed)")
    notebooks.add_argument("--only", type=_names, default=(), metavar="EX1,EX2",
                           help="only these exercises")
    notebooks.set_defaults(run=_notebooks)

    release = verbs.add_parser("release", help="build the student bundle (no solution code)")
    release.add_argument("out", type=Path, metavar="OUT")
    release.set_defaults(run=_release)

    starter = verbs.add_parser("classroom", help="build a GitHub Classroom starter repository "
                               "(the student bundle and a workflow reporting the public checks)")
    starter.add_argument("out", type=Path, metavar="OUT")
    starter.set_defaults(run=_classroom)

    doctor = verbs.add_parser("doctor", help="what the sandbox on this machine really stops "
                              "(instructors)")
    doctor.set_defaults(run=_doctor)
    dev = verbs.add_parser("dev", add_help=False,
                           help="kit authors: `dev new NAME` scaffolds an exercise, `dev check` "
                                "runs the kit's invariants (`autograder dev --help`)")
    dev.add_argument("rest", nargs=argparse.REMAINDER)
    dev.set_defaults(run=_dev)
    data = verbs.add_parser("data", help="which MNIST data profiles are available here")
    data.add_argument("--mnist", type=Path, help="a full-MNIST mnist.npz to use")
    data.set_defaults(run=_data)
    return top


def _has_module(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except ModuleNotFoundError:  # its parent package is missing too
        return False


def main(argv: Sequence[str] | None = None) -> int:
    from autograder.core.data import DataUnavailable

    top = parser()
    args = top.parse_args(argv)
    if args.verb in INSTRUCTOR_VERBS and not _has_module(INSTRUCTOR_VERBS[args.verb]):
        print(f"autograder {args.verb}: not part of the student bundle (an instructor command of "
              "the full kit)", file=sys.stderr)
        return 2
    named = [*getattr(args, "exercises", ()), *getattr(args, "only", ())]
    unknown = [n for n in named if n not in {e.name for e in EXERCISES}]
    if unknown:
        top.error(f"unknown exercise {unknown[0]!r}; choose from: "
                  f"{', '.join(e.name for e in EXERCISES)}")
    try:
        return int(args.run(args))
    except DataUnavailable as error:
        print(f"autograder: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
