import { describe, expect, it } from "vitest";
import { classCounts, epochIndex, epochValue, pointColors } from "@/lib/timeline";
import { CORRECT, WRONG, type RGB } from "@/lib/colors";

describe("timeline helpers", () => {
  it("maps fractional indices to epoch numbers and back, gaps included", () => {
    const epochs = [1, 2, 5, 10];
    expect(epochValue(epochs, 0)).toBe(1);
    expect(epochValue(epochs, 1.5)).toBe(3.5);
    expect(epochValue(epochs, 3)).toBe(10);
    for (const t of [0, 0.25, 1.5, 2.9, 3]) expect(epochIndex(epochs, epochValue(epochs, t))).toBeCloseTo(t);
    expect(epochIndex(epochs, -4)).toBe(0);
    expect(epochIndex(epochs, 99)).toBe(3);
    expect(epochIndex([7], 7)).toBe(0);
    expect(epochValue([], 0)).toBe(0);
  });

  it("colours points by class, prediction or correctness, marking wrong guesses", () => {
    const pal: RGB[] = [
      [10, 0, 0],
      [0, 20, 0],
    ];
    const d = { N: 2, E: 2, labels: Int32Array.from([0, 1]), predicted: Int32Array.from([0, 0, 0, 7]) };
    const byTrue = pointColors(d, "true", pal);
    expect(Array.from(byTrue.slice(0, 8))).toEqual([10, 0, 0, 0, 0, 20, 0, 255]); // point 1 wrong at epoch 0
    const byPred = pointColors(d, "predicted", pal);
    expect(Array.from(byPred.slice(12, 16))).toEqual([150, 150, 150, 255]); // class 7: unknown grey
    const right = pointColors(d, "correct", pal);
    expect(Array.from(right.slice(0, 3))).toEqual(CORRECT);
    expect(Array.from(right.slice(4, 7))).toEqual(WRONG);
  });

  it("never calls a picture without a label wrong", () => {
    const pal: RGB[] = [[10, 0, 0]];
    const d = { N: 1, E: 1, labels: Int32Array.from([-1]), predicted: Int32Array.from([0]) };
    expect(Array.from(pointColors(d, "true", pal))).toEqual([150, 150, 150, 0]);
    expect(Array.from(pointColors(d, "predicted", pal))).toEqual([10, 0, 0, 0]);
    expect(Array.from(pointColors(d, "correct", pal))).toEqual([150, 150, 150, 0]);
  });

  it("counts classes, ignoring unknown ones", () => {
    expect(classCounts([0, 2, 2, -1, 9], 3)).toEqual([1, 0, 2]);
  });
});

describe("chunked timeline loading", () => {
  it("asks for the first epoch, then chunks, and hands over each part as views of the whole", async () => {
    const { loadTimeline, chunkEpochs } = await import("@/lib/timeline");
    expect(chunkEpochs(50_000)).toBe(10);
    expect(chunkEpochs(10)).toBe(50_000);
    const N = 250_000; // 2 epochs per chunk
    const epochs = [1, 2, 3, 4, 5, 6];
    const asked: [number, number][] = [];
    const fetchChunk = async (start: number, stop: number) => {
      asked.push([start, stop]);
      const E = stop - start;
      const coords = new Float32Array(E * N * 2).map((_, i) => start + Math.floor(i / (N * 2)));
      const predicted = new Int32Array(E * N).fill(start);
      const arr = <T>(data: T, shape: number[]) => ({ shape, data });
      return {
        layer: "fc", epochs, n: N, start, metrics: {}, method: "m", explanation: "x",
        coords: arr(coords, [E, N, 2]), predicted: arr(predicted, [E, N]),
        labels: start === 0 ? arr(new Int32Array(N).fill(4), [N]) : null,
        split: start === 0 ? arr(new Int32Array(N), [N]) : null,
      } as never;
    };
    const seen: number[] = [];
    const last = await loadTimeline("r|fc", fetchChunk, (p) => {
      seen.push(p.loaded);
      expect(p.data.coords.length).toBe(p.loaded * N * 2);
      expect(p.data.epochs).toEqual(epochs.slice(0, p.loaded));
    });
    expect(asked).toEqual([[0, 1], [1, 3], [3, 5], [5, 6]]);
    expect(seen).toEqual([1, 3, 5, 6]);
    expect(last.done).toBe(true);
    expect(last.data.coords[5 * N * 2]).toBe(5); // epoch 6 arrived in the chunk starting at 5
    expect(last.data.predicted[3 * N]).toBe(3);
    expect(last.data.labels[0]).toBe(4);
  });
});
