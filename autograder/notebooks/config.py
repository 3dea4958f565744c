"""The course's `nbgrader_config.py`: headless settings that make nbgrader's score of a notebook
equal the kit's (course id, gradebook, timeouts, kernel, TensorFlow's stderr noise ignored)."""

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

# The hidden test cases were drawn with the instructor's seed. nbgrader's feedback shows the test
# cells whole, hidden cases included: for a new term, generate the course with another seed
# (and grade with that seed when you use the kit's grader too).
'''
