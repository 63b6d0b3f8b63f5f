// The network graph's edge paths as line segments, split by edge kind (docs/graph-format.md):
// kind 0 (a weighted connection) is a solid line, kind 1 (a residual join, a shortcut) a dotted
// line and kind 2 (a squeeze-excite gate) a dashed one, so the two patterned kinds carry the
// distance along the path for their pattern. `lineLegend` says in words what each kind drawn is.
import type { GraphData } from "./graphFile";

export const SKIP = 1;
export const GATE = 2;

export interface EdgeSegments {
  /** Segment index pairs (into the path points) of ordinary, shortcut and gate edges. */
  plain: Uint32Array;
  skip: Uint32Array;
  gate: Uint32Array;
  /** Per path point: the distance along its path from the path's first point (world units). */
  dist: Float32Array;
  /** Per path point: the importance of the edge it draws. */
  imp: Float32Array;
  /** How many shortcut and gate edges there are. */
  skips: number;
  gates: number;
}

export function edgeSegments(g: Pick<GraphData, "pathPos" | "pathEdge" | "pathOffsets" | "edgeImp" | "edgeKind">): EdgeSegments {
  const S = g.pathPos.length / 3;
  const P = g.pathEdge.length;
  const imp = new Float32Array(S);
  const dist = new Float32Array(S);
  const kindOf = (p: number) => {
    const k = g.edgeKind[g.pathEdge[p]] ?? 0;
    return k === SKIP || k === GATE ? k : 0;
  };
  const nSegs = [0, 0, 0];
  for (let p = 0; p < P; p++) nSegs[kindOf(p)] += Math.max(0, g.pathOffsets[p + 1] - g.pathOffsets[p] - 1);
  const out = nSegs.map((n) => new Uint32Array(n * 2));
  const at = [0, 0, 0];
  const seen = [new Set<number>(), new Set<number>(), new Set<number>()];
  for (let p = 0; p < P; p++) {
    const o0 = g.pathOffsets[p];
    const o1 = g.pathOffsets[p + 1];
    imp.fill(g.edgeImp[g.pathEdge[p]] ?? 0, o0, o1);
    const k = kindOf(p);
    seen[k].add(g.pathEdge[p]);
    let d = 0;
    for (let s = o0; s < o1; s++) {
      if (s > o0) {
        const a = 3 * (s - 1);
        const b = 3 * s;
        d += Math.hypot(g.pathPos[b] - g.pathPos[a], g.pathPos[b + 1] - g.pathPos[a + 1], g.pathPos[b + 2] - g.pathPos[a + 2]);
      }
      dist[s] = d;
      if (s === o1 - 1) break;
      out[k][at[k]++] = s;
      out[k][at[k]++] = s + 1;
    }
  }
  return { plain: out[0], skip: out[SKIP], gate: out[GATE], dist, imp, skips: seen[SKIP].size, gates: seen[GATE].size };
}

/** The colour of shortcut lines: one near-black for all (the class colours and the class-blind
 * slate blue are bright or mid tones), so a shortcut never reads as a class. */
export const SKIP_RGB: [number, number, number] = [0.1, 0.1, 0.12];
export const SKIP_HEX = "#1a1a1f";

export interface LineKey {
  kind: "connection" | "skip" | "gate";
  /** SVG stroke-dasharray of the sample line, if patterned. */
  dash?: string;
  color: string;
  text: string;
}

/** The legend of the lines drawn: ordinary connections always, shortcuts and gates only when the
 * graph has them. */
export function lineLegend(counts: { skips: number; gates: number }): LineKey[] {
  const n = (v: number) => v.toLocaleString("en-US");
  const keys: LineKey[] = [{ kind: "connection", color: "#6b7785", text: "a connection: one unit feeds another" }];
  if (counts.skips > 0)
    keys.push({ kind: "skip", dash: "1.5 3", color: SKIP_HEX, text: `a shortcut (${n(counts.skips)}): the block's input is added to its output` });
  if (counts.gates > 0)
    keys.push({ kind: "gate", dash: "4 3", color: "#6b7785", text: `a gate (${n(counts.gates)}): a squeeze-excite unit that turns a channel of a layer up or down` });
  return keys;
}
