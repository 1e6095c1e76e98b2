import sys
import pathlib

# the tests import runtime.py from this directory whatever the working directory
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
