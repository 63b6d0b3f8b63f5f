// A reactive GET: re-runs when its request key changes, aborts stale requests, keeps the last
// good data while loading, and exposes the server's error message.
import { ref, shallowRef, watch, onBeforeUnmount, type Ref, type ShallowRef } from "vue";
import { getJSON, errorMessage, isAbort, type Query } from "@/api/client";

export interface Request {
  path: string;
  query?: Query;
  cached?: boolean;
  /** Ask for the binary answer (arrays as safetensors; docs/api.md). */
  binary?: boolean;
}

export interface Fetched<T> {
  data: ShallowRef<T | null>;
  loading: Ref<boolean>;
  error: Ref<string | null>;
  reload: () => Promise<void>;
}

export function useFetch<T>(request: () => Request | null, opts: { keepData?: boolean } = {}): Fetched<T> {
  const data = shallowRef<T | null>(null) as ShallowRef<T | null>;
  const loading = ref(false);
  const error = ref<string | null>(null);
  let controller: AbortController | null = null;
  let seq = 0;

  async function run(req: Request | null, fresh = false): Promise<void> {
    controller?.abort();
    controller = null;
    const my = ++seq;
    if (!req) {
      loading.value = false;
      if (!opts.keepData) data.value = null;
      return;
    }
    const ctl = new AbortController();
    controller = ctl;
    loading.value = true;
    error.value = null;
    if (!opts.keepData) data.value = null;
    try {
      const out = await getJSON<T>(req.path, req.query ?? {}, { signal: ctl.signal, cached: req.cached && !fresh, binary: req.binary });
      if (my !== seq) return;
      data.value = out;
    } catch (e) {
      if (isAbort(e) || my !== seq) return;
      error.value = errorMessage(e);
      if (!opts.keepData) data.value = null;
    } finally {
      if (my === seq) loading.value = false;
    }
  }

  watch(
    () => JSON.stringify(request()),
    () => void run(request()),
    { immediate: true },
  );
  onBeforeUnmount(() => controller?.abort());

  return { data, loading, error, reload: () => run(request(), true) };
}
