"""The course's `nbgrader_config.py`: headless settings that make nbgrader's score of a notebook
equal the kit's (course id, gradebook, timeouts, kernel, TensorFlow's stderr noise ignored), and
two preprocessors of the kit's own, defined in that file (it is the only file of the course that
every nbgrader command reads):

- `RestoreHiddenTests`, first step of `nbgrader autograde`'s sanitizing: a locked test cell that
  a student submitted as released (its hidden tests cut out) gets its instructor source back
  before nbgrader's `OverwriteCells` compares checksums. nbgrader stores the checksum of the
  source cell, hidden tests included, so it would otherwise warn "Attribute 'checksum' for cell
  ... has changed!" for every test cell of every submission (jupyter/nbgrader#1961), and a
  warning about a test cell a student really changed would drown among them.
- `HideHiddenTests`, in `nbgrader generate_feedback`: the autograded notebook that feedback
  renders holds the instructor's test cells, hidden tests included (nbgrader's default
  feedback shows them whole). It cuts the hidden regions out of the test cells, as the release
  does, and their lines out of the cells' outputs (a traceback quotes the lines around the
  failing one).
"""

COURSE_ID = "cnn-unit"

# nbgrader scores a test cell 0 when it wrote anything to stderr; these are the lines that
# TensorFlow, absl, oneDNN, XLA and Keras write on their own. A stderr output that matches is
# dropped before scoring (IgnorePattern drops the whole output when the pattern occurs in it).
IGNORE_PATTERN = (
    r"(?m)^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+: [IWEF] |[IWEF]\d{4} \d\d:\d\d:\d\d"
    r"|WARNING: All log messages before absl::InitializeLog|.*(oneDNN custom operations"
    r"|rebuild TensorFlow with the appropriate compiler flags|cuda_(dnn|fft|blas)|TF-TRT"
    r"|Unable to register cu|computation placer)|.*/(keras|tensorflow|absl)/.*Warning: )"
)


def config_text() -> str:
    """The course's `nbgrader_config.py`."""
    return f'''"""nbgrader settings of the course made by `autograder notebooks` (the CNN unit).

Run nbgrader's commands in this folder, for example:

    nbgrader generate_assignment padding
    nbgrader db student add alice
    nbgrader autograde padding
    nbgrader export

Every assignment is one exercise of the kit; its notebook's points are the kit's points.

Two preprocessors of the kit's, defined at the end of this file, change nbgrader's defaults:

- RestoreHiddenTests (autograde): a locked test cell submitted as released gets its hidden tests
  back before nbgrader compares checksums, so `nbgrader autograde` warns "Attribute 'checksum'
  for cell ... has changed!" only for a test cell a student really changed (nbgrader stores the
  checksum with the hidden tests in and would warn for every cell: jupyter/nbgrader#1961).
- HideHiddenTests (generate_feedback): nbgrader's feedback renders the autograded notebook, whose
  test cells hold the hidden tests; this cuts them out of the test cells, as the release does,
  and out of the cells' outputs (a traceback quotes the lines around the failing one).
"""

import os

c = get_config()  # noqa: F821  (provided by nbgrader when it reads this file)
here = os.path.dirname(os.path.abspath(__file__))

c.CourseDirectory.course_id = {COURSE_ID!r}
c.CourseDirectory.root = here
c.CourseDirectory.db_url = "sqlite:///" + os.path.join(here, "gradebook.db")

# The cnn notebook's MNIST cell trains a Keras model: 30 s per cell (the default) is too short.
c.Execute.timeout = 600
c.Execute.kernel_name = "python3"
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # inherited by the kernels nbgrader starts

# nbgrader gives a test cell 0 points when it wrote to stderr; TensorFlow, absl, oneDNN and Keras
# write log lines there on their own. Outputs that match this pattern are dropped first.
c.IgnorePattern.enabled = True
c.IgnorePattern.pattern = {IGNORE_PATTERN!r}

c.ClearSolutions.code_stub = {{"python": "# YOUR CODE HERE\\nraise NotImplementedError()"}}

# The hidden test cases were drawn with the instructor's seed; the release holds none of them
# and, with the preprocessors below, neither does the feedback. The autograded notebooks (in
# autograded/) do: never hand those out. For a new term, generate the course with another seed
# (and grade with that seed when you use the kit's grader too).
''' + PREPROCESSORS


