import { describe, expect, it } from "vitest";
import { plural } from "@/lib/words";

describe("plural", () => {
  it("keeps one thing singular", () => {
    expect(plural(1, "image")).toBe("1 image");
    expect(plural(0, "image")).toBe("0 images");
    expect(plural(16, "image")).toBe("16 images");
    expect(plural(2, "mouse", "mice")).toBe("2 mice");
    expect(plural(12000, "unit")).toBe("12,000 units");
  });
});
