"""The run directory, read (:mod:`._reader`) and written (:mod:`._writer`); kept for imports."""

from ._layout import epoch_dir_name
from ._reader import Problem, Run, list_runs
from ._writer import RunWriter, open_for_update

__all__ = ["Problem", "Run", "RunWriter", "epoch_dir_name", "list_runs", "open_for_update"]
