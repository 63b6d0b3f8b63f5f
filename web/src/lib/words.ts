/** `n` and the word in the right number: `1 image`, `3 images`, `2 mice` (with `many`). */
export function plural(n: number, word: string, many?: string): string {
  return `${n.toLocaleString("en-US")} ${n === 1 ? word : many ?? `${word}s`}`;
}
