"""The ``convlens`` command line. Every user error is one line on stderr and a non-zero exit."""

from __future__ import annotations

import argparse
import errno
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from convlens.core import (
    ConvLensError,
    DataOptions,
    EmbedOptions,
    RecordOptions,
    TrainOptions,
    VideoOptions,
)

EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


def _registry_help(registry: object) -> str:
    names = registry.names()  # type: ignore[attr-defined]
    return "; ".join(f"{n}: {registry.help(n)}" for n in names)  # type: ignore[attr-defined]


def _add_train(sub: argparse._SubParsersAction) -> None:
    from convlens.data import DATASETS
    from convlens.models import MODELS
    from convlens.pipelines import OPTIMIZERS
    from convlens.record import REDUCERS

    p = sub.add_parser(
        "train",
        help="train a CNN and record it after every epoch",
        description="Train a CNN on a dataset and record chosen layers on a fixed probe set "
        "after every epoch, into RUNS_DIR/<run_id>/.",
    )
    p.add_argument(
        "--data",
        default="sketches",
        help=f"a built-in dataset ({', '.join(DATASETS.names())}) or a folder with "
        "train/<class>/* and test/<class>/* images (default: sketches)",
    )
    p.add_argument(
        "--model",
        default="paper",
        help=f"a built-in model ({_registry_help(MODELS)}), 'package.module:factory' "
        "for your own nn.Module, or 'torchvision:NAME' (default: paper)",
    )
    p.add_argument("--weights", help="initial weights: .safetensors or a torch state_dict file")
    p.add_argument("--epochs", type=int, default=10, help="epochs in total (default: 10)")
    p.add_argument("--out", type=Path, help="folder for runs: the run goes in OUT/<run_id>/")
    p.add_argument("--resume", type=Path, help="continue this run up to --epochs")
    p.add_argument("--run-id", help="name of the new run (default: date-dataset-model)")
    p.add_argument(
        "--layers",
        help="layers to record, comma separated: names, globs "
        "('features.*') or types ('Conv2d') (default: the model's suggestion)",
    )
    p.add_argument(
        "--reducer",
        default="auto",
        choices=REDUCERS.names(),
        help=f"how conv maps become vectors ({_registry_help(REDUCERS)})",
    )
    p.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    p.add_argument("--batch-size", type=int, default=25)
    p.add_argument("--lr", type=float, default=1e-4, help="learning rate (default: 1e-4)")
    p.add_argument("--optimizer", default="adam", choices=OPTIMIZERS.names())
    p.add_argument("--weight-decay", type=float, default=0.0)
    p.add_argument("--device", default="cpu", help="cpu, cuda or cuda:N (default: cpu)")
    p.add_argument("--image-size", type=int, help="resize images to this many pixels")
    p.add_argument(
        "--train-per-class", type=int, help="use at most this many training images per class"
    )
    p.add_argument("--test-per-class", type=int, help="use at most this many test images per class")
    p.add_argument(
        "--probe-size",
        type=int,
        default=200,
        help="held-out images to watch (class-stratified; default: 200)",
    )
    p.add_argument(
        "--train-probe-size",
        type=int,
        default=200,
        help="training images to watch as well (default: 200; 0 for none)",
    )
    p.add_argument("--no-augment", action="store_true", help="no random shifts while training")
    p.add_argument("--no-checkpoints", action="store_true", help="keep no per-epoch weights")


def _add_embed(sub: argparse._SubParsersAction) -> None:
    from convlens.analyze import EMBEDDERS

    p = sub.add_parser("embed", help="embed a run's recorded layers in 2-D, aligned over epochs")
    p.add_argument("run", type=Path, help="the run folder (RUNS_DIR/<run_id>)")
    p.add_argument("--layer", action="append", help="layer to embed (repeatable; default: all)")
    p.add_argument(
        "--method", default="aligned", choices=EMBEDDERS.names(), help=_registry_help(EMBEDDERS)
    )
    p.add_argument("--n-neighbors", type=int, default=15)
    p.add_argument("--min-dist", type=float, default=0.1)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--force", action="store_true", help="recompute even if up to date")


