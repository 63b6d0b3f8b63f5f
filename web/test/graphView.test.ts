import { describe, expect, it } from "vitest";
import { layerAxisScale } from "@/lib/graphView";

describe("layerAxisScale", () => {
  it("leaves a short network as laid out", () => {
    expect(layerAxisScale([0, 0.5, 1, 1.5], 1)).toBe(1);
    expect(layerAxisScale([0], 1)).toBe(1);
  });
  it("squeezes a deep network to at most four slice widths", () => {
    const zs = Array.from({ length: 54 }, (_, i) => i * 0.5); // MobileNetV2: 26.5 long
    const s = layerAxisScale(zs, 1);
    expect(s).toBeCloseTo(4 / 26.5, 6);
    expect((zs[53] - zs[0]) * s).toBeCloseTo(4, 6);
  });
  it("follows the slice width and the ratio asked for", () => {
    expect(layerAxisScale([0, 10], 2, 3)).toBeCloseTo(0.6, 6);
  });
});
