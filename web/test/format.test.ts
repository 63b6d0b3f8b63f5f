import { describe, expect, it } from "vitest";
import { compact, num, pct, shape } from "@/lib/format";

describe("format", () => {
  it("writes percentages, numbers, shapes and counts", () => {
    expect(pct(0.1234)).toBe("12.3%");
    expect(pct(null)).toBe("–");
    expect(pct(NaN)).toBe("–");
    expect(num(0.5)).toBe("0.500");
    expect(num(1e-5)).toBe("0.000010");
    expect(num(4.81e-4)).toBe("0.00048");
    expect(num(-0.0042, 2)).toBe("-0.0042");
    expect(num(0.014, 2)).toBe("0.01");
    expect(num(1e-9)).toBe("0");
    expect(num(123456)).toBe("123,456");
    expect(num(0)).toBe("0.000");
    expect(shape([3, 32, 32])).toBe("3 × 32 × 32");
    expect(shape([])).toBe("–");
    expect(compact(999)).toBe("999");
    expect(compact(50_000)).toBe("50.0k");
    expect(compact(2_500_000)).toBe("2.5M");
  });

  it("never writes scientific notation", () => {
    for (let e = -12; e <= 12; e++) {
      for (const m of [1, 4.81, -7.3]) {
        for (const d of [0, 1, 2, 3]) expect(num(m * 10 ** e, d)).not.toMatch(/e/i);
      }
      expect(pct(10 ** e)).not.toMatch(/e/i);
    }
  });
});
