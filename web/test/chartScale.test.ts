import { describe, expect, it } from "vitest";
import { linePath, xScale, yScale } from "@/lib/chartScale";

describe("chart scales", () => {
  it("spreads points across and puts a single one in the middle", () => {
    const x = xScale(3, 10, 100);
    expect([x(0), x(1), x(2)]).toEqual([10, 60, 110]);
    expect(xScale(1, 10, 100)(0)).toBe(60);
  });
  it("puts the top of the range at the top, and clamps only when asked", () => {
    const y = yScale(0, 1, 3, 28);
    expect(y(1)).toBe(3);
    expect(y(0)).toBe(31);
    expect(y(2)).toBe(-25);
    expect(yScale(0, 1, 3, 28, true)(2)).toBe(3);
    expect(yScale(0, 1, 3, 28, true)(-1)).toBe(31);
    expect(yScale(5, 5, 0, 10)(5)).toBe(10); // an empty range is widened, not a division by zero
  });
  it("breaks the line at gaps", () => {
    const d = linePath([0, 1, null, 0.5, NaN, 1], (i) => i, (v) => 10 * v);
    expect(d).toBe("M0.0,0.0L1.0,10.0M3.0,5.0M5.0,10.0");
  });
});
