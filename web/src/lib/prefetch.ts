// The guided tour's steps made ready before the user reaches them: each step's view data is
// fetched into the client's cache (getJSON `cached`), and where a view waits on a background job
// (the network graph, a projection) the job is started and waited for, so the view's own POST
// finds it done. Steps go one after another in tour order, so the next step is ready first.
// Each function below asks exactly what its view asks (same path, same query in the same order);
// tests/browser/test_tour_ready.py fails when a view asks anything heavy the tour did not.
import { apiUrl, getJSON, runPath, type Query } from "@/api/client";
import type { RunSummary } from "@/api/types";

export interface TourStepRoute {
  id: string;
  route: string;
}

interface JobAnswer {
  id: string;
  state: string;
}

const POLL_MS = 300;

async function jobCall(method: string, url: string): Promise<JobAnswer> {
  const res = await fetch(url, { method, headers: { Accept: "application/json" }, credentials: "same-origin" });
  if (!res.ok) throw new Error(`${method} ${url}: HTTP ${res.status}`);
  return (await res.json()) as JobAnswer;
}

/** Start (or join) the job at `path` and wait until it has finished. */
async function job(path: string, query: Query): Promise<boolean> {
  let s = await jobCall("POST", apiUrl(path, query));
  while (s.state === "queued" || s.state === "running") {
    await new Promise((r) => setTimeout(r, POLL_MS));
    s = await jobCall("GET", apiUrl(`jobs/${s.id}`));
  }
  return s.state === "done";
}

const last = <T>(xs: readonly T[]): T | undefined => xs[xs.length - 1];

/** What the step's view will ask, asked now. Resolves when it is all here. */
async function prefetchStep(step: TourStepRoute, run: RunSummary): Promise<void> {
  const p = new URLSearchParams(step.route.split("?")[1] ?? "");
  const r = run.id;
  const epoch = last(run.checkpoints) ?? null; // resolveEpoch with no ?epoch=
  const layers = () => getJSON(runPath(r, "layers"), { epoch }, { cached: true });
  switch (step.id) {
    case "explorer": {
      const layer = p.get("layer") ?? "";
      const image = p.get("image") ?? "probe:0";
      await layers();
      await Promise.all([
        getJSON(runPath(r, "featuremaps"), { epoch, layer, image, order: "natural", clusters: undefined }, { cached: true, binary: true }),
        getJSON(runPath(r, "weights"), { epoch, layer }, { cached: true }),
      ]);
      return;
    }
    case "attributions": {
      const query = { epoch, image: p.get("image") ?? "probe:0", method: p.get("method") ?? "gradcam", target: undefined, layer: undefined };
      await Promise.all([getJSON("methods", {}, { cached: true }), layers()]);
      await getJSON(runPath(r, "attributions"), query, { cached: true });
      await getJSON(runPath(r, "attributions/check"), query, { cached: true });
      return;
    }
    case "classgrads": {
      await layers();
      await getJSON(runPath(r, "classgrads"), { epoch, layer: p.get("layer") ?? "", reference: p.get("reference") || undefined }, { cached: true });
      return;
    }
    case "graph": {
      const query = { epoch: epoch ?? undefined };
      if (await job(runPath(r, "graph/job"), query)) await getJSON(runPath(r, "graph"), query, { cached: true });
      return;
    }
    case "projection": {
      const query = { epoch: last(run.epochs) ?? null, layer: p.get("layer") || last(run.layers) || "", method: "umap", max_points: "2000" };
      if (await job(runPath(r, "projection/job"), query)) await getJSON(runPath(r, "projection"), query, { cached: true });
      return;
    }
    default:
      return; // the runs list and the timeline read stored answers
  }
}

/** Make every step ready in order; `ready(id)` is called as each one is. Failures are left for
 * the view to show (it asks again and gets the server's message). Stops between steps once
 * `wanted()` is false (the tour was closed). */
export async function prefetchTour(
  steps: readonly TourStepRoute[],
  run: RunSummary,
  ready: (id: string) => void,
  wanted: () => boolean = () => true,
): Promise<void> {
  for (const step of steps) {
    if (!wanted()) return;
    try {
      await prefetchStep(step, run);
      ready(step.id);
    } catch {
      // the view will ask again and show why
    }
  }
}
