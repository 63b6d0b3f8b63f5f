import { beforeAll, describe, expect, it } from "vitest";
import { categoricalPalette, DIVERGING_LUT, makeScale, paintValues, rgbCss, rgbHex, VIRIDIS_LUT } from "@/lib/colors";

beforeAll(() => {
  // Node has no ImageData: the smallest stand-in paintValues needs.
  (globalThis as Record<string, unknown>).ImageData ??= class {
    data: Uint8ClampedArray;
    constructor(
      readonly width: number,
      readonly height: number,
    ) {
      this.data = new Uint8ClampedArray(width * height * 4);
    }
  };
});

describe("colors", () => {
  it("gives n distinct in-gamut colours for any n", () => {
    for (const n of [1, 3, 10, 20]) {
      const p = categoricalPalette(n);
      expect(p).toHaveLength(n);
      expect(new Set(p.map(rgbHex)).size).toBe(n);
      for (const c of p) for (const v of c) expect(v >= 0 && v <= 255).toBe(true);
    }
    expect(categoricalPalette(0)).toHaveLength(1);
  });

  it("writes CSS colours", () => {
    expect(rgbHex([255, 0, 16])).toBe("#ff0010");
    expect(rgbCss([1, 2, 3])).toBe("rgb(1, 2, 3)");
    expect(rgbCss([1, 2, 3], 0.5)).toBe("rgba(1, 2, 3, 0.5)");
  });

  it("chooses a diverging scale only for signed values", () => {
    expect(makeScale(-1, 3)).toMatchObject({ lo: -3, hi: 3, diverging: true, table: DIVERGING_LUT });
    expect(makeScale(0.5, 2)).toMatchObject({ lo: 0, hi: 2, diverging: false, table: VIRIDIS_LUT });
    expect(makeScale(2, 2).hi).toBe(3); // a constant map still has a span
  });

  it("paints values through the scale", () => {
    const s = makeScale(0, 1);
    const img = paintValues([0, 1, NaN], 0, 3, 1, s);
    expect(Array.from(img.data.slice(0, 3))).toEqual(Array.from(VIRIDIS_LUT.slice(0, 3)));
    expect(Array.from(img.data.slice(4, 7))).toEqual(Array.from(VIRIDIS_LUT.slice(255 * 3, 255 * 3 + 3)));
    expect(Array.from(img.data.slice(8, 11))).toEqual(Array.from(VIRIDIS_LUT.slice(0, 3))); // NaN as the low end
    expect(img.data[3]).toBe(255);
  });
});
