import sys
from pathlib import Path

# Make the `contract_review` package importable from any working directory.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
