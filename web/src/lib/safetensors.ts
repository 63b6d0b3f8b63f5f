// A reader of safetensors files (8-byte little-endian header length, JSON header, raw tensors),
// shared by the graph file (graphFile.ts) and the API's binary answers (api/binary.ts).

export interface TensorInfo {
  dtype: string;
  shape: number[];
  data_offsets: [number, number];
}

export interface Safetensors {
  metadata: Record<string, string>;
  tensors: Record<string, TensorInfo>;
  /** A copy of one tensor's bytes as a typed array of its dtype (F32, F16 as F32, I32, U8, U16, I16). */
  get(name: string): Float32Array | Int32Array | Uint8Array | Uint16Array | Int16Array | undefined;
}

const TYPED = { F32: Float32Array, I32: Int32Array, U8: Uint8Array, U16: Uint16Array, I16: Int16Array } as const;

export function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * 2 ** -14 * (f / 1024);
  if (e === 31) return f ? NaN : s * Infinity;
  return s * 2 ** (e - 15) * (1 + f / 1024);
}

export function parseSafetensors(buf: ArrayBuffer): Safetensors {
  if (buf.byteLength < 8) throw new Error("Not a safetensors file (shorter than its header).");
  const n = Number(new DataView(buf).getBigUint64(0, true));
  if (8 + n > buf.byteLength) throw new Error("Not a safetensors file (header longer than the file).");
  const header = JSON.parse(new TextDecoder().decode(new Uint8Array(buf, 8, n))) as Record<string, unknown>;
  const metadata = (header.__metadata__ ?? {}) as Record<string, string>;
  delete header.__metadata__;
  const tensors = header as Record<string, TensorInfo>;
  const base = 8 + n;
  return {
    metadata,
    tensors,
    get(name) {
      const h = tensors[name];
      if (!h) return undefined;
      const [a, b] = h.data_offsets;
      const bytes = buf.slice(base + a, base + b);
      if (h.dtype === "F16") return Float32Array.from(new Uint16Array(bytes), halfToFloat);
      const T = TYPED[h.dtype as keyof typeof TYPED];
      if (!T) throw new Error(`Tensor "${name}" has dtype ${h.dtype}, which this page does not read.`);
      return new T(bytes);
    },
  };
}
