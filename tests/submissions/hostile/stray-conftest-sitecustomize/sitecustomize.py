# hostile: Python imports this at start-up when it is on sys.path; mark it and break NumPy
from pathlib import Path

Path("@@MARKERS@@", "sitecustomize").write_text("sitecustomize.py ran")
import numpy as np  # noqa: E402

np.pad = lambda *args, **kwargs: None
np.einsum = lambda *args, **kwargs: None
