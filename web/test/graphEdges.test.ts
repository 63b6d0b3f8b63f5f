import { describe, expect, it } from "vitest";
import { edgeSegments } from "@/lib/graphEdges";

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
});
