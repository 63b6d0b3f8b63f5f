// The timeline's WebGL renderer (regl), drawing straight into the visible canvas. Two ways to
// draw the points, picked once per canvas:
//
// - "points" (a real GPU): every epoch's positions are uploaded once into one buffer ([E, N, 2]
//   floats); a frame binds the two neighbouring epochs as two attributes (buffer offsets, no copy)
//   and the vertex shader mixes them with a uniform: one draw call, no per-point JavaScript.
//   Colours are per epoch too ([E, N] RGBA bytes, alpha = "the guess is wrong"), so
//   predicted-class colouring and the wrong-guess marks follow the nearest epoch for free.
//   A wrong guess is drawn as an open circle (the palette's rule: shape, not red versus green):
//   a thin dark outline (MISTAKE_INK) under the point and a white hole in its middle, so the
//   ring keeps the class colour.
// - "splat" (WebGL on a software rasteriser: SwiftShader, llvmpipe): the same frame is stamped on
//   the CPU (lib/splat.ts) and drawn as one textured quad. A software GPU pipeline spends about a
//   microsecond on every point primitive; stamping costs a few nanoseconds a pixel, so this is two
//   to three times faster there (50,000 points: about 4 ms a frame).
import createREGL from "regl";
import type { Regl, DrawCommand, Buffer as ReglBuffer, AttributeConfig, Texture2D } from "regl";
import { MISTAKE_INK } from "./colors";
import { Splatter } from "./splat";

export interface View {
  /** Data coordinates at the centre of the canvas. */
  cx: number;
  cy: number;
  /** CSS pixels per data unit. */
  k: number;
}

export type RenderMode = "points" | "splat";

export interface FrameOptions {
  /** Fractional epoch index. */
  t: number;
  /** Data -> clip space: clip = p * view.xy + view.zw. */
  view: [number, number, number, number];
  /** Point diameter, device px. */
  size: number;
  /** Extra diameter of the dark outline under wrong guesses, device px (0: no marks). */
  ring: number;
  /** Points drawn on top with a dark outline (hovered, selected). */
  highlight: number[];
  highlightSize: number;
  /** The outlined point's inner disc diameter as a share of `highlightSize`. */
  inner: number;
}

interface Props {
  p0: number; // byte offsets into the positions buffer
  p1: number;
  c: number; // byte offset into the colours buffer
  f: number; // mix factor between p0 and p1
  view: number[];
  size: number; // device pixels
  mode: number; // 0 points, 1 wrong-guess outline, 2 highlight, 3 wrong-guess hole
  first: number;
  count: number;
  inner: number; // highlight: the inner disc's share of the diameter
}

const OPACITY = 0.85;
/** The hole of a wrong guess's open circle, as a share of the point's diameter. */
export const HOLE = 0.45;
const MISTAKE = MISTAKE_INK.map((v) => (v / 255).toFixed(4)).join(", ");

const VERT = `
#define MISTAKE vec3(${MISTAKE})
precision highp float;
attribute vec2 a0;
attribute vec2 a1;
attribute vec4 color;
uniform float f;
uniform vec4 view;
uniform float size;
uniform float mode;
varying vec4 vColor;
void main() {
  vec2 p = mix(a0, a1, f);
  gl_Position = vec4(p * view.xy + view.zw, 0.0, 1.0);
  gl_PointSize = size;
  vColor = vec4(color.rgb, 1.0);
  if (mode == 1.0 || mode == 3.0) {
    // only the wrong guesses: a dark disc under the point (outline), a white one on it (hole)
    vColor = mode == 1.0 ? vec4(MISTAKE, 1.0) : vec4(1.0, 1.0, 1.0, 1.0);
    if (color.a < 0.5) {
      gl_Position = vec4(2.0, 2.0, 2.0, 1.0);
      gl_PointSize = 1.0;
    }
  }
}`;

const FRAG = `
precision highp float; // uniforms shared with the vertex shader need the same precision
varying vec4 vColor;
uniform float size;
uniform float mode;
uniform float opacity;
uniform float inner;
void main() {
  vec2 d = gl_PointCoord - 0.5;
  float r = length(d) * 2.0;
  float edge = min(0.5, 2.0 / size);
  float a = 1.0 - smoothstep(1.0 - edge, 1.0, r);
  if (a <= 0.0) discard;
  vec3 c = vColor.rgb;
  if (mode == 2.0 && r > inner) c = vec3(0.067);
  float o = mode == 0.0 ? opacity : 1.0;
  gl_FragColor = vec4(c, a * o);
}`;

// A rectangle of the canvas (rect: x0, y0, x1, y1 as fractions, y down) textured 1:1.
const QUAD_VERT = `
precision highp float;
attribute vec2 p; // 0..1
uniform vec4 rect;
varying vec2 uv;
void main() {
  uv = mix(rect.xy, rect.zw, p); // texture row 0 is the top of the canvas
  gl_Position = vec4(uv.x * 2.0 - 1.0, 1.0 - uv.y * 2.0, 0.0, 1.0);
}`;

