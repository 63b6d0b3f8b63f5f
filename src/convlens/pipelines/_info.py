"""A plain-text summary of a run (``convlens info``)."""

from __future__ import annotations

from pathlib import Path

from convlens.store import Run


def _fmt_bytes(n: int) -> str:
    size = float(n)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} GB"


def run_summary(run_dir: str | Path) -> str:
    """Dataset, model, layers, epochs, accuracy and artefacts of a run, as text."""
    run = Run.open(run_dir)
    m = run.manifest
    lines = [
        f"run        {m.run_id}  ({run.status}, created {m.created})",
        f"folder     {run.path}",
    ]
    ds = m.dataset
    if ds:
        lines.append(
            f"dataset    {ds.get('name', '?')}: {ds.get('train', '?')} training and "
            f"{ds.get('test', '?')} test images, {ds.get('image_size', '?')} px, "
            f"{len(m.classes)} classes ({', '.join(m.classes)})"
        )
    lines.append(
        f"model      {m.model.get('name', m.model.get('class', '?'))} "
        f"({m.model.get('class', '?')}, {m.model.get('parameters', 0):,} parameters)"
    )
    for name, info in m.layers.items():
        lines.append(
            f"layer      {name}: output {info.get('shape')}, recorded as "
            f"{info.get('dim')} values ({info.get('reducer')})"
        )
    probe = m.probe
    lines.append(
        f"probe      {probe.get('n', 0)} images ({probe.get('test', 0)} held out, "
        f"{probe.get('train', 0)} from training)"
    )
    metrics = run.metrics()
    lines.append(f"epochs     {len(run.epochs)} completed")
    for key in ("train_accuracy", "test_accuracy", "probe_accuracy"):
        if key in metrics and len(metrics[key]):
            curve = " ".join(f"{v:.0%}" for v in metrics[key])
            lines.append(f"{key.replace('_', ' '):<10} {curve}")
    for layer in run.layers:
        got = run.embedding(layer)
        if got is not None:
            q = got[1].get("quality", {})
            lines.append(
                f"embedding  {layer}: {got[1].get('method')} over {len(got[1].get('epochs', []))} "
                f"epochs, trustworthiness {q.get('trustworthiness', float('nan')):.3f}, "
                f"displacement {q.get('displacement', float('nan')):.3f}"
            )
    files = sorted(p for p in run.path.rglob("*") if p.is_file() and not p.name.startswith("."))
    total = sum(p.stat().st_size for p in files)
    lines.append(f"files      {len(files)} files, {_fmt_bytes(total)}")
    for p in files:
        if p.parent.name == "media":
            lines.append(f"media      {p}")
    return "\n".join(lines)
