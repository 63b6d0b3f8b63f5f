import { describe, expect, it } from "vitest";
import { edgeSegments, lineLegend } from "@/lib/graphEdges";

describe("edge segments", () => {
  it("splits gate edges (kind 2) from the others and measures the distance along each path", () => {
    // Path 0 draws edge 0 (weighted) over 3 points; path 1 draws edge 1 (a gate) over 2 points.
    const g = {
      pathPos: new Float32Array([0, 0, 0, 3, 4, 0, 3, 4, 1, 0, 0, 0, 0, 0, 2]),
      pathEdge: new Int32Array([0, 1]),
      pathOffsets: new Int32Array([0, 3, 5]),
      edgeImp: new Float32Array([0.5, 0.9]),
      edgeKind: new Uint8Array([0, 2]),
    };
    const s = edgeSegments(g);
    expect(Array.from(s.plain)).toEqual([0, 1, 1, 2]);
    expect(Array.from(s.gate)).toEqual([3, 4]);
    expect(Array.from(s.dist)).toEqual([0, 5, 6, 0, 2]);
    expect(Array.from(s.imp)).toEqual([0.5, 0.5, 0.5, 0.9, 0.9].map(Math.fround));
    expect(s.gates).toBe(1);
  });

  it("treats a file without edge kinds as all ordinary edges", () => {
    const g = {
      pathPos: new Float32Array([0, 0, 0, 1, 0, 0]),
      pathEdge: new Int32Array([0]),
      pathOffsets: new Int32Array([0, 2]),
      edgeImp: new Float32Array([1]),
      edgeKind: new Uint8Array(0),
    };
    const s = edgeSegments(g);
    expect(Array.from(s.plain)).toEqual([0, 1]);
    expect(s.gate).toHaveLength(0);
    expect(s.gates).toBe(0);
  });

  it("puts shortcut edges (kind 1) apart, dotted, with their own count", () => {
    // Edge 0 weighted, edge 1 a shortcut drawn by two paths, edge 2 a gate.
    const g = {
      pathPos: new Float32Array([0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 2, 0, 0, 3, 0, 0, 4, 0, 0, 0, 5, 0, 0, 6]),
      pathEdge: new Int32Array([0, 1, 1, 2]),
      pathOffsets: new Int32Array([0, 2, 4, 6, 8]),
      edgeImp: new Float32Array([1, 1, 1]),
      edgeKind: new Uint8Array([0, 1, 2]),
    };
    const s = edgeSegments(g);
    expect(Array.from(s.plain)).toEqual([0, 1]);
    expect(Array.from(s.skip)).toEqual([2, 3, 4, 5]);
    expect(Array.from(s.gate)).toEqual([6, 7]);
    expect([s.skips, s.gates]).toEqual([1, 1]);
  });
});

describe("line legend", () => {
  const kinds = (c: { skips: number; gates: number }) => lineLegend(c).map((k) => k.kind);
  it("names shortcuts only when the graph has kind-1 edges", () => {
    expect(kinds({ skips: 0, gates: 0 })).toEqual(["connection"]);
    expect(kinds({ skips: 0, gates: 3 })).toEqual(["connection", "gate"]);
    const keys = lineLegend({ skips: 1200, gates: 0 });
    expect(keys.map((k) => k.kind)).toEqual(["connection", "skip"]);
    expect(keys[1].text).toBe("a shortcut (1,200): the block's input is added to its output");
  });
  it("draws each kind with its own pattern", () => {
    const keys = lineLegend({ skips: 1, gates: 1 });
    expect(new Set(keys.map((k) => k.dash ?? "solid")).size).toBe(3);
  });
});
