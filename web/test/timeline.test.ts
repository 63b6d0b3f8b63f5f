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

  it("counts classes, ignoring unknown ones", () => {
    expect(classCounts([0, 2, 2, -1, 9], 3)).toEqual([1, 0, 2]);
  });
});
