// The timeline's data and its pure helpers: colours per point and epoch, and the slider's
// mapping between a fractional epoch index and epoch numbers (epochs need not be contiguous).
import { CORRECT, WRONG, type RGB } from "./colors";

export type ColorBy = "true" | "predicted" | "correct";

/** One layer's timeline, decoded: coords [E, N, 2], labels [N], predicted [E, N], split [N]. */
export interface TimelineData {
  key: string;
  epochs: number[];
  E: number;
  N: number;
  coords: Float32Array;
  labels: Int32Array;
  predicted: Int32Array;
  split: Int32Array;
}

/** Every point's colour at every epoch, [E, N, RGBA]; alpha 255 where the guess is wrong. */
export function pointColors(d: Pick<TimelineData, "N" | "E" | "labels" | "predicted">, mode: ColorBy, paletteRgb: RGB[]): Uint8Array {
  const { N, E, labels, predicted } = d;
  const C = paletteRgb.length;
  // palette + grey (unknown class) + right + wrong, as flat RGB
  const pal = new Uint8Array((C + 3) * 3);
  paletteRgb.forEach((c, k) => pal.set(c, 3 * k));
  pal.set([150, 150, 150], 3 * C);
  pal.set(CORRECT, 3 * (C + 1));
  pal.set(WRONG, 3 * (C + 2));
  const out = new Uint8Array(E * N * 4);
  const cls = (c: number) => (c >= 0 && c < C ? c : C);
  for (let e = 0; e < E; e++) {
    const pe = e * N;
    for (let i = 0; i < N; i++) {
      const l = labels[i];
      const p = pe + i < predicted.length ? predicted[pe + i] : -1;
      const wrong = p !== l;
      const k = 3 * (mode === "true" ? cls(l) : mode === "predicted" ? cls(p) : wrong ? C + 2 : C + 1);
      const o = 4 * (pe + i);
      out[o] = pal[k];
      out[o + 1] = pal[k + 1];
      out[o + 2] = pal[k + 2];
      out[o + 3] = wrong ? 255 : 0;
    }
  }
  return out;
}

/** The epoch number at fractional index `pos` (linear between neighbouring epochs). */
export function epochValue(epochs: readonly number[], pos: number): number {
  if (!epochs.length) return 0;
  const i0 = Math.max(0, Math.min(epochs.length - 1, Math.floor(pos)));
  const i1 = Math.min(epochs.length - 1, i0 + 1);
  const f = pos - i0;
  return epochs[i0] + (epochs[i1] - epochs[i0]) * f;
}

/** The fractional index of epoch number `v` (the inverse of `epochValue`, clamped). */
export function epochIndex(epochs: readonly number[], v: number): number {
  if (epochs.length < 2) return 0;
  if (v <= epochs[0]) return 0;
  for (let i = 0; i < epochs.length - 1; i++) {
    if (v <= epochs[i + 1]) return i + (v - epochs[i]) / (epochs[i + 1] - epochs[i] || 1);
  }
  return epochs.length - 1;
}

/** How many points of each class (labels, or predictions at one epoch) there are. */
export function classCounts(classes: ArrayLike<number>, n: number): number[] {
  const counts = new Array(n).fill(0);
  for (let i = 0; i < classes.length; i++) {
    const c = classes[i];
    if (c >= 0 && c < n) counts[c]++;
  }
  return counts;
}
