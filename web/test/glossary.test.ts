import { describe, expect, it } from "vitest";
import { define, lookup, markTerms } from "@/lib/glossary";

describe("glossary", () => {
  it("marks each term once, longest match first, layer names by pattern", () => {
    const segs = markTerms("Layer conv2 shows feature maps. Each filter of conv2 makes one feature map; fc1 answers.");
    const terms = segs.filter((s) => s.term).map((s) => [s.text, s.term]);
    expect(terms).toEqual([
      ["Layer", "layer"],
      ["conv2", "conv layer"],
      ["feature maps", "feature map"],
      ["filter", "filter"],
      ["fc1", "fc layer"],
    ]);
    expect(segs.map((s) => s.text).join("")).toBe("Layer conv2 shows feature maps. Each filter of conv2 makes one feature map; fc1 answers.");
  });
  it("does not mark words inside other words", () => {
    expect(markTerms("unicorns and reconvene").filter((s) => s.term)).toEqual([]);
  });
  it("defines aliases and names", () => {
    expect(lookup("Grad-CAM")?.term).toBe("Grad-CAM");
    expect(lookup("kmeans")?.term).toBe("k-means");
    expect(define("fc3")).toContain("fully connected");
    expect(define("nonsense")).toBe("");
  });
});
