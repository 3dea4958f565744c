# hostile: pytest would import this first; leave a marker, then kill the run
import os
from pathlib import Path

Path("@@MARKERS@@", "conftest").write_text("conftest.py ran")
os._exit(3)
