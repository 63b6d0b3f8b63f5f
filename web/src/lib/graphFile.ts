// Reader of the `convlens-graph` safetensors file (docs/graph-format.md) and its colour rules.
import { parseSafetensors } from "./safetensors";

export interface GraphLayer {
  name: string;
  kind: string;
  n_units: number;
  first: number;
  z: number;
}

export interface GraphDescription {
  format: string;
  version: number;
  run?: string;
  epoch?: number;
  classes: number[];
  class_names: string[];
  n_classes: number;
  layers: GraphLayer[];
  importance?: { method: string | null; epoch?: number; computed_here?: boolean };
  layout?: { bundler?: string; options?: Record<string, number | boolean>; seconds?: number };
  counts?: Record<string, number>;
  notes?: string[];
}

export interface GraphData {
  info: GraphDescription;
  n: number; // nodes
  k: number; // classes
  nodePos: Float32Array; // N*3
  nodeLayer: Int32Array;
  nodeUnit: Int32Array;
  nodeImp: Float32Array; // N*K
  nodeOverall: Float32Array;
  edgeSource: Int32Array;
  edgeTarget: Int32Array;
  edgeImp: Float32Array;
  edgeKind: Uint8Array;
  pathEdge: Int32Array;
  pathOffsets: Int32Array;
  pathPos: Float32Array; // S*3
  classColor: Uint8Array; // K*3
  classBlind: boolean;
}

export function parseGraph(buf: ArrayBuffer): GraphData {
  const st = parseSafetensors(buf);
  const meta = st.metadata.convlens;
  if (!meta) throw new Error("This file is not a ConvLens graph (no description).");
  const info = JSON.parse(meta) as GraphDescription;
  if (info.format !== "convlens-graph") throw new Error("This file is not a ConvLens graph.");
  if (info.version > 1) throw new Error(`The graph file is version ${info.version}; this page reads version 1. Upgrade ConvLens.`);
  const T = { F32: Float32Array, I32: Int32Array, U8: Uint8Array } as const;
  function arr<K extends keyof typeof T>(name: string, dtype: K, optional = false): InstanceType<(typeof T)[K]> {
    const h = st.tensors[name];
    if (!h) {
      if (optional) return new T[dtype](0) as InstanceType<(typeof T)[K]>;
      throw new Error(`The graph file has no array "${name}".`);
    }
    if (h.dtype !== dtype) throw new Error(`Array "${name}" is ${h.dtype}, expected ${dtype}.`);
    return st.get(name) as InstanceType<(typeof T)[K]>;
  }
  const nodePos = arr("nodes.position", "F32");
  const nodeImp = arr("nodes.importance", "F32");
  const N = nodePos.length / 3;
  const K = N ? Math.round(nodeImp.length / N) : info.classes.length;
  const method = info.importance?.method ?? null;
  let classBlind = method === null || method === "weight" || K <= 1;
  if (!classBlind) {
    // Identical columns everywhere: class-blind whatever the method says.
    classBlind = true;
    for (let i = 0; i < N && classBlind; i++) for (let c = 1; c < K; c++) if (nodeImp[i * K + c] !== nodeImp[i * K]) { classBlind = false; break; }
  }
  return {
    info,
    n: N,
    k: K,
    nodePos,
    nodeLayer: arr("nodes.layer", "I32"),
    nodeUnit: arr("nodes.unit", "I32", true),
    nodeImp,
    nodeOverall: arr("nodes.overall", "F32"),
    edgeSource: arr("edges.source", "I32", true),
    edgeTarget: arr("edges.target", "I32", true),
    edgeImp: arr("edges.importance", "F32"),
    edgeKind: arr("edges.kind", "U8", true),
    pathEdge: arr("paths.edge", "I32"),
    pathOffsets: arr("paths.offsets", "I32"),
    pathPos: arr("paths.position", "F32"),
    classColor: arr("classes.color", "U8"),
    classBlind,
  };
}

/** A colour for class `k` (file's colour, else a golden-angle hue: any number of classes). */
export function classRgb(g: GraphData, k: number): [number, number, number] {
  if (g.classColor.length >= (k + 1) * 3) return [g.classColor[k * 3] / 255, g.classColor[k * 3 + 1] / 255, g.classColor[k * 3 + 2] / 255];
  const h = (k * 137.508) % 360;
  return hsl(h, 0.6, 0.5);
}

