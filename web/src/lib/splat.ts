// A CPU point splatter for the timeline, used where WebGL itself runs on the CPU (SwiftShader,
// llvmpipe): there the general-purpose software pipeline spends hundreds of nanoseconds on every
// point primitive (vertex fetch, clipping, set-up), while stamping a small precomputed disc into a
// pixel buffer costs a few nanoseconds a pixel. The frame is uploaded as a texture and drawn with
// one WebGL draw call (TimelineRenderer).

/**
 * A disc of one diameter and opacity at 2 x 2 sub-pixel phases (centres at 0.25 / 0.75 of a
 * pixel, so motion is smoother than whole pixels), flat: phase p's pixels are entries
 * [p * stride, p * stride + counts[p]) of offs (dy * width + dx), dx, dy and wts (0..256).
 * `reach` bounds every pixel's distance from the centre pixel.
 */
import { MISTAKE_INK } from "./colors";

interface StampSet {
  offs: Int32Array;
  dx: Int16Array;
  dy: Int16Array;
  wts: Int32Array;
  counts: Int32Array;
  stride: number;
  reach: number;
}

export interface SplatFrame {
  /** Data -> clip space: clip = p * view.xy + view.zw (as the vertex shader). */
  view: [number, number, number, number];
  /** [E, N, 2] positions and the two epochs to mix (i0, i1 with factor f). */
  coords: Float32Array;
  n: number;
  i0: number;
  i1: number;
  f: number;
  /** [E', N] RGBA as 32-bit words (little-endian: r | g << 8 | b << 16 | a << 24); alpha 255 = wrong. */
  colors: Int32Array;
  near: number;
  size: number; // device px
  opacity: number;
  ring: number; // extra device px of the dark outline under wrong guesses, 0 for none
  highlight: number[];
  highlightSize: number;
  inner: number; // highlight: inner disc diameter / outer
}

// little-endian RGBA words as int32
const WHITE = -1;
// a wrong guess: an open circle, a MISTAKE_INK outline under the point and a white hole on it
const RING = (0xff000000 | (MISTAKE_INK[2] << 16) | (MISTAKE_INK[1] << 8) | MISTAKE_INK[0]) | 0;
const HOLE = 0.45; // the hole's share of the diameter (timelineGl's HOLE)
const OUTLINE = 0xff111111 | 0;

export class Splatter {
  width = 0;
  height = 0;
  /** RGBA bytes, row 0 at the top. */
  pixels = new Uint8Array(0);
  private px = new Int32Array(0);
  private stamps = new Map<string, StampSet>();
  private prev: [number, number] | null = null; // rows drawn last frame (to clear)
  // the bounding box of this frame's pixels, inclusive
  private x0 = 0;
  private x1 = -1;
  private y0 = 0;
  private y1 = -1;

  resize(width: number, height: number): void {
    if (width === this.width && height === this.height) return;
    this.width = width;
    this.height = height;
    this.pixels = new Uint8Array(width * height * 4);
    this.px = new Int32Array(this.pixels.buffer);
    this.px.fill(WHITE);
    this.stamps.clear();
    this.prev = null;
  }

  /** Draw a frame; returns the bounding box of its pixels [x0, y0, x1, y1] (inclusive; all
   * else is white), or null for a blank frame. */
  render(fr: SplatFrame): [number, number, number, number] | null {
    const { px, width: w, height: h } = this;
    if (!w || !h) return null;
    if (this.prev) px.fill(WHITE, this.prev[0] * w, (this.prev[1] + 1) * w);
    this.x0 = w;
    this.x1 = -1;
    this.y0 = h;
    this.y1 = -1;
    const { n, colors } = fr;
    const cbase = fr.near * n;
    if (fr.ring > 0) this.pass(fr, this.stampSet(fr.size + fr.ring, 1), RING, true);
    this.pass(fr, this.stampSet(fr.size, fr.opacity), 0, false);
    if (fr.ring > 0) this.pass(fr, this.stampSet(fr.size * HOLE, 1), WHITE, true);
    if (fr.highlight.length) {
      const outer = this.stampSet(fr.highlightSize, 1);
      const inner = this.stampSet(fr.highlightSize * fr.inner, 1);
      for (const i of fr.highlight) {
        if (i < 0 || i >= n) continue;
        this.splat(fr, i, outer, OUTLINE);
        this.splat(fr, i, inner, colors[cbase + i] | 0xff000000);
      }
    }
    if (this.y1 < this.y0 || this.x1 < this.x0) {
      this.prev = null;
      return null;
    }
    this.prev = [this.y0, this.y1];
    return [this.x0, this.y0, this.x1, this.y1];
  }

