// What the user handed in for each upload of this session (its size and colour), kept by image
// reference (`upload:<id>`) so the panel showing "as handed in → what the network receives" can
// say it once, beside the pictures.
import { reactive } from "vue";

export interface HandedIn {
  width: number;
  height: number;
  channels: number;
}

const seen = reactive(new Map<string, HandedIn>());

export function rememberUpload(ref: string, info: HandedIn): void {
  seen.set(ref, info);
}

/** "800×600 pixels, in colour" for an upload of this session, else null. */
export function handedIn(ref: string | null | undefined): string | null {
  const u = ref ? seen.get(ref) : undefined;
  if (!u) return null;
  return `${u.width}×${u.height} pixels, ${u.channels === 1 ? "in grey" : "in colour"}`;
}
