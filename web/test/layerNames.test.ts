import { describe, expect, it } from "vitest";
import { layerLabel, plainLayerNames } from "@/lib/layerNames";

// The names themselves are the server's (pipelines/_layer_names.py, tests/test_layer_names.py);
// the web only looks them up.
describe("plainLayerNames", () => {
  const model = [
    { name: "conv1", plain: "1st filter layer" },
    { name: "relu1", plain: "on/off step" },
    { name: "fc2", plain: "the answer layer" },
  ];
  const recorded = [
    { name: "conv1", plain: "1st filter layer (recorded)" },
    { name: "fc1", plain: "1st combining layer" },
  ];

  it("takes each layer's name from the server, the model's list first", () => {
    const names = plainLayerNames([{ name: "conv1" }, { name: "relu1" }, { name: "fc1" }, { name: "fc2" }], model, recorded);
    expect(names).toEqual(["1st filter layer", "on/off step", "1st combining layer", "the answer layer"]);
  });

  it("keeps a name the view passes, and gives none where the server has none", () => {
    expect(plainLayerNames([{ name: "fc1", plain: "mine" }], model, recorded)).toEqual(["mine"]);
    expect(plainLayerNames([{ name: "mystery" }], model, null, undefined)).toEqual([null]);
    expect(plainLayerNames([{ name: "x" }, { name: "y" }], [{ name: "x", plain: null }])).toEqual([null, null]);
  });

  it("writes labels", () => {
    expect(layerLabel("conv2", "2nd filter layer")).toBe("conv2 — 2nd filter layer");
    expect(layerLabel("x", null)).toBe("x");
  });
});
