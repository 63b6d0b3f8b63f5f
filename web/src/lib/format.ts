export function pct(v: number | null | undefined, digits = 1): string {
  return v === null || v === undefined || !Number.isFinite(v) ? "–" : `${(v * 100).toFixed(digits)}%`;
}

/**
 * A plain decimal, never scientific notation: `digits` decimals, or more for a small value so
 * that two significant digits show (0.00048, not 4.81e-4 nor 0.000); below 1e-6 it reads "0";
 * large values get thousands separators (123,456).
 */
export function num(v: number | null | undefined, digits = 3): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return "–";
  const a = Math.abs(v);
  if (a >= 1e5) return Math.round(v).toLocaleString("en-US");
  if (a !== 0 && a < 10 ** -digits) {
    if (a < 1e-6) return v < 0 ? "-0" : "0";
    const d = Math.min(7, Math.max(digits, 1 - Math.floor(Math.log10(a))));
    return v.toFixed(d);
  }
  return v.toFixed(digits);
}

/**
 * A value to read at a glance, by one rule everywhere it is used: two significant digits (0.0081,
 * 0.16, 3.2), whole numbers from 10 up (14, 1,234), "0" below a millionth; never scientific
 * notation, never "-0".
 */
export function sig(v: number | null | undefined, digits = 2): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return "–";
  const a = Math.abs(v);
  if (a < 1e-6) return "0";
  if (a >= 10 ** (digits - 1) * 10) return Math.round(v).toLocaleString("en-US");
  const s = v.toPrecision(digits); // plain for 1e-6 <= a < 10^digits
  return /^-?0(\.0*)?$/.test(s) ? "0" : s;
}

export function shape(s: number[] | null | undefined): string {
  return s && s.length ? s.join(" × ") : "–";
}

export function compact(n: number): string {
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)}M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)}k`;
  return String(n);
}

export function date(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}
