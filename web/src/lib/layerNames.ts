// Plain names for layers, in the video's words (pipelines/_explain.py `layer_titles`, which titles
// the video's panels "2nd filter layer (conv2)"): a layer with feature maps is a filter layer, a
// flat one a combining layer, and a last flat layer with one number per class the answer layer.
// The number is the one in a plain `name<N>` (conv2), else the layer's place among its kind.
// Where the layer's type is known, a step that is not a filter or combining layer (ReLU, pooling)
// is named by what it does.

export interface LayerLike {
  name: string;
  /** The module's class name (Conv2d, Linear, ReLU…), when the model is at hand. */
  type?: string;
  /** Its output shape without the batch: [C, H, W] for maps, [N] for flat. */
  shape?: readonly number[];
}

const SUFFIX: Record<number, string> = { 1: "st", 2: "nd", 3: "rd" };

/** 1st, 2nd, 3rd, 4th, 11th, 21st. */
export function ordinal(n: number): string {
  return `${n}${[11, 12, 13].includes(n % 100) ? "th" : SUFFIX[n % 10] ?? "th"}`;
}

/** What a step that is neither a filter nor a combining layer does, from its type. */
const STEPS: [RegExp, string][] = [
  [/relu|gelu|silu|sigmoid|tanh|elu|hardswish|mish/i, "on/off step"],
  [/pool/i, "shrinking step"],
  [/norm/i, "rescaling step"],
  [/dropout/i, "dropout step (training only)"],
  [/flatten/i, "flattening step"],
  [/softmax/i, "answer step"],
];

type Kind = "filter" | "combining";

function kindOf(l: LayerLike): Kind | string | null {
  if (l.type) {
    if (/conv/i.test(l.type)) return "filter";
    if (/linear/i.test(l.type)) return "combining";
    for (const [re, words] of STEPS) if (re.test(l.type)) return words;
    return null;
  }
  if (!l.shape || !l.shape.length) return null;
  return l.shape.length >= 3 ? "filter" : "combining";
}

/** The plain name of each layer ("2nd filter layer", "the answer layer", "on/off step"), or
 * null where there is none to give. `nClasses`: how many kinds the network tells apart. */
export function plainLayerNames(layers: readonly LayerLike[], nClasses: number): (string | null)[] {
  const seen: Record<Kind, number> = { filter: 0, combining: 0 };
  const weighted = layers.filter((l) => {
    const k = kindOf(l);
    return k === "filter" || k === "combining";
  });
  const lastWeighted = weighted[weighted.length - 1];
  return layers.map((l) => {
    const kind = kindOf(l);
    if (kind !== "filter" && kind !== "combining") return kind;
    seen[kind]++;
    const flat = l.shape && l.shape.length === 1;
    if (kind === "combining" && l === lastWeighted && flat && l.shape?.[0] === nClasses) return "the answer layer";
    const m = /^[A-Za-z_]+(\d+)$/.exec(l.name);
    const n = m && Number(m[1]) > 0 ? Number(m[1]) : seen[kind];
    return `${ordinal(n)} ${kind} layer`;
  });
}

/** "conv2 — 2nd filter layer", or the name alone. */
export function layerLabel(name: string, plain: string | null): string {
  return plain ? `${name} — ${plain}` : name;
}
