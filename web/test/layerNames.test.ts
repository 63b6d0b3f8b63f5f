import { describe, expect, it } from "vitest";
import { layerLabel, ordinal, plainLayerNames } from "@/lib/layerNames";

describe("plainLayerNames", () => {
  it("uses the video's words for the recorded layers (shapes only)", () => {
    // the same cases as pipelines/_explain.py layer_titles (the video's panel titles)
    const names = plainLayerNames(
      [
        { name: "conv2", shape: [16, 5, 5] },
        { name: "fc1", shape: [120] },
        { name: "fc2", shape: [10] },
      ],
      10,
    );
    expect(names).toEqual(["2nd filter layer", "1st combining layer", "the answer layer"]);
  });

  it("names every layer of a model by its type, numbering by place when the name has no number", () => {
    const names = plainLayerNames(
      [
        { name: "features.0", type: "Conv2d", shape: [8, 30, 30] },
        { name: "features.1", type: "ReLU", shape: [8, 30, 30] },
        { name: "features.2", type: "MaxPool2d", shape: [8, 15, 15] },
        { name: "features.3", type: "Conv2d", shape: [16, 13, 13] },
        { name: "features.4", type: "BatchNorm2d", shape: [16, 13, 13] },
        { name: "flatten", type: "Flatten", shape: [2704] },
        { name: "head", type: "Linear", shape: [3] },
      ],
      3,
    );
    expect(names).toEqual([
      "1st filter layer",
      "on/off step",
      "shrinking step",
      "2nd filter layer",
      "rescaling step",
      "flattening step",
      "the answer layer",
    ]);
  });

  it("calls a last flat layer the answer only with one number per class", () => {
    expect(plainLayerNames([{ name: "fc1", shape: [120] }], 10)).toEqual(["1st combining layer"]);
    expect(plainLayerNames([{ name: "mystery" }], 10)).toEqual([null]);
  });

  it("writes labels and ordinals", () => {
    expect(layerLabel("conv2", "2nd filter layer")).toBe("conv2 — 2nd filter layer");
    expect(layerLabel("x", null)).toBe("x");
    expect([1, 2, 3, 4, 11, 12, 13, 21, 22, 23, 101].map(ordinal)).toEqual(["1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "22nd", "23rd", "101st"]);
  });
});
