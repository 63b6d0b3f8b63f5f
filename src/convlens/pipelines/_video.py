"""From a run to a training video: embeddings -> frames -> MP4 / GIF / last-frame PNG."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from convlens.analyze.story import RunStory
from convlens.core import EmbedOptions, UserInputError, VideoOptions
from convlens.render import (
    FrameRenderer,
    FrameStyle,
    PanelData,
    VideoData,
    encode_png,
    write_gif,
    write_mp4,
)
from convlens.store import Run, open_for_update, remove_stale_temporaries

from ._embed import embed_run
from ._explain import (
    closing_lines,
    epoch_sentence,
    layer_titles,
    most_confused_pair,
    opening_lines,
    story_subtitle,
    video_title,
)
from ._story import run_story, story_run

MAX_PANELS = 4


def build_video_data(
    run: Run, layers: list[str], options: VideoOptions, story: RunStory | None = None
) -> VideoData:
    """Collect what the renderer needs from a run whose layers are embedded.

    The subtitles tell what the data shows happened at each epoch (``story``, default: the
    run's stored story, else one computed now); opening and closing cards frame the video.
    """
    if not run.epochs:
        raise UserInputError(f"run {run.run_id} has no completed epoch yet: train it first")
    probe = run.probe()
    split = probe.get("split", np.zeros(len(probe["labels"]), np.int64))
    test = split == 0
    train = split == 1
    labels = probe["labels"][test]
    logits = [run.outputs(e)["logits"] for e in run.epochs]
    predicted = np.stack([lg.argmax(1)[test] for lg in logits])
    names = run.classes
    shapes = [run.manifest.layers[layer].get("shape", []) for layer in layers]
    titles = layer_titles(layers, shapes, len(names))
    panels = []
    for layer, title in zip(layers, titles, strict=True):
        got = run.embedding(layer)
        if got is None:
            raise UserInputError(f"layer '{layer}' is not embedded yet: run convlens embed first")
        Y, _ = got
        dim = run.manifest.layers[layer].get("dim", "?")
        panels.append(
            PanelData(
                title=f"{title} · {dim} numbers per picture",
                xy=Y[:, test],
                train_xy=Y[:, train] if options.show_train and train.any() else None,
            )
        )
    m = run.metrics()
    metrics = {}
    for key, name in (("train_accuracy", "train accuracy"), ("test_accuracy", "test accuracy")):
        if key in m:
            metrics[name] = np.nan_to_num(m[key], nan=0.0)
    if not metrics and "probe_accuracy" in m:
        metrics["probe accuracy"] = m["probe_accuracy"]
    acc = metrics.get("test accuracy", metrics.get("probe accuracy", (predicted == labels).mean(1)))
    story = story if story is not None else run_story(run)
    subtitles = []
    for i, e in enumerate(run.epochs):
        sentence = epoch_sentence(
            epoch=e,
            accuracy=float(acc[i]),
            previous=float(acc[i - 1]) if i else None,
            n_classes=len(names),
            confused=most_confused_pair(labels, predicted[i], names),
        )
        subtitles.append(story_subtitle(sentence, story.headline(e)))
    ds = run.manifest.dataset.get("name", "images")
    confused = most_confused_pair(labels, predicted[-1], names)
    verdicts = [
        story.layer_sentence(layer, f"The {t}") for layer, t in zip(layers, titles, strict=True)
    ]
    thumbs = probe.get("thumbnails")
    if thumbs is not None and thumbs.ndim == 4 and thumbs.shape[-1] == 1:
        thumbs = thumbs[..., 0]  # grey images: [N, h, w]
    return VideoData(
        class_names=names,
        labels=labels,
        predicted=predicted,
        panels=panels,
        epochs=np.array(run.epochs),
        metrics=metrics,
        title=video_title(ds, len(names)),
        subtitles=subtitles,
        thumbnails=thumbs[test] if thumbs is not None and options.thumbnails else None,
        train_labels=probe["labels"][train] if options.show_train and train.any() else None,
        opening=opening_lines(len(names), ds, titles),
        closing=closing_lines(float(acc[-1]), confused, verdicts),
    )


def make_video(
    run_dir: str | Path,
    options: VideoOptions,
    *,
    layers: list[str] | None = None,
    out: str | Path | None = None,
    gif: bool = False,
    embed: EmbedOptions | None = None,
) -> dict[str, Path]:
    """Render the training video of a run; returns the files written.

    Args:
        run_dir: The run.
        options: Look of the video.
        layers: Layers side by side (default: the last recorded layer).
        out: The MP4 (or GIF) path; default ``<run>/media/video.mp4``.
        gif: Write a GIF instead of an MP4.
        embed: How to embed layers that are not embedded yet.
    """
    run = Run.open(run_dir)
    remove_stale_temporaries(run.path)  # what a killed video or embed left (e.g. media/.tmp-*)
    chosen = layers or run.layers[-1:]
    if len(chosen) > MAX_PANELS:
        raise UserInputError(f"at most {MAX_PANELS} layers fit side by side, got {len(chosen)}")
    for layer in chosen:
        run.check_layer(layer)
    embed_run(run.path, embed or EmbedOptions(), chosen)
    story = story_run(run_dir)
    run = Run.open(run_dir)
    data = build_video_data(run, chosen, options, story)
    style = FrameStyle(
        width=options.width,
        height=options.height,
        color_by=options.color_by,
        thumbnails=options.thumbnails,
        max_thumbnails=options.max_thumbnails,
        fps=options.fps,
        tween_frames=options.timing()[1],
        hold_frames=options.timing()[0],
        show_train=options.show_train,
    )
    renderer = FrameRenderer(data, style)
    media = run.media_dir()
    default = media / ("video.gif" if gif else "video.mp4")
    target = Path(out) if out is not None else default
    if target.suffix.lower() not in (".mp4", ".gif"):
        raise UserInputError(f"--out {target} must end in .mp4 or .gif")
    gif = gif or target.suffix.lower() == ".gif"
    n = renderer.n_frames
    if gif:
        write_gif(
            renderer.frames(), target, fps=min(options.fps, 15), total=n, source_fps=options.fps
        )
    else:
        write_mp4(renderer.frames(), target, fps=options.fps, total=n)
    writer = open_for_update(run.path)
    last = writer.write_media("last_frame.png", encode_png(renderer.render(len(run.epochs) - 1)))
    files = {"video": target, "last_frame": last}
    if target.resolve().is_relative_to(run.path.resolve()):
        writer.register_media(target)
    return files
