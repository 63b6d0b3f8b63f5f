// All view state lives in the URL query of the hash route, so a view can be shared.
// Writes are batched per tick (several controls may change at once) and use `replace`,
// so the back button is not flooded with every slider step.
import { computed, type WritableComputedRef } from "vue";
import { useRoute, useRouter, type LocationQueryRaw } from "vue-router";

let pending: Record<string, string | null> | null = null;

export function useQueryState() {
  const route = useRoute();
  const router = useRouter();

  function read(name: string): string | undefined {
    if (pending && name in pending) return pending[name] ?? undefined;
    const v = route.query[name];
    if (Array.isArray(v)) return v[0] ?? undefined;
    return v ?? undefined;
  }

  function patch(values: Record<string, string | number | boolean | null | undefined>): void {
    const first = pending === null;
    pending = pending ?? {};
    for (const [k, v] of Object.entries(values)) pending[k] = v === undefined || v === null || v === "" ? null : String(v);
    if (!first) return;
    queueMicrotask(() => {
      const p = pending ?? {};
      pending = null;
      const query: LocationQueryRaw = { ...route.query };
      let changed = false;
      for (const [k, v] of Object.entries(p)) {
        const cur = route.query[k];
        if (v === null) {
          if (k in query) {
            delete query[k];
            changed = true;
          }
        } else if (cur !== v) {
          query[k] = v;
          changed = true;
        }
      }
      if (changed) void router.replace({ path: route.path, query });
    });
  }

  function str(name: string, fallback = ""): WritableComputedRef<string> {
    return computed({
      get: () => read(name) ?? fallback,
      set: (v: string) => patch({ [name]: v === fallback ? null : v }),
    });
  }

  /** A string whose absence means "let the view choose" (empty string). */
  function opt(name: string): WritableComputedRef<string> {
    return computed({
      get: () => read(name) ?? "",
      set: (v: string) => patch({ [name]: v || null }),
    });
  }

  function int(name: string): WritableComputedRef<number | null> {
    return computed({
      get: () => {
        const v = read(name);
        if (v === undefined || v === "") return null;
        const n = Number(v);
        return Number.isFinite(n) ? Math.round(n) : null;
      },
      set: (v: number | null) => patch({ [name]: v === null ? null : String(v) }),
    });
  }

  function bool(name: string, fallback: boolean): WritableComputedRef<boolean> {
    return computed({
      get: () => {
        const v = read(name);
        if (v === undefined) return fallback;
        return v === "true" || v === "1";
      },
      set: (v: boolean) => patch({ [name]: v === fallback ? null : String(v) }),
    });
  }

  return { str, opt, int, bool, patch, read };
}
