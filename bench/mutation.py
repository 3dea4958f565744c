"""The grader's mutation score: cosmic-ray mutates the reference solutions and the grader's public
and hidden checks judge each mutant (see `mutation/`). Prints killed / non-equivalent mutants per
module and writes the report to build/mutation/report.md. Targets: 100 % for the four NumPy
exercises, 95 % for cnn.py (build_cnn and reference_model left out: only the MNIST training check
judges them). About 6 minutes on 2 cores.

    .venv/bin/python bench/mutation.py [--modules padding,stride] [--public-only] [--survivors]
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mutation.run import main  # after the kit's root is importable

if __name__ == "__main__":
    sys.exit(main())
