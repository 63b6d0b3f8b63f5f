// Small fetch wrapper for the ConvLens API: JSON in/out (or binary answers, `binary: true`),
// errors as ApiError with the server's `detail` text, and decoding of the base64 `Array` payloads.
import { BINARY_TYPE, readBinaryAnswer } from "./binary";
import type { NDArray, WireArray } from "./types";

export class ApiError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
    this.name = "ApiError";
  }
}

/** A person-readable message from FastAPI's error body (`detail` is a string, or a list for 422). */
function detailMessage(status: number, body: unknown, fallback: string): string {
  if (body && typeof body === "object" && "detail" in body) {
    const detail = (body as { detail: unknown }).detail;
    if (typeof detail === "string") return detail;
    if (Array.isArray(detail)) {
      return detail
        .map((d) => {
          if (d && typeof d === "object") {
            const loc = Array.isArray((d as { loc?: unknown[] }).loc) ? (d as { loc: unknown[] }).loc.join(".") : "";
            const msg = String((d as { msg?: unknown }).msg ?? JSON.stringify(d));
            return loc ? `${loc}: ${msg}` : msg;
          }
          return String(d);
        })
        .join("; ");
    }
  }
  return `${fallback} (HTTP ${status})`;
}

async function handle<T>(res: Response): Promise<T> {
  if (res.ok && (res.headers.get("content-type") ?? "").startsWith(BINARY_TYPE)) {
    try {
      return readBinaryAnswer<T>(await res.arrayBuffer());
    } catch (e) {
      if ((e as Error).name === "AbortError") throw e;
      throw new ApiError(res.status, `The server's binary answer could not be read: ${(e as Error).message}`);
    }
  }
  const text = await res.text();
  let body: unknown = undefined;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = undefined;
  }
  if (!res.ok) {
    const fallback = res.status >= 500 ? "The ConvLens server failed" : res.statusText || "Request failed";
    throw new ApiError(res.status, detailMessage(res.status, body, fallback));
  }
  if (body === undefined) throw new ApiError(res.status, "The server sent an empty or non-JSON answer");
  return body as T;
}

export type Query = Record<string, string | number | boolean | null | undefined>;

export function apiUrl(path: string, query: Query = {}): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    if (v === undefined || v === null || v === "") continue;
    params.set(k, String(v));
  }
  const qs = params.toString();
  return `api/${path.replace(/^\/+/, "")}${qs ? `?${qs}` : ""}`;
}

const cache = new Map<string, Promise<unknown>>();
const CACHE_MAX = 48;

/** GET a JSON endpoint. `cached` keeps the answer for identical URLs (heavy, immutable answers);
 * `binary` asks for the binary answer (arrays as safetensors) where the endpoint has one. */
export async function getJSON<T>(
  path: string,
  query: Query = {},
  opts: { signal?: AbortSignal; cached?: boolean; binary?: boolean } = {},
): Promise<T> {
  const url = apiUrl(path, query);
  const key = opts.binary ? `${url}#binary` : url;
  if (opts.cached && cache.has(key)) return cache.get(key) as Promise<T>;
  const accept = opts.binary ? `${BINARY_TYPE}, application/json;q=0.9` : "application/json";
  let res: Response;
  const p = (async () => {
    try {
      res = await fetch(url, { signal: opts.signal, headers: { Accept: accept }, credentials: "same-origin" });
    } catch (e) {
      if ((e as Error).name === "AbortError") throw e;
      throw new ApiError(0, "Cannot reach the ConvLens server. Is `convlens serve` still running?");
    }
    return handle<T>(res);
  })();
  if (opts.cached) {
    cache.set(key, p);
    if (cache.size > CACHE_MAX) cache.delete(cache.keys().next().value as string);
    p.catch(() => cache.delete(key));
  }
  return p;
}

export function forgetCached(prefix: string): void {
  for (const k of [...cache.keys()]) if (k.startsWith(`api/${prefix}`)) cache.delete(k);
}

export async function postFile<T>(path: string, file: File, signal?: AbortSignal): Promise<T> {
  const form = new FormData();
  form.append("file", file, file.name);
  let res: Response;
  try {
    res = await fetch(apiUrl(path), { method: "POST", body: form, signal, credentials: "same-origin" });
  } catch (e) {
    if ((e as Error).name === "AbortError") throw e;
    throw new ApiError(0, "Cannot reach the ConvLens server. Is `convlens serve` still running?");
  }
  return handle<T>(res);
}

function base64Bytes(b64: string): Uint8Array {
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

function isDecoded(a: WireArray | NDArray): a is NDArray {
  return typeof (a as WireArray).data !== "string";
}

export function decodeFloat(a: WireArray | NDArray): NDArray<Float32Array> {
  if (isDecoded(a)) return a.data instanceof Float32Array ? (a as NDArray<Float32Array>) : { shape: a.shape, data: Float32Array.from(a.data) };
  const bytes = base64Bytes(a.data);
  if (a.dtype === "float32") return { shape: a.shape, data: new Float32Array(bytes.buffer, 0, bytes.byteLength / 4) };
  const ints = decodeAny(a).data;
  return { shape: a.shape, data: Float32Array.from(ints) };
}

export function decodeInt(a: WireArray | NDArray): NDArray<Int32Array> {
  if (isDecoded(a)) return a.data instanceof Int32Array ? (a as NDArray<Int32Array>) : { shape: a.shape, data: Int32Array.from(a.data, (v) => Math.round(v)) };
  const bytes = base64Bytes(a.data);
  if (a.dtype === "int32") return { shape: a.shape, data: new Int32Array(bytes.buffer, 0, bytes.byteLength / 4) };
  const other = decodeAny(a).data;
  return { shape: a.shape, data: Int32Array.from(other, (v) => Math.round(v)) };
}

export function decodeAny(a: WireArray | NDArray): NDArray {
  if (isDecoded(a)) return a;
  const bytes = base64Bytes(a.data);
  switch (a.dtype) {
    case "float32":
      return { shape: a.shape, data: new Float32Array(bytes.buffer, 0, bytes.byteLength / 4) };
    case "int32":
      return { shape: a.shape, data: new Int32Array(bytes.buffer, 0, bytes.byteLength / 4) };
    case "uint8":
      return { shape: a.shape, data: bytes };
    default:
      throw new ApiError(0, `Unknown array dtype ${(a as WireArray).dtype}`);
  }
}

export function probeUrl(run: string, index: number): string {
  return `api/runs/${encodeURIComponent(run)}/probe/${index}.png`;
}

/** URL of the image behind an image reference (`probe:12`, `upload:abc`). */
export function imageRefUrl(run: string, ref: string): string | null {
  const [kind, id] = ref.split(":", 2);
  if (kind === "probe" && id !== undefined) return probeUrl(run, Number(id));
  if (kind === "upload" && id) return `api/uploads/${encodeURIComponent(id)}.png`;
  return null;
}

export function runPath(run: string, rest = ""): string {
  return `runs/${encodeURIComponent(run)}${rest ? `/${rest}` : ""}`;
}

export function errorMessage(e: unknown): string {
  if (e instanceof ApiError) return e.message;
  if (e instanceof Error) return e.message;
  return String(e);
}

export function isAbort(e: unknown): boolean {
  return e instanceof DOMException && e.name === "AbortError";
}
