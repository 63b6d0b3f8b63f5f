// The timeline's data and its pure helpers: colours per point and epoch, the slider's mapping
// between a fractional epoch index and epoch numbers (epochs need not be contiguous), and the
// loader that fetches a long run in chunks of epochs (binary) and hands over each as it arrives.
import { onBeforeUnmount, ref, shallowRef, watch, type Ref, type ShallowRef } from "vue";
import { decodeFloat, decodeInt, errorMessage, getJSON, isAbort, runPath } from "@/api/client";
import type { TimelineResponse } from "@/api/types";
import { CORRECT, UNLABELLED, WRONG, type RGB } from "./colors";

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

/** Every point's colour at every epoch, [E, N, RGBA]; alpha 255 where the guess is wrong.
 * A picture without a label (a probe set from a flat folder) is never called wrong: it is grey
 * by true class and by right-or-wrong. */
export function pointColors(d: Pick<TimelineData, "N" | "E" | "labels" | "predicted">, mode: ColorBy, paletteRgb: RGB[]): Uint8Array {
  const { N, E, labels, predicted } = d;
  const C = paletteRgb.length;
  // palette + grey (unknown class) + right + wrong, as flat RGB
  const pal = new Uint8Array((C + 3) * 3);
  paletteRgb.forEach((c, k) => pal.set(c, 3 * k));
  pal.set(UNLABELLED, 3 * C);
  pal.set(CORRECT, 3 * (C + 1));
  pal.set(WRONG, 3 * (C + 2));
  const out = new Uint8Array(E * N * 4);
  const cls = (c: number) => (c >= 0 && c < C ? c : C);
  for (let e = 0; e < E; e++) {
    const pe = e * N;
    for (let i = 0; i < N; i++) {
      const l = labels[i];
      const p = pe + i < predicted.length ? predicted[pe + i] : -1;
      const wrong = l >= 0 && p !== l;
      const k = 3 * (mode === "true" ? cls(l) : mode === "predicted" ? cls(p) : l < 0 ? C : wrong ? C + 2 : C + 1);
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

// ---- loading in chunks of epochs ----

/** Points per chunk after the first (about 1 MB on the wire for 2-D positions and classes). */
export const CHUNK_POINTS = 500_000;

/** Epochs per chunk for `n` points (at least 1). */
export function chunkEpochs(n: number, budget = CHUNK_POINTS): number {
  return Math.max(1, Math.floor(budget / Math.max(1, n)));
}

/** The answer's fields that are not arrays (the same in every chunk). */
export type TimelineMeta = Omit<TimelineResponse, "coords" | "labels" | "predicted" | "split">;

/** What has arrived so far: `data` holds the first `loaded` of `total` epochs. */
export interface TimelinePart {
  meta: TimelineMeta;
  data: TimelineData;
  loaded: number;
  total: number;
  done: boolean;
}

export type ChunkFetcher = (start: number, stop: number) => Promise<TimelineResponse>;

/** Fetch the timeline in chunks: the first epoch alone (drawn at once), then `chunkEpochs(n)`
 * epochs at a time, calling `onPart` after each. The arrays are filled in place, so each part's
 * typed arrays are views of the first `loaded` epochs. */
export async function loadTimeline(key: string, fetchChunk: ChunkFetcher, onPart: (p: TimelinePart) => void): Promise<TimelinePart> {
  const first = await fetchChunk(0, 1);
  const { coords: _c, labels, predicted: _p, split, ...meta } = first;
  const N = first.n;
  const total = first.epochs.length;
  const coords = new Float32Array(total * N * 2);
  const predicted = new Int32Array(total * N);
  const lab = labels ? decodeInt(labels).data : new Int32Array(N).fill(-1);
  const spl = split ? decodeInt(split).data : new Int32Array(N);
  let loaded = 0;
  const take = (a: TimelineResponse): TimelinePart => {
    const c = decodeFloat(a.coords).data;
    const p = decodeInt(a.predicted).data;
    const start = a.start ?? 0;
    const count = Math.min(p.length / Math.max(1, N), total - start);
    coords.set(c.subarray(0, count * N * 2), start * N * 2);
    predicted.set(p.subarray(0, count * N), start * N);
    loaded = start + count;
    const part: TimelinePart = {
      meta,
      loaded,
      total,
      done: loaded >= total,
      data: {
        key,
        epochs: first.epochs.slice(0, loaded),
        E: loaded,
        N,
        coords: coords.subarray(0, loaded * N * 2),
        labels: lab,
        predicted: predicted.subarray(0, loaded * N),
        split: spl,
      },
    };
    onPart(part);
    return part;
  };
  let part = take(first);
  const step = chunkEpochs(N);
  while (loaded < total) part = take(await fetchChunk(loaded, Math.min(total, loaded + step)));
  return part;
}

export interface TimelineRequest {
  run: string;
  layer: string;
}

export interface TimelineLoader {
  /** The latest part (a new object per chunk); `done` on the last. */
  part: ShallowRef<TimelinePart | null>;
  /** The fields of the answer (metrics, method, explanation, every epoch), renewed by a live
   * reload once it is complete. */
  data: ShallowRef<TimelineMeta | null>;
  loading: Ref<boolean>;
  error: Ref<string | null>;
  /** Epochs loaded and in all, while loading. */
  progress: Ref<{ loaded: number; total: number } | null>;
  reload: () => Promise<void>;
}

/** A reactive chunked load of a run's timeline: restarts when the request changes, aborts the
 * previous load, keeps the last data while reloading. */
export function useTimelineLoad(request: () => TimelineRequest | null): TimelineLoader {
  const part = shallowRef<TimelinePart | null>(null);
  const meta = shallowRef<TimelineMeta | null>(null);
  const loading = ref(false);
  const error = ref<string | null>(null);
  const progress = ref<{ loaded: number; total: number } | null>(null);
  let controller: AbortController | null = null;
  let seq = 0;
  let metaKey = "";

  async function run(req: TimelineRequest | null): Promise<void> {
    controller?.abort();
    const my = ++seq;
    if (!req) {
      loading.value = false;
      return;
    }
    const ctl = new AbortController();
    controller = ctl;
    loading.value = true;
    error.value = null;
    const fetchChunk: ChunkFetcher = (start, stop) =>
      getJSON<TimelineResponse>(runPath(req.run, "timeline"), { layer: req.layer, start, stop }, { signal: ctl.signal, binary: true });
    try {
      const key = `${req.run}|${req.layer}`;
      await loadTimeline(key, fetchChunk, (p) => {
        if (my !== seq) return;
        progress.value = p.done ? null : { loaded: p.loaded, total: p.total };
        if (p.done || metaKey !== key) meta.value = p.meta; // a live reload swaps when complete
        metaKey = key;
        part.value = p;
      });
    } catch (e) {
      if (isAbort(e) || my !== seq) return;
      error.value = errorMessage(e);
    } finally {
      if (my === seq) {
        loading.value = false;
        progress.value = null;
      }
    }
  }

  watch(
    () => JSON.stringify(request()),
    () => void run(request()),
    { immediate: true },
  );
  onBeforeUnmount(() => controller?.abort());
  return { part, data: meta, loading, error, progress, reload: () => run(request()) };
}
