import { describe, expect, it } from "vitest";
import { compact, num, pct, shape, sig } from "@/lib/format";

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

  it("reads values at two significant digits, one rule for small and large", () => {
    expect(sig(0.0081)).toBe("0.0081");
    expect(sig(0.16)).toBe("0.16");
    expect(sig(0.16049)).toBe("0.16");
    expect(sig(0.5)).toBe("0.50");
    expect(sig(3.2349)).toBe("3.2");
    expect(sig(-2.06)).toBe("-2.1");
    expect(sig(9.96)).toBe("10");
    expect(sig(14.27)).toBe("14");
    expect(sig(123456.7)).toBe("123,457");
    expect(sig(4.81e-4)).toBe("0.00048");
    expect(sig(0)).toBe("0");
    expect(sig(-1e-9)).toBe("0");
    expect(sig(null)).toBe("–");
    expect(sig(NaN)).toBe("–");
    expect(sig(0.84321, 3)).toBe("0.843");
    // the same count of significant digits at every size: 0.0081 and 0.16, never 0.008 and 0.160
    for (let e = -6; e <= 0; e++) {
      for (const m of [1.23, 4.81, -7.36]) {
        const s = sig(m * 10 ** e);
        expect(s).not.toMatch(/e/i);
        expect(s.replace(/^-?0\.0*/, "").replace(/[-.]/g, "")).toHaveLength(2);
      }
    }
  });
});
