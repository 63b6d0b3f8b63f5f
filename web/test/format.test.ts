import { describe, expect, it } from "vitest";
import { compact, num, pct, shape } from "@/lib/format";

describe("format", () => {
  it("writes percentages, numbers, shapes and counts", () => {
    expect(pct(0.1234)).toBe("12.3%");
    expect(pct(null)).toBe("–");
    expect(pct(NaN)).toBe("–");
    expect(num(0.5)).toBe("0.500");
    expect(num(1e-5)).toBe("1.00e-5");
    expect(num(123456)).toBe("1.23e+5");
    expect(num(0)).toBe("0.000");
    expect(shape([3, 32, 32])).toBe("3 × 32 × 32");
    expect(shape([])).toBe("–");
    expect(compact(999)).toBe("999");
    expect(compact(50_000)).toBe("50.0k");
    expect(compact(2_500_000)).toBe("2.5M");
  });
});
