# hostile: the user-site start-up hook; mark it and end the interpreter
import os
from pathlib import Path

Path("@@MARKERS@@", "usercustomize").write_text("usercustomize.py ran")
os._exit(4)
