// The glossary: a plain definition of every technical word the UI shows (data in glossary.json,
// which tests/test_readability.py also reads). `markTerms` splits a text into plain runs and
// glossary terms (the first use of each term only), for Term.vue's tooltips.
import data from "./glossary.json";

export interface GlossaryEntry {
  term: string;
  aliases: string[];
  pattern?: string;
  text: string;
}

export const GLOSSARY: readonly GlossaryEntry[] = data.terms as GlossaryEntry[];

const byKey = new Map<string, GlossaryEntry>();
for (const e of GLOSSARY) byKey.set(e.term.toLowerCase(), e);

/** The entry for a term, an alias or a name a pattern matches (conv2, fc1), or null. */
export function lookup(word: string): GlossaryEntry | null {
  const w = word.toLowerCase();
  const direct = byKey.get(w);
  if (direct) return direct;
  for (const e of GLOSSARY) {
    if (e.aliases.some((a) => a.toLowerCase() === w)) return e;
    if (e.pattern && new RegExp(`^(?:${e.pattern})$`, "i").test(word)) return e;
  }
  return null;
}

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

// Longest first, so "feature map" wins over "map" and "integrated gradients" over "gradients".
const words = GLOSSARY.flatMap((e) => [e.term, ...e.aliases])
  .sort((a, b) => b.length - a.length)
  .map(escape);
const patterns = GLOSSARY.filter((e) => e.pattern).map((e) => e.pattern as string);
const MATCH = new RegExp(`(?<![\\w-])(${[...words, ...patterns].join("|")})(?![\\w-])`, "gi");

export interface Segment {
  text: string;
  /** The glossary entry's term when this run is a marked term. */
  term?: string;
}

/** `text` as plain runs and glossary terms; each entry is marked at its first use only. */
export function markTerms(text: string): Segment[] {
  const out: Segment[] = [];
  const seen = new Set<string>();
  let last = 0;
  for (const m of text.matchAll(MATCH)) {
    const entry = lookup(m[0]);
    if (!entry || seen.has(entry.term) || m.index === undefined) continue;
    seen.add(entry.term);
    if (m.index > last) out.push({ text: text.slice(last, m.index) });
    out.push({ text: m[0], term: entry.term });
    last = m.index + m[0].length;
  }
  if (last < text.length) out.push({ text: text.slice(last) });
  return out;
}

/** The definition of a glossary term ("" for an unknown one). */
export function define(term: string): string {
  return lookup(term)?.text ?? "";
}
