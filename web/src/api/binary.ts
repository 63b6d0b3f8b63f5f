// Reader of the API's binary answers (`Accept: application/octet-stream`, docs/api.md): one
// safetensors file whose metadata "convlens" holds the JSON fields and, per array, its encoding.
// Quantised arrays (u8/u16) come with NAME.min and NAME.scale (L blocks): value = min + q * scale.
// "-delta" encodings hold differences along the first axis (modulo 2^bits); u16-delta as two byte
// planes (low bytes, then high bytes). The browser undoes the HTTP gzip before this reads it.
import { parseSafetensors } from "@/lib/safetensors";
import type { NDArray } from "./types";

export const BINARY_TYPE = "application/octet-stream";

interface ArrayMeta {
  dtype: "float32" | "int32" | "uint8";
  shape: number[];
  encoding: "raw" | "u8" | "u16" | "u16-delta" | "u8-delta";
}

interface Meta {
  format: string;
  version: number;
  arrays: Record<string, ArrayMeta>;
  fields: Record<string, unknown>;
}

/** `min + q * scale`, block by block (the array splits into `min.length` equal blocks). */
export function dequantise(q: ArrayLike<number>, min: ArrayLike<number>, scale: ArrayLike<number>): Float32Array {
  const out = new Float32Array(q.length);
  const blocks = Math.max(1, min.length);
  const size = q.length / blocks;
  for (let b = 0; b < blocks; b++) {
    const lo = min[b] ?? 0;
    const step = scale[b] ?? 0;
    const end = (b + 1) * size;
    for (let i = b * size; i < end; i++) out[i] = lo + q[i] * step;
  }
  return out;
}

/** Values from differences along the first axis (`rows` rows), modulo 2^bits, in place. */
export function undelta(d: Uint8Array | Uint16Array, rows: number): Uint8Array | Uint16Array {
  const row = rows > 0 ? d.length / rows : 0;
  for (let i = row; i < d.length; i++) d[i] += d[i - row]; // typed arrays wrap modulo 2^bits
  return d;
}

/** uint16 values from their two byte planes ([2, size]: low bytes, then high bytes). */
export function fromBytePlanes(planes: Uint8Array): Uint16Array {
  const n = planes.length >> 1;
  const out = new Uint16Array(n);
  for (let i = 0; i < n; i++) out[i] = planes[i] | (planes[n + i] << 8);
  return out;
}

function asDtype(data: ArrayLike<number>, dtype: ArrayMeta["dtype"]): NDArray["data"] {
  if (dtype === "float32") return data instanceof Float32Array ? data : Float32Array.from(data);
  if (dtype === "uint8") return data instanceof Uint8Array ? data : Uint8Array.from(data);
  return data instanceof Int32Array ? data : Int32Array.from(data);
}

/** The answer as the JSON one, with every array already decoded (`NDArray`, JSON's dtype). */
export function readBinaryAnswer<T>(buf: ArrayBuffer): T {
  const st = parseSafetensors(buf);
  const raw = st.metadata.convlens;
  if (!raw) throw new Error("The server's binary answer has no description.");
  const meta = JSON.parse(raw) as Meta;
  if (meta.format !== "convlens-arrays") throw new Error(`Unknown binary answer format ${meta.format}.`);
  if (meta.version > 1) throw new Error(`The binary answer is version ${meta.version}; this page reads 1. Reload the page.`);
  const out: Record<string, unknown> = { ...meta.fields };
  for (const [name, a] of Object.entries(meta.arrays)) {
    const t = st.get(name);
    if (!t) throw new Error(`The binary answer has no array "${name}".`);
    let data: ArrayLike<number> = t;
    const rows = a.shape.length ? a.shape[0] : 1;
    if (a.encoding === "u16-delta") data = undelta(fromBytePlanes(t as Uint8Array), rows);
    else if (a.encoding === "u8-delta") data = undelta(t as Uint8Array, rows);
    if (a.encoding !== "raw" && a.encoding !== "u8-delta") {
      const lo = st.get(`${name}.min`);
      const step = st.get(`${name}.scale`);
      if (!lo || !step) throw new Error(`The binary answer has no scale for "${name}".`);
      data = dequantise(data, lo, step);
    }
    out[name] = { shape: a.shape, data: asDtype(data, a.dtype) } satisfies NDArray;
  }
  return out as T;
}
