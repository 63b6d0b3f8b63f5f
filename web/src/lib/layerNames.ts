// Plain names for layers ("2nd filter layer", "the answer layer", "on/off step"). The server
// writes them (pipelines/_layer_names.py, the one source, also the video's panel titles) and
// sends one with each layer it lists: the run's recorded layers (`layer_info[].plain`) and the
// model's layers (`/layers`, `layers[].plain`). The web only looks them up.

export interface LayerLike {
  name: string;
  /** The module's class name (Conv2d, Linear, ReLU…), when the model is at hand. */
  type?: string;
  /** Its output shape without the batch: [C, H, W] for maps, [N] for flat. */
  shape?: readonly number[];
  /** Its plain name from the server, when the view has it. */
  plain?: string | null;
}

/** A list of layers from the server, each with its plain name. */
export type Named = readonly { name: string; plain?: string | null }[] | null | undefined;

/** The plain name of each layer: its own `plain`, else the first list from the server that names
 * it (the model's layers before the recorded ones), else null. */
export function plainLayerNames(layers: readonly LayerLike[], ...from: Named[]): (string | null)[] {
  const known = new Map<string, string>();
  for (const list of [...from].reverse()) for (const l of list ?? []) if (l.plain) known.set(l.name, l.plain);
  return layers.map((l) => l.plain ?? known.get(l.name) ?? null);
}

/** "conv2 — 2nd filter layer", or the name alone. */
export function layerLabel(name: string, plain: string | null): string {
  return plain ? `${name} — ${plain}` : name;
}
