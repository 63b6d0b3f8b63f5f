// Colour helpers: the class palette (generated from Python's convlens.render._palette, the one
// source, so the web and the video agree), viridis for magnitudes, a blue-white-red diverging map
// for signed values, inferno for heatmaps.

export type RGB = [number, number, number]; // 0..255

// BEGIN GENERATED PALETTE (python -m convlens.render._palette)
// Do not edit: the source is src/convlens/render/_palette.py.
/** The class colours, in class order (the first ten are colour-blind safe). */
export const CLASS_COLORS: RGB[] = [
  [187, 187, 0],
  [170, 0, 51],
  [102, 68, 136],
  [187, 170, 255],
  [204, 85, 0],
  [187, 119, 170],
  [68, 153, 102],
  [153, 34, 255],
  [0, 119, 102],
  [238, 153, 170],
  [30, 195, 225],
  [105, 90, 0],
  [0, 120, 210],
  [195, 165, 135],
  [30, 105, 0],
  [195, 0, 135],
  [255, 60, 90],
  [135, 90, 75],
  [240, 165, 0],
  [135, 135, 75],
  [120, 120, 165],
  [75, 135, 150],
  [105, 195, 60],
  [120, 180, 255],
  [255, 135, 90],
  [15, 75, 195],
  [120, 195, 180],
  [255, 135, 255],
  [165, 120, 0],
  [165, 180, 135],
  [135, 75, 0],
  [135, 120, 255],
  [165, 30, 0],
  [255, 60, 150],
  [180, 120, 120],
  [135, 90, 120],
  [0, 90, 120],
  [60, 90, 60],
  [150, 120, 90],
  [60, 150, 0],
  [195, 90, 225],
  [195, 75, 105],
  [210, 135, 60],
  [195, 75, 60],
  [210, 165, 210],
  [0, 195, 135],
  [0, 165, 165],
  [0, 150, 210],
  [225, 165, 150],
  [195, 165, 75],
  [120, 90, 195],
  [195, 120, 90],
  [150, 30, 165],
  [90, 120, 75],
  [135, 165, 30],
  [135, 150, 210],
  [150, 45, 90],
  [75, 90, 135],
  [105, 120, 0],
  [75, 90, 15],
  [165, 135, 210],
  [240, 90, 60],
  [255, 120, 195],
  [75, 105, 225],
];
/** Colour that shows a right answer where colour alone shows correctness. */
export const CORRECT: RGB = [0, 114, 178];
/** Colour that shows a wrong answer (never red against green). */
export const WRONG: RGB = [213, 94, 0];
/** Neutral ink of the mark (frame, cross) on a picture the network got wrong. */
export const MISTAKE_INK: RGB = [34, 34, 34];
// END GENERATED PALETTE
/** Colour of a picture without a label (a probe set from a flat folder) or of an unknown class. */
export const UNLABELLED: RGB = [150, 150, 150];

function oklchToRgb(l: number, c: number, hDeg: number): RGB | null {
  const h = (hDeg * Math.PI) / 180;
  const a = c * Math.cos(h);
  const b = c * Math.sin(h);
  const l_ = l + 0.3963377774 * a + 0.2158037573 * b;
  const m_ = l - 0.1055613458 * a - 0.0638541728 * b;
  const s_ = l - 0.0894841775 * a - 1.291485548 * b;
  const L = l_ ** 3;
  const M = m_ ** 3;
  const S = s_ ** 3;
  const lin = [
    4.0767416621 * L - 3.3077115913 * M + 0.2309699292 * S,
    -1.2684380046 * L + 2.6097574011 * M - 0.3413193965 * S,
    -0.0041960863 * L - 0.7034186147 * M + 1.707614701 * S,
  ];
  const out: number[] = [];
  for (const v of lin) {
    if (v < -1e-4 || v > 1 + 1e-4) return null;
    const x = Math.min(1, Math.max(0, v));
    const srgb = x <= 0.0031308 ? 12.92 * x : 1.055 * x ** (1 / 2.4) - 0.055;
    out.push(Math.round(srgb * 255));
  }
  return out as RGB;
}

function inGamut(l: number, c: number, h: number): RGB {
  for (let cc = c; cc >= 0; cc -= 0.005) {
    const rgb = oklchToRgb(l, cc, h);
    if (rgb) return rgb;
  }
  return oklchToRgb(l, 0, h) ?? [128, 128, 128];
}

/** `n` class colours: the generated table (the same colours as the video's), then, past its end,
 * evenly spaced OKLCH hues in alternating lightness bands. */
export function categoricalPalette(n: number): RGB[] {
  const count = Math.max(1, n);
  const out: RGB[] = CLASS_COLORS.slice(0, count).map((c) => [...c] as RGB);
  const extra = count - out.length;
  const L = [0.52, 0.68, 0.8];
  for (let i = 0; i < extra; i++) {
    const hue = 60 + (i * 290) / extra;
    out.push(inGamut(L[i % 3], 0.13, hue));
  }
  return out;
}

