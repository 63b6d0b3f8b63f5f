"""Regenerate the golden run (only when the format changes on purpose, with a new schema).

python tests/golden/make_golden.py
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from convlens.testing import make_fixture_run

HERE = Path(__file__).parent


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        run = make_fixture_run(tmp, epochs=2, n_per_class=2, run_id="golden-v1")
        target = HERE / "golden-v1"
        if target.exists():
            shutil.rmtree(target)
        shutil.copytree(run, target)
    print(f"wrote {target}")


if __name__ == "__main__":
    main()