# The kit's preprocessors (see the module's docstring), written into nbgrader_config.py as they
# are here, and the lists of nbgrader's own preprocessors they join.
PREPROCESSORS = '''

# --- the kit's preprocessors -------------------------------------------------------------------
import re as _re  # noqa: E402

from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor  # noqa: E402
from nbgrader import utils as _utils  # noqa: E402
from nbgrader.api import Gradebook as _Gradebook, MissingEntry as _MissingEntry  # noqa: E402
from nbgrader.preprocessors import (  # noqa: E402
    CheckCellMetadata, ClearHiddenTests, ClearOutput, DeduplicateIds, GetGrades, NbGraderPreprocessor,
    OverwriteCells, OverwriteKernelspec)
from traitlets import Bool as _Bool  # noqa: E402


def _split_hidden(source):
    """(the lines nbgrader's ClearHiddenTests keeps, the lines inside its hidden regions)."""
    shown, hidden, inside = [], [], False
    for line in source.split("\\n"):
        if "BEGIN HIDDEN TESTS" in line:
            inside = True
        elif "END HIDDEN TESTS" in line:
            inside = False
        else:
            (hidden if inside else shown).append(line)
    return shown, hidden


class RestoreHiddenTests(NbGraderPreprocessor):
    """Autograde, before OverwriteCells: a locked test cell submitted as released gets the
    instructor's source back (hidden tests included), so OverwriteCells finds the checksum it
    stored and warns only about cells a student changed."""

    def preprocess(self, nb, resources):
        info = resources["nbgrader"]
        with _Gradebook(info["db_url"]) as gradebook:
            for cell in nb.cells:
                meta = cell.metadata.get("nbgrader", {})
                if not (meta.get("locked") and meta.get("grade_id")):
                    continue
                try:
                    source = gradebook.find_source_cell(meta["grade_id"], info["notebook"],
                                                        info["assignment"])
                except _MissingEntry:
                    continue
                if (source.locked and cell.source != source.source
                        and cell.source == "\\n".join(_split_hidden(source.source)[0])):
                    cell.source = source.source
        return nb, resources


_ANSI = _re.compile(r"\\x1b\\[[0-9;?]*[A-Za-z]")


class HideHiddenTests(ClearHiddenTests):
    """Feedback: the hidden regions of the test cells cut out, and every line of them cut out
    of the cells' outputs."""

    enforce_metadata = _Bool(False).tag(config=True)

    def preprocess_cell(self, cell, resources, index):
        if not (_utils.is_grade(cell) and cell.cell_type == "code"):
            return cell, resources  # hidden tests live only in the test cells
        shown, hidden = _split_hidden(cell.source)
        markers = {line.strip() for line in cell.source.split("\\n") if "HIDDEN TESTS" in line}
        secret = ({line.strip() for line in hidden} - {line.strip() for line in shown}) | markers
        secret = {line for line in secret if len(line) > 3}  # not a lone bracket
        if secret:
            for output in cell.get("outputs", []):
                _scrub_output(output, secret)
        return super().preprocess_cell(cell, resources, index)


def _scrub(text, secret):
    """`text` with the lines that quote hidden lines cut out (a run of them becomes one line
    that says so; the colours go too), or unchanged when none does."""
    lines = _ANSI.sub("", text).split("\\n")
    if not any(s in line for line in lines for s in secret):
        return text
    kept = []
    for line in lines:
        if not any(s in line for s in secret):
            kept.append(line)
        elif not kept or kept[-1] != "    ... (hidden tests)":
            kept.append("    ... (hidden tests)")
    return "\\n".join(kept)


def _scrub_output(output, secret):
    if "traceback" in output:
        output["traceback"] = [_scrub(entry, secret) for entry in output["traceback"]]
    if "evalue" in output:
        output["evalue"] = _scrub(output["evalue"], secret)
    if "text" in output:
        output["text"] = _scrub(output["text"], secret)
    for kind, value in output.get("data", {}).items():
        if isinstance(value, str):
            output["data"][kind] = _scrub(value, secret)


c.Autograde.sanitize_preprocessors = [ClearOutput, DeduplicateIds, OverwriteKernelspec,
                                      RestoreHiddenTests, OverwriteCells, CheckCellMetadata]
c.GenerateFeedback.preprocessors = [GetGrades, HideHiddenTests, CSSHTMLHeaderPreprocessor]
'''
