"""Turn a submission into a clean work dir that holds only the exercise modules.

A submission is a folder (modules flat, under `exercises/`, or under one top folder as zips of a
folder often have), a `.zip` of such a folder, a Jupyter notebook, or a folder (or zip) holding
one notebook and no modules. Only `<exercise>.py` files of the registry are taken, and the
submission's own modules beside them that they import (a `utils.py`, or `padding.py` imported
by `cnn.py` when only cnn is graded); everything else (a `conftest.py`, a `sitecustomize.py`,
`.pth` files, data, a `solutions/` folder) stays behind and is listed in the notes. A notebook
becomes one module per exercise, built from the definitions its graded functions need (not
from scratch cells, demos or plots), its stored outputs ignored. Nothing is executed.

The pipeline, one module per step:

    pipeline.py   collect(): check the paths, dispatch on the kind of submission, write modules;
                  locate(): the same choice for a folder, the modules left in place (student loop)
    folder.py     a folder -> a tree of entries (walked without following links)
    archive.py    a zip    -> a tree of entries (read member by member, never extracted, capped)
    layout.py     a tree   -> the exercise modules (or its one notebook), by the layout rules
      choose.py     a module found in several places -> the copy with the most complete work
      helpers.py    the modules beside them that they import, followed statically
    notebook.py   a notebook (outputs dropped) -> its code cells (nbgrader test cells left out)
      magics.py     IPython lines and cell magics -> `pass`, keeping line numbers
      cells.py      a cell -> its top-level statements: what each binds, changes and reads
      definitions.py  an exercise's functions -> the statements they need, transitively
      assemble.py   those statements -> the module text, cell by cell, line numbers kept
    common.py     what they share: size caps, records, errors, safe reads, one-line messages

This runs in the grader's parent process, so it treats every byte of the submission as hostile:
symbolic links are refused, files are opened without following links, sizes are capped before
and while reading, zips are never extracted (a zip bomb fails fast), notebooks are read with
nbformat and `ast` only, and the messages name paths inside the submission only.

What is importable from here is the whole public surface; the modules above are internals.
"""

from autograder.core.collect.common import (
    LISTED,
    MAX_ENTRIES,
    MAX_MODULE_BYTES,
    MAX_NOTEBOOK_BYTES,
    MAX_NOTEBOOK_RAW_BYTES,
    MAX_ZIP_READ_BYTES,
    Collected,
    Located,
    MiB,
    SubmissionError,
)
from autograder.core.collect.magics import PYTHON_CELL_MAGICS
from autograder.core.collect.pipeline import collect, locate

__all__ = [
    "LISTED",
    "MAX_ENTRIES",
    "MAX_MODULE_BYTES",
    "MAX_NOTEBOOK_BYTES",
    "MAX_NOTEBOOK_RAW_BYTES",
    "MAX_ZIP_READ_BYTES",
    "PYTHON_CELL_MAGICS",
    "Collected",
    "Located",
    "MiB",
    "SubmissionError",
    "collect",
    "locate",
]
