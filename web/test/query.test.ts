import { describe, expect, it } from "vitest";
import { createApp, defineComponent, nextTick } from "vue";
import { createMemoryHistory, createRouter } from "vue-router";
import { useQueryState } from "@/lib/query";

async function setup(url: string) {
  const router = createRouter({ history: createMemoryHistory(), routes: [{ path: "/:p(.*)", component: defineComponent({ render: () => null }) }] });
  const app = createApp({ render: () => null });
  app.use(router);
  await router.push(url);
  await router.isReady();
  const q = app.runWithContext(() => useQueryState());
  return { router, q };
}

describe("URL query state", () => {
  it("reads typed values with fallbacks", async () => {
    const { q } = await setup("/timeline?run=R&epoch=2.6&point=x&split=true");
    expect(q.str("run").value).toBe("R");
    expect(q.str("layer", "fc").value).toBe("fc");
    expect(q.int("epoch").value).toBe(3);
    expect(q.int("point").value).toBeNull();
    expect(q.int("missing").value).toBeNull();
    expect(q.bool("split", false).value).toBe(true);
    expect(q.bool("other", true).value).toBe(true);
  });

  it("batches writes into one replace and drops defaults and empties", async () => {
    const { router, q } = await setup("/explorer?run=R&layer=conv1&channel=4");
    let navigations = 0;
    router.afterEach(() => void navigations++);
    const layer = q.str("layer");
    const channel = q.int("channel");
    const order = q.str("order", "natural");
    layer.value = "conv2";
    channel.value = null;
    order.value = "natural";
    expect(layer.value).toBe("conv2"); // pending writes read back at once
    await nextTick();
    await new Promise((r) => setTimeout(r, 0));
    expect(navigations).toBe(1);
    expect(router.currentRoute.value.fullPath).toBe("/explorer?run=R&layer=conv2");
  });
});
