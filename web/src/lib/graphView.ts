// How the network graph is shown (not how it is laid out): a deep network's slices sit
// `layer_distance` apart along z, so 50 layers make a strip 25 slices long that, fitted to the
// canvas, is a thin line. For display only, the layer axis is squeezed to at most `maxRatio`
// slice widths; the layout file keeps its own coordinates.

/** The factor (≤ 1) by which the layer axis is drawn so the graph is at most `maxRatio` slice
 * widths long; 1 for a network short enough already. */
export function layerAxisScale(zs: readonly number[], sliceWidth: number, maxRatio = 4): number {
  if (zs.length < 2 || !(sliceWidth > 0)) return 1;
  const span = Math.max(...zs) - Math.min(...zs);
  const most = maxRatio * sliceWidth;
  return span > most ? most / span : 1;
}