  /**
   * The hot loop: every point (or, for rings, every wrong guess) stamped in its colour at the
   * nearest epoch, or in `fixed` when `onlyWrong`. Blends red and blue in one multiply (SWAR).
   */
  private pass(fr: SplatFrame, st: StampSet, fixed: number, onlyWrong: boolean): void {
    const { px, width: w, height: h } = this;
    const { coords, n, colors } = fr;
    const o0 = fr.i0 * n * 2;
    const o1 = fr.i1 * n * 2;
    const f = fr.f;
    const g = 1 - f;
    const hw = w / 2;
    const hh = h / 2;
    // pixel = p * (ax, by) + (cx, dy0)
    const ax = fr.view[0] * hw;
    const cx = (fr.view[2] + 1) * hw;
    const by = -fr.view[1] * hh;
    const dy0 = (1 - fr.view[3]) * hh;
    const R = st.reach;
    const { offs, wts, counts } = st;
    const cbase = fr.near * n;
    const frb = fixed & 0xff00ff;
    const fg = fixed & 0xff00;
    let xmin = w;
    let xmax = -1;
    let ymin = h;
    let ymax = -1;
    for (let i = 0; i < n; i++) {
      const c = colors[cbase + i];
      if (onlyWrong && c >>> 24 < 128) continue;
      const x = (coords[o0 + 2 * i] * g + coords[o1 + 2 * i] * f) * ax + cx;
      const y = (coords[o0 + 2 * i + 1] * g + coords[o1 + 2 * i + 1] * f) * by + dy0;
      const ix = Math.floor(x);
      const iy = Math.floor(y);
      if (!(ix >= R && iy >= R && ix < w - R && iy < h - R)) {
        // near or past an edge (or not a number): the careful path
        if (ix >= -R && iy >= -R && ix < w + R && iy < h + R) this.splatClipped(ix, iy, x - ix, y - iy, st, onlyWrong ? fixed : c);
        continue;
      }
      if (ix < xmin) xmin = ix;
      if (ix > xmax) xmax = ix;
      if (iy < ymin) ymin = iy;
      if (iy > ymax) ymax = iy;
      const ph = (x - ix >= 0.5 ? 1 : 0) | (y - iy >= 0.5 ? 2 : 0);
      const k0 = ph * st.stride;
      const k1 = k0 + counts[ph];
      const crb = onlyWrong ? frb : c & 0xff00ff;
      const cg = onlyWrong ? fg : c & 0xff00;
      const base = iy * w + ix;
      for (let k = k0; k < k1; k++) {
        const o = base + offs[k];
        const wt = wts[k];
        const v = 256 - wt;
        const d = px[o];
        px[o] = 0xff000000 | (((crb * wt + (d & 0xff00ff) * v) >>> 8) & 0xff00ff) | (((cg * wt + (d & 0xff00) * v) >>> 8) & 0xff00);
      }
    }
    if (ymin <= ymax) {
      this.x0 = Math.max(0, Math.min(this.x0, xmin - R));
      this.x1 = Math.min(w - 1, Math.max(this.x1, xmax + R));
      this.y0 = Math.max(0, Math.min(this.y0, ymin - R));
      this.y1 = Math.min(h - 1, Math.max(this.y1, ymax + R));
    }
  }

