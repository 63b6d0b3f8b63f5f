"""The analysis commands: ``convlens importance`` and ``convlens graph``."""

from __future__ import annotations

import argparse
from pathlib import Path

from convlens.core import ConvLensError

from ._options import described, registry


def add_run_and_checkpoint(p: argparse.ArgumentParser) -> None:
    p.add_argument("run", type=Path, help="the run folder (RUNS_DIR/<run_id>)")
    p.add_argument("--checkpoint", type=int, help="epoch whose weights to use (default: last)")


def add_importance(sub: argparse._SubParsersAction) -> None:
    methods = registry("importance")
    p = sub.add_parser(
        "importance",
        help="how much each neuron, channel and connection matters, per class",
        description="Estimate the importance of every neuron (Linear) and channel (Conv2d) of a "
        "run's model, and of the connections between them, per class and overall, on the run's "
        "training images; store it in RUN/importance/. With --prune, switch units off in order "
        "of importance and measure test accuracy (curves in RUN/pruning/, plots in RUN/media/).",
    )
    add_run_and_checkpoint(p)
    p.add_argument(
        "--method",
        default="bn_gamma",
        choices=methods.names(),
        help=f"{described(methods)} (default: bn_gamma)",
    )
    p.add_argument(
        "--class",
        dest="classes",
        action="append",
        help="compute importance for this class only, by name or index (repeatable; default: "
        "all; fewer classes make bn_gamma faster)",
    )
    p.add_argument(
        "--focus",
        action="append",
        help="with --prune, also remove units in the order of this class's own importance and "
        "show how that class keeps its accuracy (repeatable)",
    )
    p.add_argument(
        "--bn-epochs", type=int, help="bn_gamma: passes over each class's images (default: 20)"
    )
    p.add_argument("--prune", action="store_true", help="validate by pruning (test accuracy)")
    p.add_argument("--steps", type=int, default=10, help="pruning steps from 0 to 100%% (10)")
    p.add_argument("--seeds", type=int, default=5, help="random pruning orders to average (5)")


def importance(args: argparse.Namespace) -> int:
    from convlens import pipelines

    params = {"epochs": args.bn_epochs} if args.bn_epochs is not None else None
    if params and args.method != "bn_gamma":
        raise ConvLensError("--bn-epochs applies to --method bn_gamma only")
    done = pipelines.importance_run(
        args.run,
        epoch=args.checkpoint,
        method=args.method,
        classes=args.classes,
        params=params,
        probe_fallback=True,
    )
    res = done.result
    if done.data_note:
        print(f"note: {done.data_note}")
    print(f"{res.method} importance of epoch {done.epoch} ({done.seconds:.1f} s):")
    for layer in res.layers:
        unit = "channels" if layer.kind == "conv" else "neurons"
        top = ", ".join(str(i) for i in layer.ranking()[:5])
        print(f"  {layer.name:<16} {len(layer.overall):>5} {unit:<8} most important: {top}")
    for note in res.notes:
        print(f"  note: {note}")
    print(f"stored: {done.path}")
    if args.prune:
        pr = pipelines.prune_run(
            args.run,
            epoch=done.epoch,
            method=args.method,
            steps=args.steps,
            seeds=args.seeds,
            focus=args.focus,
            probe_fallback=True,
        )
        print(pipelines.pruning_sentence(pr))
        print(f"curves: {pr.path}\nplots:  {pr.plots['all']}\n        {pr.plots['classes']}")
    return 0


def add_graph(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "graph",
        help="the network as a 3-D graph with bundled edges, coloured by class importance",
        description="Lay out the run's model as a graph (a node per neuron of a Linear layer and "
        "per channel of a Conv2d layer, an edge per connection), layers as slices in 3-D, edges "
        "bundled as nn_vis does; store it in RUN/graph/ (the web view reads it) and draw it in "
        "RUN/media/graph-EPOCH.png. Uses importance stored by convlens importance, else computes "
        "taylor on the run's training images (weight when they cannot be reloaded).",
    )
    add_run_and_checkpoint(p)
    p.add_argument(
        "--method",
        choices=registry("importance").names(),
        help="use this stored importance (default: the first stored, else taylor)",
    )
    p.add_argument(
        "--bundler",
        default="kde",
        choices=registry("bundlers").names(),
        help=f"{described(registry('bundlers'))} (default: kde)",
    )
    p.add_argument(
        "--prune",
        type=float,
        default=0.0,
        help="leave out this fraction of the edges, least important first (nn_vis's "
        "prune_percentage; default 0)",
    )


def graph(args: argparse.Namespace) -> int:
    from convlens import pipelines
    from convlens.analyze import BundleOptions

    done = pipelines.graph_run(
        args.run,
        epoch=args.checkpoint,
        method=args.method,
        options=BundleOptions(prune_percentage=args.prune),
        bundler=args.bundler,
    )
    lay, g = done.layout, done.layout.graph
    how = "computed (no importance was stored)" if done.computed_importance else "stored"
    print(
        f"graph of epoch {done.epoch}: {g.n_nodes} nodes in {len(g.layers)} slices, {g.n_edges} "
        f"edges ({len(lay.edge_index)} drawn), {done.method} importance {how}"
    )
    its = ", ".join(f"{v} {k.rstrip('s')} iterations" for k, v in lay.iterations.items())
    took = f"{lay.seconds:.1f} s ({its or 'no processing'}); {done.seconds:.1f} s in all"
    print(f"laid out in {took}")
    for note in g.notes:
        print(f"  note: {note}")
    print(f"stored:  {done.path}\npicture: {done.picture}")
    return 0
