// Test helper: write a safetensors file as the Python `safetensors` package does.
type Typed = Float32Array | Int32Array | Uint8Array | Uint16Array;
const DT: Record<string, string> = { Float32Array: "F32", Int32Array: "I32", Uint8Array: "U8", Uint16Array: "U16" };

export function safetensors(tensors: Record<string, { data: Typed; shape: number[] } | { f16: Uint16Array; shape: number[] }>, metadata?: Record<string, string>): ArrayBuffer {
  const header: Record<string, unknown> = {};
  if (metadata) header.__metadata__ = metadata;
  const parts: Uint8Array[] = [];
  let offset = 0;
  for (const [name, t] of Object.entries(tensors)) {
    const data = "f16" in t ? t.f16 : t.data;
    const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    header[name] = { dtype: "f16" in t ? "F16" : DT[data.constructor.name], shape: t.shape, data_offsets: [offset, offset + bytes.length] };
    parts.push(bytes);
    offset += bytes.length;
  }
  let json = JSON.stringify(header);
  while ((8 + json.length) % 8) json += " ";
  const head = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + head.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(head.length), true);
  out.set(head, 8);
  let o = 8 + head.length;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out.buffer;
}