export function rgbCss([r, g, b]: RGB, alpha = 1): string {
  return alpha >= 1 ? `rgb(${r}, ${g}, ${b})` : `rgba(${r}, ${g}, ${b}, ${alpha})`;
}

export function rgbHex([r, g, b]: RGB): string {
  return `#${[r, g, b].map((v) => v.toString(16).padStart(2, "0")).join("")}`;
}

// Polynomial fits of matplotlib's viridis and inferno (Matt Zucconi, CC0).
function poly(t: number, c: number[][]): RGB {
  const out: number[] = [0, 0, 0];
  for (let k = 0; k < 3; k++) {
    let v = 0;
    for (let i = c.length - 1; i >= 0; i--) v = v * t + c[i][k];
    out[k] = Math.round(Math.min(1, Math.max(0, v)) * 255);
  }
  return out as RGB;
}
const VIRIDIS = [
  [0.2777273272234177, 0.005407344544966578, 0.3340998053353061],
  [0.1050930431085774, 1.404613529898575, 1.384590162594685],
  [-0.3308618287255563, 0.214847559468213, 0.09509516302823659],
  [-4.634230498983486, -5.799100973351585, -19.33244095627987],
  [6.228269936347081, 14.17993336680509, 56.69055260068105],
  [4.776384997670288, -13.74514537774601, -65.35303263337234],
  [-5.435455855934631, 4.645852612178535, 26.3124352495832],
];
const INFERNO = [
  [0.0002189403691192265, 0.001651004631001012, -0.01948089843709184],
  [0.1065134194856116, 0.5639564367884091, 3.932712388889277],
  [11.60249308247187, -3.972853965665698, -15.9423941062914],
  [-41.70399613139459, 17.43639888205313, 44.35414519872813],
  [77.162935699427, -33.40235894210092, -81.80730925738993],
  [-71.31942824499214, 32.62606426397723, 73.20951985803202],
  [25.13112622477341, -12.24266895238567, -23.07032500287172],
];

function lut(f: (t: number) => RGB): Uint8Array {
  const out = new Uint8Array(256 * 3);
  for (let i = 0; i < 256; i++) {
    const [r, g, b] = f(i / 255);
    out[i * 3] = r;
    out[i * 3 + 1] = g;
    out[i * 3 + 2] = b;
  }
  return out;
}

export const VIRIDIS_LUT = lut((t) => poly(t, VIRIDIS));
export const INFERNO_LUT = lut((t) => poly(t, INFERNO));
/** Blue (negative) - white (0) - red (positive), t in 0..1 with 0.5 = zero. */
export const DIVERGING_LUT = lut((t) => {
  const neg: RGB = [33, 102, 172];
  const pos: RGB = [178, 24, 43];
  const mid: RGB = [247, 247, 247];
  const [from, to, u] = t < 0.5 ? [neg, mid, t / 0.5] : [mid, pos, (t - 0.5) / 0.5];
  return [0, 1, 2].map((k) => Math.round(from[k] + (to[k] - from[k]) * u)) as RGB;
});

export function lutCss(table: Uint8Array, t: number): string {
  const i = Math.max(0, Math.min(255, Math.round(t * 255))) * 3;
  return `rgb(${table[i]}, ${table[i + 1]}, ${table[i + 2]})`;
}

/** A value -> [0,1] scale shared by many maps: diverging around 0 when values go negative. */
export interface ColorScale {
  lo: number;
  hi: number;
  diverging: boolean;
  table: Uint8Array;
}

export function makeScale(min: number, max: number): ColorScale {
  if (min < 0 && max > 0) {
    const m = Math.max(-min, max) || 1;
    return { lo: -m, hi: m, diverging: true, table: DIVERGING_LUT };
  }
  if (max <= 0 && min < 0) return { lo: min, hi: -min, diverging: true, table: DIVERGING_LUT };
  return { lo: Math.min(0, min), hi: max > min ? max : min + 1, diverging: false, table: VIRIDIS_LUT };
}

/** Paint `h*w` values at `offset` of `values` into an ImageData via the scale. */
export function paintValues(values: ArrayLike<number>, offset: number, w: number, h: number, scale: ColorScale): ImageData {
  const img = new ImageData(w, h);
  const span = scale.hi - scale.lo || 1;
  const t = scale.table;
  for (let i = 0; i < w * h; i++) {
    const v = values[offset + i];
    const u = Number.isFinite(v) ? Math.max(0, Math.min(1, (v - scale.lo) / span)) : 0;
    const k = Math.round(u * 255) * 3;
    img.data[i * 4] = t[k];
    img.data[i * 4 + 1] = t[k + 1];
    img.data[i * 4 + 2] = t[k + 2];
    img.data[i * 4 + 3] = 255;
  }
  return img;
}
