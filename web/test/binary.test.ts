import { describe, expect, it } from "vitest";
import { dequantise, readBinaryAnswer } from "@/api/binary";
import { decodeFloat, decodeInt, apiUrl, imageRefUrl } from "@/api/client";
import { halfToFloat, parseSafetensors } from "@/lib/safetensors";
import { safetensors } from "./st";

function answer(arrays: Record<string, unknown>, tensors: Parameters<typeof safetensors>[0], fields = {}, version = 1): ArrayBuffer {
  return safetensors(tensors, { convlens: JSON.stringify({ format: "convlens-arrays", version, arrays, fields }) });
}

describe("safetensors reader", () => {
  it("reads metadata, dtypes and float16", () => {
    const buf = safetensors(
      { a: { data: new Float32Array([1.5, -2]), shape: [2] }, h: { f16: new Uint16Array([0x3c00, 0xc000, 0x0001]), shape: [3] } },
      { k: "v" },
    );
    const st = parseSafetensors(buf);
    expect(st.metadata).toEqual({ k: "v" });
    expect(Array.from(st.get("a") as Float32Array)).toEqual([1.5, -2]);
    expect(Array.from(st.get("h") as Float32Array)).toEqual([1, -2, 2 ** -24]);
    expect(st.get("missing")).toBeUndefined();
    expect(halfToFloat(0x7c00)).toBe(Infinity);
  });

  it("refuses a file too short for its header", () => {
    expect(() => parseSafetensors(new ArrayBuffer(4))).toThrow(/safetensors/);
    const bad = new ArrayBuffer(16);
    new DataView(bad).setBigUint64(0, 100n, true);
    expect(() => parseSafetensors(bad)).toThrow(/header longer/);
  });
});

describe("binary answers", () => {
  it("dequantises block by block", () => {
    const out = dequantise(new Uint8Array([0, 255, 0, 2]), [1, -1], [0.5, 0.25]);
    expect(Array.from(out)).toEqual([1, 128.5, -1, -0.5]);
  });

  it("returns the JSON fields and decoded arrays in JSON's dtypes", () => {
    const buf = answer(
      { maps: { dtype: "float32", shape: [2, 1, 2], encoding: "u8" }, labels: { dtype: "int32", shape: [3], encoding: "raw" }, raw: { dtype: "float32", shape: [1], encoding: "raw" } },
      {
        maps: { data: new Uint8Array([0, 255, 255, 0]), shape: [2, 1, 2] },
        "maps.min": { data: new Float32Array([0, 10]), shape: [2] },
        "maps.scale": { data: new Float32Array([1 / 255, 2 / 255]), shape: [2] },
        labels: { data: new Uint8Array([2, 0, 7]), shape: [3] },
        raw: { data: new Float32Array([0.125]), shape: [1] },
      },
      { layer: "conv", order: [1, 0] },
    );
    const got = readBinaryAnswer<{ layer: string; order: number[]; maps: { shape: number[]; data: Float32Array }; labels: { data: Int32Array }; raw: { data: Float32Array } }>(buf);
    expect(got.layer).toBe("conv");
    expect(got.order).toEqual([1, 0]);
    expect(got.maps.shape).toEqual([2, 1, 2]);
    expect(got.maps.data).toBeInstanceOf(Float32Array);
    expect(Array.from(got.maps.data).map((v) => +v.toFixed(5))).toEqual([0, 1, 12, 10]);
    expect(got.labels.data).toBeInstanceOf(Int32Array);
    expect(Array.from(got.labels.data)).toEqual([2, 0, 7]);
    expect(decodeFloat(got.raw).data).toBe(got.raw.data); // already decoded: no copy
    expect(Array.from(decodeInt(got.maps).data)).toEqual([0, 1, 12, 10]);
  });

  it("says what is wrong with a file it cannot read", () => {
    expect(() => readBinaryAnswer(safetensors({ a: { data: new Uint8Array(1), shape: [1] } }))).toThrow(/no description/);
    expect(() => readBinaryAnswer(answer({}, {}, {}, 2))).toThrow(/version 2/);
    expect(() => readBinaryAnswer(answer({ x: { dtype: "float32", shape: [1], encoding: "u8" } }, { x: { data: new Uint8Array(1), shape: [1] } }))).toThrow(/no scale/);
  });
});

describe("JSON arrays and URLs", () => {
  it("decodes base64 arrays", () => {
    const f = new Float32Array([1, 2.5]);
    const b64 = Buffer.from(f.buffer).toString("base64");
    expect(Array.from(decodeFloat({ dtype: "float32", shape: [2], data: b64 }).data)).toEqual([1, 2.5]);
    const u8 = Buffer.from(new Uint8Array([3, 250])).toString("base64");
    expect(Array.from(decodeInt({ dtype: "uint8", shape: [2], data: u8 }).data)).toEqual([3, 250]);
  });

  it("builds API URLs without empty parameters", () => {
    expect(apiUrl("/runs/a b/timeline", { layer: "fc", epoch: 0, x: "", y: null })).toBe("api/runs/a b/timeline?layer=fc&epoch=0");
    expect(imageRefUrl("r", "probe:3")).toBe("api/runs/r/probe/3.png");
    expect(imageRefUrl("r", "upload:ab")).toBe("api/uploads/ab.png");
    expect(imageRefUrl("r", "bogus")).toBeNull();
  });
});

describe("delta encodings", () => {
  it("sums differences along the first axis modulo 2^bits", async () => {
    const { undelta, fromBytePlanes } = await import("@/api/binary");
    expect(Array.from(undelta(new Uint8Array([250, 1, 10, 0]), 2))).toEqual([250, 1, 4, 1]); // 250+10 wraps
    expect(Array.from(fromBytePlanes(new Uint8Array([0x34, 0xff, 0x12, 0x00])))).toEqual([0x1234, 0x00ff]);
  });

  it("reads a u16-delta array (byte planes, one scale) and a u8-delta one", () => {
    // values q = [[1, 65535], [3, 0]] -> differences [[1, 65535], [2, 1]] (65535 + 1 wraps to 0)
    const d = [1, 65535, 2, 1];
    const planes = new Uint8Array([...d.map((v) => v & 255), ...d.map((v) => v >> 8)]);
    const buf = answer(
      { c: { dtype: "float32", shape: [2, 2], encoding: "u16-delta" }, p: { dtype: "int32", shape: [2, 2], encoding: "u8-delta" } },
      {
        c: { data: planes, shape: [2, 4] },
        "c.min": { data: new Float32Array([-1]), shape: [1] },
        "c.scale": { data: new Float32Array([0.5]), shape: [1] },
        p: { data: new Uint8Array([3, 7, 255, 0]), shape: [2, 2] },
      },
    );
    const got = readBinaryAnswer<{ c: { data: Float32Array }; p: { data: Int32Array } }>(buf);
    expect(Array.from(got.c.data)).toEqual([-0.5, 32766.5, 0.5, -1]);
    expect(Array.from(got.p.data)).toEqual([3, 7, 2, 7]);
  });
});
