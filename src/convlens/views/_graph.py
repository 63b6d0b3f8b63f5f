"""Network-graph view: the bundled 3-D graph of a run's model, laid out on first request."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from convlens.core import ConvLensError, UnavailableError
from convlens.pipelines import RunCatalogue
from convlens.store import Run


def ensure_graph(
    catalogue: RunCatalogue,
    run: Run,
    epoch: int | None,
    report: Callable[[float, str], None] | None = None,
) -> tuple[int, dict[str, Any]]:
    """The stored graph's epoch and description, laying the graph out first when needed.

    ``report(progress, message)`` hears how far it is (``graph_run``'s steps: importance,
    layout, file, picture); it may raise to stop the work before anything is written (the
    graph file and its picture are written together at the end).
    """
    from convlens.pipelines import graph_path, graph_run  # lays out a model: torch loads here

    say = report or (lambda progress, message: None)
    epoch = catalogue.epoch(run, epoch)
    got = run.arrays(graph_path(epoch))
    if got is None:
        say(0.02, "waiting for other work on this run")
        with catalogue.writing(run):
            got = Run.open(run.path).arrays(graph_path(epoch))  # made while this one waited?
            if got is None:
                say(0.05, "loading the model")

                def step(what: str, done: float) -> None:  # graph_run's real steps
                    say(0.05 + 0.94 * done, what)

                graph_run(run.path, epoch=epoch, on_progress=step)
                got = Run.open(run.path).arrays(graph_path(epoch))
    if got is None:  # pragma: no cover - graph_run always writes it
        raise RuntimeError("the graph was not stored")
    return epoch, got[1]


def graph_info(
    catalogue: RunCatalogue,
    run: Run,
    epoch: int | None,
    report: Callable[[float, str], None] | None = None,
) -> dict[str, Any]:
    """The graph's description (made and stored on first use), with the addresses of its file
    and picture. ``report`` as for :func:`ensure_graph`."""
    epoch, info = ensure_graph(catalogue, run, epoch, report)
    return {
        "epoch": epoch,
        "url": f"/api/runs/{run.run_id}/graph.safetensors?epoch={epoch}",
        "picture": f"/api/runs/{run.run_id}/graph.png?epoch={epoch}",
        "description": info,
        "explanation": graph_text(info),
    }


def graph_file(catalogue: RunCatalogue, run: Run, epoch: int | None) -> bytes:
    """The graph file itself (safetensors; see docs/graph-format.md)."""
    from convlens.pipelines import graph_path

    epoch, _ = ensure_graph(catalogue, run, epoch)
    return (run.path / graph_path(epoch)).read_bytes()


def graph_png(catalogue: RunCatalogue, run: Run, epoch: int | None) -> bytes:
    """The static picture of the graph (PNG). A stored graph whose picture is missing (a run
    made before the picture was written first, or a job killed between the two) gets it drawn
    again from the graph file, which holds all the picture needs."""
    from convlens.pipelines import graph_picture_name, redraw_graph

    epoch, _ = ensure_graph(catalogue, run, epoch)
    path = run.media_dir() / graph_picture_name(epoch)
    try:
        return path.read_bytes()
    except FileNotFoundError:
        pass
    again = f"convlens graph {run.path} --checkpoint {epoch} draws it again"
    with catalogue.writing(run):
        if not path.is_file():  # not drawn while this one waited
            try:
                path = redraw_graph(run.path, epoch=epoch)
            except ConvLensError:
                raise
            except Exception as exc:  # noqa: BLE001 - a picture must never answer 500
                raise UnavailableError(
                    f"the picture of run {run.run_id}'s graph is missing and could not be drawn "
                    f"from the graph file ({type(exc).__name__}): {again}"
                ) from None
    try:
        return path.read_bytes()
    except OSError as exc:
        raise UnavailableError(
            f"the picture of run {run.run_id}'s graph cannot be read ({exc.strerror}): {again}"
        ) from None


def graph_text(info: dict[str, Any]) -> str:
    counts = info.get("counts", {})
    n_layers = len(info.get("layers", []))
    method = (info.get("importance") or {}).get("method")
    colour = (
        "Colour shows which kind of picture a unit matters most for, and faint ones matter little."
        if method in ("bn_gamma", "taylor")
        else "Faint units matter little. This importance does not tell the kinds of picture "
        "apart, so all share one colour; convlens importance with --method taylor adds them."
    )
    return (
        f"Each dot is one unit of the network: a neuron or a filter. The {n_layers} slices are "
        f"its layers, input first. The {counts.get('edges', 0):,} lines show how the units feed "
        f"each other; lines that go the same way are bundled. {colour} Click a dot to see its "
        "numbers."
    )