const QUAD_FRAG = `
precision mediump float;
varying vec2 uv;
uniform sampler2D tex;
void main() {
  gl_FragColor = texture2D(tex, uv);
}`;

/** The unmasked renderer string of a context ("" where the browser hides it). */
function rendererName(gl: WebGLRenderingContext): string {
  try {
    const ext = gl.getExtension("WEBGL_debug_renderer_info");
    return String(ext ? gl.getParameter(ext.UNMASKED_RENDERER_WEBGL) : gl.getParameter(gl.RENDERER));
  } catch {
    return "";
  }
}

/** WebGL drawn by a CPU rasteriser. */
export function isSoftwareRenderer(name: string): boolean {
  return /swiftshader|llvmpipe|softpipe|software|basic render driver/i.test(name);
}

export class TimelineRenderer {
  readonly regl: Regl;
  readonly mode: RenderMode;
  readonly renderer: string;
  private positions: ReglBuffer;
  private colors: ReglBuffer;
  private cmd: DrawCommand;
  private n = 0;
  private e = 0;
  private colorEpochs = 0;
  // splat mode
  private coords: Float32Array = new Float32Array(0);
  private colorWords: Int32Array = new Int32Array(0);
  private splatter: Splatter | null = null;
  private texture: Texture2D | null = null;
  private quad: DrawCommand | null = null;

  /** `prefer`: "auto" splats on software WebGL and draws points on a GPU. */
  constructor(canvas: HTMLCanvasElement, prefer: RenderMode | "auto" = "auto") {
    this.regl = createREGL({
      canvas,
      // Opaque, no MSAA, no preserved buffer: on a software rasteriser every one of these costs.
      attributes: { antialias: false, alpha: false, depth: false, stencil: false, preserveDrawingBuffer: false, premultipliedAlpha: true },
      pixelRatio: 1, // the component sizes the drawing buffer itself
    });
    const regl = this.regl;
    this.renderer = rendererName(regl._gl);
    this.mode = prefer === "auto" ? (isSoftwareRenderer(this.renderer) ? "splat" : "points") : prefer;
    this.positions = regl.buffer({ usage: "static", type: "float", length: 8 });
    this.colors = regl.buffer({ usage: "static", type: "uint8", length: 4 });
    type Attrs = { a0: AttributeConfig; a1: AttributeConfig; color: AttributeConfig };
    type Unis = { f: number; view: number[]; size: number; mode: number; inner: number; opacity: number };
    this.cmd = regl<Unis, Attrs, Props>({
      vert: VERT,
      frag: FRAG,
      primitive: "points",
      attributes: {
        // two epochs of the one positions buffer, and the nearest epoch's colours: offsets only
        a0: (_: unknown, p: Props) => ({ buffer: this.positions, offset: p.p0, stride: 8, size: 2 }),
        a1: (_: unknown, p: Props) => ({ buffer: this.positions, offset: p.p1, stride: 8, size: 2 }),
        color: (_: unknown, p: Props) => ({ buffer: this.colors, offset: p.c, stride: 4, size: 4, normalized: true }),
      },
      uniforms: {
        f: regl.prop<Props, "f">("f"),
        view: regl.prop<Props, "view">("view"),
        size: regl.prop<Props, "size">("size"),
        mode: regl.prop<Props, "mode">("mode"),
        inner: regl.prop<Props, "inner">("inner"),
        opacity: OPACITY,
      },
      offset: regl.prop<Props, "first">("first"),
      count: regl.prop<Props, "count">("count"),
      depth: { enable: false },
      blend: {
        enable: true,
        func: { srcRGB: "src alpha", srcAlpha: "one", dstRGB: "one minus src alpha", dstAlpha: "one minus src alpha" },
      },
    });
    if (this.mode === "splat") {
      this.splatter = new Splatter();
      this.texture = regl.texture({ width: 1, height: 1, min: "nearest", mag: "nearest", wrapS: "clamp", wrapT: "clamp" });
      const texture = this.texture;
      this.quad = regl<{ tex: Texture2D; rect: number[] }, { p: number[] }, { rect: number[] }>({
        vert: QUAD_VERT,
        frag: QUAD_FRAG,
        attributes: { p: [0, 0, 1, 0, 0, 1, 1, 1] },
        uniforms: { tex: () => texture, rect: regl.prop<{ rect: number[] }, "rect">("rect") },
        primitive: "triangle strip",
        count: 4,
        depth: { enable: false },
        blend: { enable: false },
      });
    }
  }

  get points(): number {
    return this.n;
  }

  get epochs(): number {
    return this.e;
  }

  /** All epochs' positions, [E, N, 2] in data units. */
  setPositions(coords: Float32Array, n: number, e: number): void {
    this.n = n;
    this.e = e;
    if (this.mode === "splat") this.coords = coords;
    else this.positions({ data: coords.subarray(0, n * e * 2), usage: "static", type: "float" });
  }

