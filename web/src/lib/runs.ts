// The list of runs, kept fresh by the /api/live WebSocket (reconnecting with backoff).
import { reactive } from "vue";
import { getJSON, errorMessage } from "@/api/client";
import type { JobStatus, LiveMessage, RunSummary } from "@/api/types";

interface RunsState {
  runs: RunSummary[];
  loaded: boolean;
  loading: boolean;
  error: string | null;
  live: "connecting" | "open" | "closed";
  /** Bumped on every live message, so views can react to "something changed". */
  version: number;
}

const state = reactive<RunsState>({ runs: [], loaded: false, loading: false, error: null, live: "closed", version: 0 });

let inflight: Promise<void> | null = null;

export function loadRuns(): Promise<void> {
  if (inflight) return inflight;
  state.loading = true;
  inflight = getJSON<RunSummary[]>("runs")
    .then((runs) => {
      state.runs = runs;
      state.error = null;
      state.loaded = true;
    })
    .catch((e) => {
      state.error = errorMessage(e);
    })
    .finally(() => {
      state.loading = false;
      inflight = null;
    });
  return inflight;
}

export function liveUrl(): string {
  const url = new URL("api/live", window.location.href);
  url.hash = "";
  url.search = "";
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  const token = new URLSearchParams(window.location.search).get("token");
  if (token) url.searchParams.set("token", token);
  return url.toString();
}

let socket: WebSocket | null = null;
const jobListeners = new Set<(job: JobStatus) => void>();

/** Hear every background job's pushed status; returns the function that stops listening. */
export function onJobPushed(fn: (job: JobStatus) => void): () => void {
  jobListeners.add(fn);
  return () => void jobListeners.delete(fn);
}
let retry = 0;
let timer: number | undefined;

function connect(): void {
  if (socket) return;
  state.live = "connecting";
  let ws: WebSocket;
  try {
    ws = new WebSocket(liveUrl());
  } catch {
    scheduleReconnect();
    return;
  }
  socket = ws;
  ws.onopen = () => {
    retry = 0;
    state.live = "open";
  };
  ws.onmessage = (ev) => {
    let msg: LiveMessage;
    try {
      msg = JSON.parse(String(ev.data)) as LiveMessage;
    } catch {
      return;
    }
    if (msg.type === "runs" && Array.isArray(msg.runs)) {
      state.runs = msg.runs;
      state.loaded = true;
      state.error = null;
      state.version++;
    } else if (msg.type === "job" && msg.job) {
      for (const fn of jobListeners) fn(msg.job);
    }
  };
  ws.onclose = () => {
    socket = null;
    state.live = "closed";
    scheduleReconnect();
  };
  ws.onerror = () => {
    // onclose follows and schedules the reconnect.
  };
}

function scheduleReconnect(): void {
  window.clearTimeout(timer);
  const delay = Math.min(30000, 500 * 2 ** retry) * (0.75 + Math.random() * 0.5);
  retry = Math.min(retry + 1, 8);
  timer = window.setTimeout(() => {
    connect();
    // A reconnect may have missed changes; refresh the list too.
    void loadRuns();
  }, delay);
}

export function startLive(): void {
  connect();
}

export function findRun(id: string): RunSummary | undefined {
  return state.runs.find((r) => r.id === id);
}

export const runsState = state;
