// The scale code the small SVG charts share (LineChart, Sparkline): where the i-th of n points
// sits across, where a value sits up, and one path per series where a gap (null) lifts the pen.

/** x of the i-th of `n` points spread over [left, left + width]; a single point sits in the middle. */
export function xScale(n: number, left: number, width: number): (i: number) => number {
  return (i) => (n > 1 ? left + (i / (n - 1)) * width : left + width / 2);
}

/** y of a value on [lo, hi] drawn over [top, top + height], `hi` at the top. With `clamp`, values
 * outside the range stop at its edge. An empty range (hi = lo) is widened to lo + 1. */
export function yScale(lo: number, hi: number, top: number, height: number, clamp = false): (v: number) => number {
  const span = hi - lo < 1e-9 ? 1 : hi - lo;
  return (v) => {
    const f = (v - lo) / span;
    return top + (1 - (clamp ? Math.max(0, Math.min(1, f)) : f)) * height;
  };
}

/** An SVG path through the finite values; a null or non-finite value breaks the line. */
export function linePath(values: readonly (number | null)[], x: (i: number) => number, y: (v: number) => number): string {
  let d = "";
  let pen = false;
  values.forEach((v, i) => {
    if (v === null || !Number.isFinite(v)) {
      pen = false;
      return;
    }
    d += `${pen ? "L" : "M"}${x(i).toFixed(1)},${y(v).toFixed(1)}`;
    pen = true;
  });
  return d;
}
