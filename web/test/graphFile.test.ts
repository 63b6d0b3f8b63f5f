import { describe, expect, it } from "vitest";
import { classRgb, NEUTRAL, nodeColors, parseGraph, pathColors, toHex } from "@/lib/graphFile";
import { safetensors } from "./st";

function graph(method: string | null, importance: number[]): ArrayBuffer {
  const info = { format: "convlens-graph", version: 1, classes: [0, 1], class_names: ["a", "b"], n_classes: 2, layers: [], importance: { method } };
  return safetensors(
    {
      "nodes.position": { data: new Float32Array([0, 0, 0, 1, 1, 1]), shape: [2, 3] },
      "nodes.importance": { data: new Float32Array(importance), shape: [2, 2] },
      "nodes.layer": { data: new Int32Array([0, 1]), shape: [2] },
      "nodes.overall": { data: new Float32Array([1, 1]), shape: [2] },
      "edges.source": { data: new Int32Array([0]), shape: [1] },
      "edges.target": { data: new Int32Array([1]), shape: [1] },
      "edges.importance": { data: new Float32Array([1]), shape: [1] },
      "paths.edge": { data: new Int32Array([0]), shape: [1] },
      "paths.offsets": { data: new Int32Array([0, 2]), shape: [2] },
      "paths.position": { data: new Float32Array([0, 0, 0, 1, 1, 1]), shape: [2, 3] },
      "classes.color": { data: new Uint8Array([255, 0, 0, 0, 0, 255]), shape: [2, 3] },
    },
    { convlens: JSON.stringify(info) },
  );
}

describe("graph file", () => {
  it("reads the arrays and colours nodes by the class they matter for", () => {
    const g = parseGraph(graph("taylor", [1, 0, 0, 1]));
    expect(g.n).toBe(2);
    expect(g.k).toBe(2);
    expect(g.classBlind).toBe(false);
    expect(g.nodeUnit).toHaveLength(0); // optional and absent
    expect(classRgb(g, 1)).toEqual([0, 0, 1]);
    expect(toHex(nodeColors(g).slice(0, 3))).toBe("#ff0000");
    expect(toHex(nodeColors(g).slice(3, 6))).toBe("#0000ff");
    const paths = pathColors(g);
    expect(toHex(paths.slice(0, 3))).toBe("#ff0000"); // the path starts at its source's colour
    expect(toHex(paths.slice(3, 6))).toBe("#0000ff");
  });

  it("is class-blind when every column is the same, whatever the method", () => {
    const g = parseGraph(graph("taylor", [1, 1, 2, 2]));
    expect(g.classBlind).toBe(true);
    expect(Array.from(nodeColors(g).slice(0, 3))).toEqual(NEUTRAL.map(Math.fround));
  });

  it("refuses what is not a ConvLens graph", () => {
    expect(() => parseGraph(safetensors({ a: { data: new Uint8Array(1), shape: [1] } }))).toThrow(/not a ConvLens graph/);
    const v2 = safetensors({}, { convlens: JSON.stringify({ format: "convlens-graph", version: 2 }) });
    expect(() => parseGraph(v2)).toThrow(/version 2/);
  });
});