  /** One point with a given colour (rings, highlights), clipped to the canvas. */
  private splat(fr: SplatFrame, i: number, st: StampSet, color: number): void {
    const w = this.width;
    const h = this.height;
    const n = fr.n;
    const o0 = fr.i0 * n * 2 + 2 * i;
    const o1 = fr.i1 * n * 2 + 2 * i;
    const px = fr.coords[o0] * (1 - fr.f) + fr.coords[o1] * fr.f;
    const py = fr.coords[o0 + 1] * (1 - fr.f) + fr.coords[o1 + 1] * fr.f;
    const x = (px * fr.view[0] + fr.view[2] + 1) * (w / 2);
    const y = (1 - (py * fr.view[1] + fr.view[3])) * (h / 2);
    const ix = Math.floor(x);
    const iy = Math.floor(y);
    this.splatClipped(ix, iy, x - ix, y - iy, st, color);
  }

  private splatClipped(ix: number, iy: number, fx: number, fy: number, st: StampSet, c: number): void {
    const { px, width: w, height: h } = this;
    if (!(ix >= -st.reach && iy >= -st.reach && ix < w + st.reach && iy < h + st.reach)) return;
    const ph = (fx >= 0.5 ? 1 : 0) | (fy >= 0.5 ? 2 : 0);
    const crb = c & 0xff00ff;
    const cg = c & 0xff00;
    for (let k = ph * st.stride; k < ph * st.stride + st.counts[ph]; k++) {
      const x = ix + st.dx[k];
      const y = iy + st.dy[k];
      if (x < 0 || y < 0 || x >= w || y >= h) continue;
      const o = y * w + x;
      const wt = st.wts[k];
      const v = 256 - wt;
      const d = px[o];
      px[o] = 0xff000000 | (((crb * wt + (d & 0xff00ff) * v) >>> 8) & 0xff00ff) | (((cg * wt + (d & 0xff00) * v) >>> 8) & 0xff00);
    }
    this.x0 = Math.max(0, Math.min(this.x0, ix - st.reach));
    this.x1 = Math.min(w - 1, Math.max(this.x1, ix + st.reach));
    this.y0 = Math.max(0, Math.min(this.y0, iy - st.reach));
    this.y1 = Math.min(h - 1, Math.max(this.y1, iy + st.reach));
  }

  /** Discs of `diameter` device px at opacity `alpha`, coverage by 4 x 4 supersampling. */
  private stampSet(diameter: number, alpha: number): StampSet {
    const d = Math.max(1, Math.min(200, Math.round(diameter * 4) / 4));
    const key = `${d}|${alpha}`;
    const hit = this.stamps.get(key);
    if (hit) return hit;
    const r = d / 2;
    const reach = Math.ceil(r + 0.75);
    const stride = (2 * reach + 1) ** 2;
    const set: StampSet = {
      offs: new Int32Array(4 * stride),
      dx: new Int16Array(4 * stride),
      dy: new Int16Array(4 * stride),
      wts: new Int32Array(4 * stride),
      counts: new Int32Array(4),
      stride,
      reach,
    };
    for (let p = 0; p < 4; p++) {
      const ccx = p & 1 ? 0.75 : 0.25;
      const ccy = p & 2 ? 0.75 : 0.25;
      let k = p * stride;
      for (let dy = -reach; dy <= reach; dy++) {
        for (let dx = -reach; dx <= reach; dx++) {
          let inside = 0;
          for (let sy = 0; sy < 4; sy++) {
            for (let sx = 0; sx < 4; sx++) {
              const qx = dx + (sx + 0.5) / 4 - ccx;
              const qy = dy + (sy + 0.5) / 4 - ccy;
              if (qx * qx + qy * qy <= r * r) inside++;
            }
          }
          // tiny discs (under 2 px) would fall between the samples: keep at least the centre pixel
          const cover = dx === 0 && dy === 0 ? Math.max(inside / 16, Math.min(1, d * d * 0.6)) : inside / 16;
          const wt = Math.min(256, Math.round(cover * alpha * 256));
          if (wt <= 0) continue;
          set.offs[k] = dy * this.width + dx;
          set.dx[k] = dx;
          set.dy[k] = dy;
          set.wts[k] = wt;
          k++;
        }
      }
      set.counts[p] = k - p * stride;
    }
    this.stamps.set(key, set);
    return set;
  }
}
