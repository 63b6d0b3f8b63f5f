// The network graph's edge paths as line segments, split by edge kind (docs/graph-format.md):
// kind 2 (a squeeze-excite gate) is drawn dashed, so its segments carry the distance along the
// path for the dash pattern; kinds 0 (weighted) and 1 (residual join) are drawn as solid lines.
import type { GraphData } from "./graphFile";

export const GATE = 2;

export interface EdgeSegments {
  /** Segment index pairs (into the path points) of ordinary edges and of gate edges. */
  plain: Uint32Array;
  gate: Uint32Array;
  /** Per path point: the distance along its path from the path's first point (world units). */
  dist: Float32Array;
  /** Per path point: the importance of the edge it draws. */
  imp: Float32Array;
  /** How many edges of each kind there are. */
  gates: number;
}

export function edgeSegments(g: Pick<GraphData, "pathPos" | "pathEdge" | "pathOffsets" | "edgeImp" | "edgeKind">): EdgeSegments {
  const S = g.pathPos.length / 3;
  const P = g.pathEdge.length;
  const imp = new Float32Array(S);
  const dist = new Float32Array(S);
  let nPlain = 0;
  let nGate = 0;
  const isGate = (p: number) => (g.edgeKind[g.pathEdge[p]] ?? 0) === GATE;
  for (let p = 0; p < P; p++) {
    const segs = Math.max(0, g.pathOffsets[p + 1] - g.pathOffsets[p] - 1);
    if (isGate(p)) nGate += segs;
    else nPlain += segs;
  }
  const plain = new Uint32Array(nPlain * 2);
  const gate = new Uint32Array(nGate * 2);
  let i = 0;
  let j = 0;
  const gateEdges = new Set<number>();
  for (let p = 0; p < P; p++) {
    const o0 = g.pathOffsets[p];
    const o1 = g.pathOffsets[p + 1];
    imp.fill(g.edgeImp[g.pathEdge[p]] ?? 0, o0, o1);
    const gated = isGate(p);
    if (gated) gateEdges.add(g.pathEdge[p]);
    let d = 0;
    for (let s = o0; s < o1; s++) {
      if (s > o0) {
        const a = 3 * (s - 1);
        const b = 3 * s;
        d += Math.hypot(g.pathPos[b] - g.pathPos[a], g.pathPos[b + 1] - g.pathPos[a + 1], g.pathPos[b + 2] - g.pathPos[a + 2]);
      }
      dist[s] = d;
      if (s === o1 - 1) break;
      if (gated) {
        gate[j++] = s;
        gate[j++] = s + 1;
      } else {
        plain[i++] = s;
        plain[i++] = s + 1;
      }
    }
  }
  return { plain, gate, dist, imp, gates: gateEdges.size };
}
