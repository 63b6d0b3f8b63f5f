"""The ``convlens`` command line. Every user error is one line on stderr and a non-zero exit.

The options of train, embed and video are generated from the option dataclasses
(``convlens.core``: one source of defaults and help); choices come from the registries.
"""

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

from ._analysis import add_graph, add_importance, graph, importance
from ._options import add_options, options_from_args
from ._snapshot import add_snapshot, snapshot
from ._verify import add_verify, verify

EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


def _add_train(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "train",
        help="train a CNN and record it after every epoch",
        description="Train a CNN on a dataset and record chosen layers on a fixed probe set "
        "after every epoch, into RUNS_DIR/<run_id>/.",
    )
    p.add_argument("--out", type=Path, help="folder for runs: the run goes in OUT/<run_id>/")
    p.add_argument("--resume", type=Path, help="continue this run up to --epochs")
    p.add_argument("--run-id", help="name of the new run (default: date-dataset-model)")
    add_options(p, DataOptions)
    add_options(p, TrainOptions, title="training")
    add_options(p, RecordOptions, title="recording")


def _add_embed(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("embed", help="embed a run's recorded layers in 2-D, aligned over epochs")
    p.add_argument("run", type=Path, help="the run folder (RUNS_DIR/<run_id>)")
    p.add_argument("--layer", action="append", help="layer to embed (repeatable; default: all)")
    p.add_argument("--force", action="store_true", help="recompute even if up to date")
    add_options(p, EmbedOptions, title="embedding")


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
    add_options(
        p,
        VideoOptions,
        only=(
            "width",
            "height",
            "fps",
            "seconds_per_epoch",
            "color_by",
            "thumbnails",
            "show_train",
        ),
    )
    add_options(
        p,
        EmbedOptions,
        only=("method",),
        title="embedding",
        help={"method": "embedding method if not embedded yet: {described}"},
    )


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
    add_importance(sub)
    add_graph(sub)
    add_verify(sub)
    add_snapshot(sub)
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
    p.add_argument(
        "--token",
        help="token for a non-local host, at least 16 characters (default: $CONVLENS_TOKEN, else "
        "a random one); prefer CONVLENS_TOKEN: a command line is visible to others in ps",
    )
    p.add_argument("--open", action="store_true", help="open the page in a browser")


def _print_epoch(epoch: int, metrics: dict[str, float]) -> None:
    print(
        f"epoch {epoch}: train loss {metrics['train_loss']:.3f}, train accuracy "
        f"{metrics['train_accuracy']:.1%}, test accuracy {metrics['test_accuracy']:.1%} "
        f"({metrics['train_seconds']:.1f} s training, {metrics['record_seconds']:.2f} s "
        "recording)",
        flush=True,
    )


def _print_embedding_notes(run_dir: Path, layers: list[str] | None) -> None:
    """Say which video panels were laid out with another method than the one asked for."""
    from convlens.store import Run

    run = Run.open(run_dir)
    for layer in layers or run.layers[-1:]:
        got = run.embedding(layer)
        if got is not None and got[1].get("note"):
            print(f"{layer}: {got[1]['note']}")


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
        data = options_from_args(DataOptions, args)
        train = options_from_args(TrainOptions, args)
        record = options_from_args(RecordOptions, args)
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
        options = options_from_args(EmbedOptions, args)
        results = pipelines.embed_run(args.run, options, args.layer, force=args.force)
        for layer, info in results.items():
            q = info.get("quality", {})
            note = f" ({info['note']})" if info.get("note") else ""
            print(
                f"{layer}: {info['method']}{note}, trustworthiness "
                f"{q.get('trustworthiness', 0):.3f}, "
                f"k-NN preservation {q.get('knn_preservation', 0):.3f}, displacement "
                f"{q.get('displacement', 0):.3f}"
            )
        return 0
    if args.command == "video":
        options = options_from_args(VideoOptions, args)
        files = pipelines.make_video(
            args.run,
            options,
            layers=args.layer,
            out=args.out,
            gif=args.gif,
            embed=options_from_args(EmbedOptions, args),
        )
        for kind, path in files.items():
            print(f"{kind}: {path}")
        _print_embedding_notes(args.run, args.layer)
        return 0
    if args.command == "importance":
        return importance(args)
    if args.command == "graph":
        return graph(args)
    if args.command == "verify":
        return verify(args)
    if args.command == "snapshot":
        return snapshot(args)
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
        if args.command in ("train", "snapshot"):  # a tuple output's message names its option
            from convlens.modelkit import output_option  # torch: only for these commands

            with output_option("--model-output {choice}"):
                return _run(args)
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
