// The run a view shows: from `?run=`, else the newest run (written into the URL so it can be shared).
import { computed, onMounted, watch } from "vue";
import { findRun, loadRuns, runsState } from "./runs";
import type { useQueryState } from "./query";

export function useRunParam(q: ReturnType<typeof useQueryState>) {
  const run = q.opt("run");
  onMounted(() => {
    if (!runsState.loaded) void loadRuns();
  });
  watch(
    () => [run.value, runsState.runs.length] as const,
    () => {
      if (!run.value && runsState.runs.length) run.value = runsState.runs[0].id;
    },
    { immediate: true },
  );
  const summary = computed(() => (run.value ? findRun(run.value) : undefined));
  const missing = computed(() =>
    runsState.loaded && run.value && !summary.value
      ? `There is no run "${run.value}". Runs here: ${runsState.runs.map((r) => r.id).join(", ") || "none"}.`
      : runsState.loaded && !runsState.runs.length
        ? "There are no runs yet. Make one with `convlens demo --out runs`, then serve that folder."
        : null,
  );
  return { run, summary, missing };
}

/** The epoch for forward-pass views: `?epoch=` if it has a checkpoint, else the last checkpoint. */
export function resolveEpoch(requested: number | null, checkpoints: readonly number[] | undefined): number | null {
  if (!checkpoints || !checkpoints.length) return requested;
  if (requested !== null && checkpoints.includes(requested)) return requested;
  return checkpoints[checkpoints.length - 1];
}