  /** RGBA bytes per point, [E, N, 4] (per epoch) or [N, 4]; alpha 255 marks a wrong guess. */
  setColors(rgba: Uint8Array, epochs: number): void {
    this.colorEpochs = epochs;
    if (this.mode === "splat") {
      const aligned = rgba.byteOffset % 4 === 0 ? rgba : rgba.slice();
      this.colorWords = new Int32Array(aligned.buffer, aligned.byteOffset, aligned.byteLength >> 2);
    } else this.colors({ data: rgba, usage: "static", type: "uint8" });
  }

  draw(opts: FrameOptions): void {
    const regl = this.regl;
    regl.poll();
    const { n, e } = this;
    const ready = n > 0 && e > 0 && this.colorEpochs > 0;
    const t = Math.max(0, Math.min(e - 1, opts.t));
    const i0 = Math.max(0, Math.min(e - 1, Math.floor(t)));
    const i1 = Math.min(e - 1, i0 + 1);
    const near = Math.max(0, Math.min(this.colorEpochs - 1, Math.round(t)));
    if (this.mode === "splat") {
      this.drawSplat(ready, opts, i0, i1, t - i0, near);
      return;
    }
    regl.clear({ color: [1, 1, 1, 1] });
    if (!ready) return;
    const base = { p0: i0 * n * 8, p1: i1 * n * 8, c: near * n * 4, f: t - i0, view: opts.view, inner: 1 };
    const batch: Props[] = [];
    if (opts.ring > 0) batch.push({ ...base, size: opts.size + opts.ring, mode: 1, first: 0, count: n });
    batch.push({ ...base, size: opts.size, mode: 0, first: 0, count: n });
    if (opts.ring > 0) batch.push({ ...base, size: opts.size * HOLE, mode: 3, first: 0, count: n });
    for (const i of opts.highlight) {
      if (i >= 0 && i < n) batch.push({ ...base, size: opts.highlightSize, mode: 2, first: i, count: 1, inner: opts.inner });
    }
    this.cmd(batch);
  }

  private drawSplat(ready: boolean, opts: FrameOptions, i0: number, i1: number, f: number, near: number): void {
    const sp = this.splatter as Splatter;
    const tex = this.texture as Texture2D;
    const w = this.regl._gl.drawingBufferWidth;
    const h = this.regl._gl.drawingBufferHeight;
    if (sp.width !== w || sp.height !== h) {
      sp.resize(w, h);
      tex({ width: w, height: h, data: sp.pixels, min: "nearest", mag: "nearest", wrapS: "clamp", wrapT: "clamp" });
    }
    const box = ready
      ? sp.render({
          view: opts.view,
          coords: this.coords,
          n: this.n,
          i0,
          i1,
          f,
          colors: this.colorWords,
          near,
          size: opts.size,
          opacity: OPACITY,
          ring: opts.ring,
          highlight: opts.highlight,
          highlightSize: opts.highlightSize,
          inner: opts.inner,
        })
      : null;
    // White everywhere, then the points' bounding box from the texture: only its rows are
    // uploaded and only its pixels sampled (on a software rasteriser, sampling costs per pixel).
    this.regl.clear({ color: [1, 1, 1, 1] });
    if (!box) return;
    const [x0, y0, x1, y1] = box;
    tex.subimage({ width: w, height: y1 - y0 + 1, data: sp.pixels.subarray(y0 * w * 4, (y1 + 1) * w * 4) }, 0, y0);
    (this.quad as DrawCommand)({ rect: [x0 / w, y0 / h, (x1 + 1) / w, (y1 + 1) / h] });
  }

  destroy(): void {
    this.regl.destroy();
  }
}

/** The point nearest to data position (x, y) at fractional epoch `t`, within `radius` data units
 * (a linear scan on the CPU, only on hover and click: about 0.3 ms for 50,000 points). */
export function nearestPoint(coords: Float32Array, n: number, e: number, t: number, x: number, y: number, radius: number): number | null {
  if (!n || !e) return null;
  const tt = Math.max(0, Math.min(e - 1, t));
  const i0 = Math.min(e - 1, Math.floor(tt));
  const i1 = Math.min(e - 1, i0 + 1);
  const f = tt - i0;
  const g = 1 - f;
  const o0 = i0 * n * 2;
  const o1 = i1 * n * 2;
  let best = -1;
  let bestD = radius * radius;
  for (let i = 0; i < n; i++) {
    const dx = coords[o0 + 2 * i] * g + coords[o1 + 2 * i] * f - x;
    if (dx > radius || dx < -radius) continue;
    const dy = coords[o0 + 2 * i + 1] * g + coords[o1 + 2 * i + 1] * f - y;
    const d = dx * dx + dy * dy;
    // later points are drawn on top: prefer them on ties
    if (d <= bestD) {
      bestD = d;
      best = i;
    }
  }
  return best >= 0 ? best : null;
}