function hsl(h: number, s: number, l: number): [number, number, number] {
  const f = (n: number) => {
    const k = (n + h / 30) % 12;
    return l - s * Math.min(l, 1 - l) * Math.max(-1, Math.min(k - 3, 9 - k, 1));
  };
  return [f(0), f(8), f(4)];
}

export const NEUTRAL: [number, number, number] = [0.23, 0.35, 0.5];

/** Mix the class colours with weights `v_k ** 4` (normalised), written to `out` at `o`. */
export function mixInto(v: ArrayLike<number>, palette: Float32Array, K: number, out: Float32Array, o: number): void {
  let s = 0;
  let r = 0, g = 0, b = 0;
  for (let c = 0; c < K; c++) {
    const x = Math.max(0, v[c]);
    const w = x * x * x * x;
    s += w;
    r += w * palette[c * 3];
    g += w * palette[c * 3 + 1];
    b += w * palette[c * 3 + 2];
  }
  if (s > 0) {
    out[o] = r / s;
    out[o + 1] = g / s;
    out[o + 2] = b / s;
  } else {
    out[o] = NEUTRAL[0];
    out[o + 1] = NEUTRAL[1];
    out[o + 2] = NEUTRAL[2];
  }
}

export function palette(g: GraphData): Float32Array {
  const p = new Float32Array(g.k * 3);
  for (let c = 0; c < g.k; c++) p.set(classRgb(g, c), c * 3);
  return p;
}

/** Per-node RGB (N*3) per the doc's rule. */
export function nodeColors(g: GraphData): Float32Array {
  const out = new Float32Array(g.n * 3);
  const pal = palette(g);
  for (let i = 0; i < g.n; i++) {
    if (g.classBlind) out.set(NEUTRAL, i * 3);
    else mixInto(g.nodeImp.subarray(i * g.k, (i + 1) * g.k), pal, g.k, out, i * 3);
  }
  return out;
}

/** Per-path-point RGB (S*3) per the doc's rule for `edge_importance_type`. */
export function pathColors(g: GraphData): Float32Array {
  const S = g.pathPos.length / 3;
  const out = new Float32Array(S * 3);
  if (g.classBlind) {
    for (let s = 0; s < S; s++) out.set(NEUTRAL, s * 3);
    return out;
  }
  const K = g.k;
  const pal = palette(g);
  const type = Number(g.info.layout?.options?.edge_importance_type ?? 0);
  // Unit rows (L2) and L2 norms of every node's class vector.
  const norms = new Float32Array(g.n);
  for (let i = 0; i < g.n; i++) {
    let s = 0;
    for (let c = 0; c < K; c++) s += g.nodeImp[i * K + c] ** 2;
    norms[i] = Math.sqrt(s);
  }
  const v = new Float32Array(K);
  const P = g.pathEdge.length;
  for (let p = 0; p < P; p++) {
    const e = g.pathEdge[p];
    const a = g.edgeSource[e] ?? 0;
    const b = g.edgeTarget[e] ?? 0;
    const na = norms[a] || 1;
    const nb = norms[b] || 1;
    const o0 = g.pathOffsets[p];
    const o1 = g.pathOffsets[p + 1];
    const len = Math.max(1, o1 - o0 - 1);
    for (let s = o0; s < o1; s++) {
      const t = (s - o0) / len;
      for (let c = 0; c < K; c++) {
        const ac = g.nodeImp[a * K + c];
        const bc = g.nodeImp[b * K + c];
        v[c] =
          type === 1 ? ac / na : type === 3 ? bc / nb : type === 2 ? (ac + bc) / (na + nb) : ((1 - t) * ac) / na + (t * bc) / nb;
      }
      mixInto(v, pal, K, out, s * 3);
    }
  }
  return out;
}

export function toHex(rgb: ArrayLike<number>): string {
  return "#" + [0, 1, 2].map((i) => Math.round(Math.max(0, Math.min(1, rgb[i])) * 255).toString(16).padStart(2, "0")).join("");
}
