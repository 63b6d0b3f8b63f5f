"""``convlens verify RUN [--repair]``: check every file of a run against its manifest.

Derived results (embeddings, importance, pruning curves, the network graph, media) are computed
again with ``--repair``; what training wrote (epochs, checkpoints, the probe set) cannot be, and
the report says what to do instead (``convlens train --resume RUN`` drops damaged epochs and
trains them again, and writes a lost probe set again).
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Callable
from pathlib import Path

from convlens.core import ConvLensError, EmbedOptions, VideoOptions
from convlens.store import (
    Problem,
    Run,
    open_for_update,
    remove_stale_temporaries,
    stale_temporaries,
)

_EPOCH_FILE = re.compile(r"^(?P<method>[A-Za-z0-9_]+)-(?P<epoch>\d{4})\.safetensors$")
_MEDIA = re.compile(r"^(?P<kind>pruning|graph)-(?:(?P<method>[A-Za-z0-9_]+)-)?(?P<epoch>\d{4})")


def add_verify(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "verify",
        help="check every file of a run against its manifest (and repair derived results)",
        description="Check that every file the run's manifest lists is in place with the "
        "listed sha256, and that no killed command left temporary files. With --repair, compute "
        "derived results (embeddings, importance, pruning, graph, media) again and remove "
        "leftovers. Exit code 0 when the run is intact (after repairing), 1 otherwise.",
    )
    p.add_argument("run", type=Path, help="the run folder (RUNS_DIR/<run_id>)")
    p.add_argument("--repair", action="store_true", help="recompute what can be recomputed")


def _hint(problem: Problem) -> str:
    if problem.epoch is not None:
        return (
            f"epoch {problem.epoch} cannot be recomputed here: convlens train --resume RUN "
            "--epochs N drops it (and later epochs) and trains them again"
        )
    if problem.path.startswith("probe/"):
        return "convlens train --resume RUN --epochs N writes the probe set again"
    if problem.derived:
        return "convlens verify RUN --repair computes it again"
    return "cannot be recomputed"


def _recompute(run: Run, rel: str) -> Callable[[], object] | None:
    """The pipeline call that makes ``rel`` again, or None when nothing makes it."""
    from convlens import pipelines

    folder, _, name = rel.partition("/")
    if folder == "embeddings":
        for layer in run.layers:
            if f"embeddings/{re.sub(r'[^A-Za-z0-9._-]', '_', layer)}.safetensors" == rel:
                method, seed = EmbedOptions().method, EmbedOptions().seed
                try:
                    got = run.embedding(layer)
                except ConvLensError:  # damaged: the defaults make it again
                    got = None
                if got is not None:
                    method = str(got[1].get("method", method))
                    seed = int(got[1].get("params", {}).get("random_state", seed))
                options = EmbedOptions(method=method, seed=seed)
                return lambda: pipelines.embed_run(run.path, options, [layer], force=True)
        return None
    m = _EPOCH_FILE.match(name)
    if folder == "importance" and m:
        method, epoch = m["method"], int(m["epoch"])
        return lambda: pipelines.importance_run(run.path, epoch=epoch, method=method)
    if folder == "pruning" and m:
        method, epoch = m["method"], int(m["epoch"])
        return lambda: pipelines.prune_run(run.path, epoch=epoch, method=method)
    if folder == "graph" and re.fullmatch(r"\d{4}\.safetensors", name):
        return lambda: pipelines.graph_run(run.path, epoch=int(name[:4]))
    if folder == "media":
        if name in ("video.mp4", "video.gif", "last_frame.png"):
            gif = name == "video.gif"
            return lambda: pipelines.make_video(run.path, VideoOptions(), gif=gif)
        mm = _MEDIA.match(name)
        if mm and mm["kind"] == "pruning" and mm["method"]:
            method, epoch = mm["method"], int(mm["epoch"])
            return lambda: pipelines.prune_run(run.path, epoch=epoch, method=method)
        if mm and mm["kind"] == "graph":
            return lambda: pipelines.graph_run(run.path, epoch=int(mm["epoch"]))
    return None


def repair_run(run_dir: Path) -> list[str]:
    """Recompute every damaged derived result of a run; returns what was done, line by line.

    A derived result nothing can make again (or whose recomputation fails) is removed from the
    manifest and from disk, so the run no longer lists a file it does not have.
    """
    done = []
    n = remove_stale_temporaries(run_dir)
    if n:
        done.append(f"removed {n} temporary file(s) left by a killed command")
    for problem in Run.open(run_dir).problems():
        if not problem.derived:
            continue
        run = Run.open(run_dir)  # an earlier repair may have made this one too
        if run.intact(problem.path):
            done.append(f"{problem.path}: made again")
            continue
        again = _recompute(run, problem.path)
        if again is not None:
            try:
                again()
            except ConvLensError as exc:
                open_for_update(run.path).forget(problem.path)
                done.append(f"{problem.path}: removed (cannot be made again: {exc})")
                continue
            if Run.open(run_dir).intact(problem.path):
                done.append(f"{problem.path}: made again")
                continue
        open_for_update(run.path).forget(problem.path)
        done.append(f"{problem.path}: removed from the run (its command makes it again)")
    return done


def _leftovers(run_dir: Path) -> list[str]:
    return [
        f"{p.relative_to(run_dir).as_posix()}: left by a killed command"
        for p in stale_temporaries(run_dir)
    ]


def verify(args: argparse.Namespace) -> int:
    run = Run.open(args.run)
    problems = run.problems()
    leftovers = _leftovers(run.path)
    for problem in problems:
        print(f"{problem}  ({_hint(problem)})")
    for line in leftovers:
        print(line)
    if args.repair and (problems or leftovers):
        for line in repair_run(run.path):
            print(f"repaired: {line}")
        problems = Run.open(run.path).problems()
        leftovers = _leftovers(run.path)
        for problem in problems:
            print(f"still: {problem}  ({_hint(problem)})")
    if problems or leftovers:
        print(f"run {run.run_id}: {len(problems) + len(leftovers)} problem(s)")
        return 1
    print(f"run {run.run_id}: every file is intact")
    return 0