def _add_video(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("video", help="render the training video (MP4 or GIF) of a run")
    p.add_argument("run", type=Path, help="the run folder (RUNS_DIR/<run_id>)")
    p.add_argument(
        "--layer",
        action="append",
        help="layer to show (repeat for side-by-side panels; default: the last)",
    )
    p.add_argument(
        "--out", type=Path, help="output file, .mp4 or .gif (default: RUN/media/video.mp4)"
    )
    p.add_argument("--gif", action="store_true", help="write a GIF instead of an MP4")
    p.add_argument("--width", type=int, default=1280)
    p.add_argument("--height", type=int, default=720)
    p.add_argument("--fps", type=int, default=30)
    p.add_argument("--color-by", choices=["predicted", "true"], default="predicted")
    p.add_argument("--no-thumbnails", action="store_true", help="points instead of images")
    p.add_argument("--no-train", action="store_true", help="hide the training-set dots")
    p.add_argument("--method", default="aligned", help="embedding method if not embedded yet")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (choices come from the registries)."""
    from convlens import __version__

    parser = argparse.ArgumentParser(
        prog="convlens",
        description="ConvLens: see how a convolutional neural network learns and decides.",
    )
    parser.add_argument("--version", action="version", version=f"convlens {__version__}")
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress bars")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    p = sub.add_parser("demo", help="train on generated sketches and make the video (offline)")
    p.add_argument(
        "--out",
        type=Path,
        default=Path("convlens-demo"),
        help="folder for the demo run (default: ./convlens-demo)",
    )
    p.add_argument("--epochs", type=int, default=None, help="epochs (default: 10)")
    _add_train(sub)
    _add_embed(sub)
    _add_video(sub)
    p = sub.add_parser("info", help="summarise a run")
    p.add_argument("run", type=Path, help="the run folder (RUNS_DIR/<run_id>)")
    _add_serve(sub)
    _add_importance(sub)
    _add_graph(sub)
    return parser


def _add_serve(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "serve",
        help="open the web app over a folder of runs",
        description="Serve the ConvLens web app over the runs in RUNS_DIR. By default only this "
        "machine can reach it (127.0.0.1). --host 0.0.0.0 exposes it to your network: then "
        "every request needs a token, printed in the address to open.",
    )
    p.add_argument(
        "runs", type=Path, nargs="?", default=Path("runs"), help="folder of runs (default: runs)"
    )
    p.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on (default: 127.0.0.1, this machine only); any other host "
        "requires a token",
    )
    p.add_argument("--port", type=int, default=0, help="port (default: 0, any free port)")
    p.add_argument("--token", help="token for a non-local host (default: a random one)")
    p.add_argument("--open", action="store_true", help="open the page in a browser")


def _add_run_and_checkpoint(p: argparse.ArgumentParser) -> None:
    p.add_argument("run", type=Path, help="the run folder (RUNS_DIR/<run_id>)")
    p.add_argument("--checkpoint", type=int, help="epoch whose weights to use (default: last)")


def _add_importance(sub: argparse._SubParsersAction) -> None:
    from convlens.analyze import IMPORTANCE

    p = sub.add_parser(
        "importance",
        help="how much each neuron, channel and connection matters, per class",
        description="Estimate the importance of every neuron (Linear) and channel (Conv2d) of a "
        "run's model, and of the connections between them, per class and overall, on the run's "
        "training images; store it in RUN/importance/. With --prune, switch units off in order "
        "of importance and measure test accuracy (curves in RUN/pruning/, plots in RUN/media/).",
    )
    _add_run_and_checkpoint(p)
    p.add_argument(
        "--method",
        default="bn_gamma",
        choices=IMPORTANCE.names(),
        help=f"{_registry_help(IMPORTANCE)} (default: bn_gamma)",
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


def _importance(args: argparse.Namespace) -> int:
    from convlens import pipelines

    params = {"epochs": args.bn_epochs} if args.bn_epochs is not None else None
    if params and args.method != "bn_gamma":
        raise ConvLensError("--bn-epochs applies to --method bn_gamma only")
    done = pipelines.importance_run(
        args.run, epoch=args.checkpoint, method=args.method, classes=args.classes, params=params
    )
    res = done.result
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
        )
        print(pipelines.pruning_sentence(pr))
        print(f"curves: {pr.path}\nplots:  {pr.plots['all']}\n        {pr.plots['classes']}")
    return 0


def _add_graph(sub: argparse._SubParsersAction) -> None:
    from convlens.analyze import BUNDLERS, IMPORTANCE

    p = sub.add_parser(
        "graph",
        help="the network as a 3-D graph with bundled edges, coloured by class importance",
        description="Lay out the run's model as a graph (a node per neuron of a Linear layer and "
        "per channel of a Conv2d layer, an edge per connection), layers as slices in 3-D, edges "
        "bundled as nn_vis does; store it in RUN/graph/ (the web view reads it) and draw it in "
        "RUN/media/graph-EPOCH.png. Uses importance stored by convlens importance, else computes "
        "taylor on the run's training images (weight when they cannot be reloaded).",
    )
    _add_run_and_checkpoint(p)
    p.add_argument(
        "--method",
        choices=IMPORTANCE.names(),
        help="use this stored importance (default: the first stored, else taylor)",
    )
    p.add_argument(
        "--bundler",
        default="kde",
        choices=BUNDLERS.names(),
        help=f"{_registry_help(BUNDLERS)} (default: kde)",
    )
    p.add_argument(
        "--prune",
        type=float,
        default=0.0,
        help="leave out this fraction of the edges, least important first (nn_vis's "
        "prune_percentage; default 0)",
    )


def _graph(args: argparse.Namespace) -> int:
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


def _print_epoch(epoch: int, metrics: dict[str, float]) -> None:
    print(
        f"epoch {epoch}: train loss {metrics['train_loss']:.3f}, train accuracy "
        f"{metrics['train_accuracy']:.1%}, test accuracy {metrics['test_accuracy']:.1%} "
        f"({metrics['train_seconds']:.1f} s training, {metrics['record_seconds']:.2f} s "
        "recording)",
        flush=True,
    )


def _run(args: argparse.Namespace) -> int:
    from convlens import pipelines

    if args.command == "demo":
        files = pipelines.demo(args.out, epochs=args.epochs, on_epoch=_print_epoch)
        print(pipelines.run_summary(files["run"]))
        print(f"\nvideo:      {files['video']}\nlast frame: {files['last_frame']}")
        print(f"explore:    convlens info {files['run']}")
        print(f"in a browser: convlens serve {Path(files['run']).parent} --open")
        return 0
    if args.command == "train":
        data = DataOptions(
            data=args.data,
            image_size=args.image_size,
            train_per_class=args.train_per_class,
            test_per_class=args.test_per_class,
            probe_size=args.probe_size,
            train_probe_size=args.train_probe_size,
            augment=not args.no_augment,
        )
        train = TrainOptions(
            model=args.model,
            weights=args.weights,
            epochs=args.epochs,
            batch_size=args.batch_size,
            lr=args.lr,
            optimizer=args.optimizer,
            weight_decay=args.weight_decay,
            device=args.device,
            seed=args.seed,
        )
        layers = tuple(s.strip() for s in (args.layers or "").split(",") if s.strip())
        record = RecordOptions(
            layers=layers, reducer=args.reducer, checkpoints=not args.no_checkpoints
        )
        if args.out is None and args.resume is None:
            raise ConvLensError("give --out RUNS_DIR for a new run (or --resume RUN)")
        run = pipelines.train(
            data,
            train,
            record,
            out=args.out,
            resume=args.resume,
            run_id=args.run_id,
            on_epoch=_print_epoch,
        )
        print(f"run written to {run}\nnext: convlens video {run}")
        return 0
    if args.command == "embed":
        options = EmbedOptions(
            method=args.method, n_neighbors=args.n_neighbors, min_dist=args.min_dist, seed=args.seed
        )
        results = pipelines.embed_run(args.run, options, args.layer, force=args.force)
        for layer, info in results.items():
            q = info.get("quality", {})
            print(
                f"{layer}: {info['method']}, trustworthiness {q.get('trustworthiness', 0):.3f}, "
                f"k-NN preservation {q.get('knn_preservation', 0):.3f}, displacement "
                f"{q.get('displacement', 0):.3f}"
            )
        return 0
    if args.command == "video":
        options = VideoOptions(
            width=args.width,
            height=args.height,
            fps=args.fps,
            color_by=args.color_by,
            thumbnails=not args.no_thumbnails,
            show_train=not args.no_train,
        )
        files = pipelines.make_video(
            args.run,
            options,
            layers=args.layer,
            out=args.out,
            gif=args.gif,
            embed=EmbedOptions(method=args.method),
        )
        for kind, path in files.items():
            print(f"{kind}: {path}")
        return 0
    if args.command == "importance":
        return _importance(args)
    if args.command == "graph":
        return _graph(args)
    if args.command == "info":
        print(pipelines.run_summary(args.run))
        return 0
    if args.command == "serve":
        from convlens.server import serve

        serve(args.runs, host=args.host, port=args.port, token=args.token, open_browser=args.open)
        return 0
    raise ConvLensError(f"unknown command {args.command}")  # pragma: no cover


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``convlens`` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return EXIT_USAGE
    if args.quiet:
        os.environ["CONVLENS_QUIET"] = "1"
    try:
        return _run(args)
    except ConvLensError as exc:
        print(f"convlens: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(
            "convlens: stopped; a training run can be continued with --resume RUN", file=sys.stderr
        )
        return EXIT_INTERRUPTED
    except OSError as exc:
        if exc.errno == errno.ENOSPC:
            print(
                f"convlens: error: the disk is full ({exc.filename or ''}): free some space "
                "and run again (training resumes with --resume RUN)",
                file=sys.stderr,
            )
        else:
            print(f"convlens: error: {exc}", file=sys.stderr)
        return 1
