// The timeline's position: a fractional index into the epochs that scrubbing, playing and eased
// jumps move, a "settled" epoch (the nearest whole one), and a throttled copy for the charts.
import { computed, onBeforeUnmount, ref, watch } from "vue";

export interface EpochPlayerOptions {
  /** How many epochs there are (0 while nothing is loaded). */
  count: () => number;
  /** Draw at fractional index `t`; `now`: at once (the caller is inside an animation frame). */
  move: (t: number, now: boolean) => void;
  /** The nearest whole epoch changed while playing, or a move ended: write it to the URL. */
  settle: (index: number) => void;
  /** Epochs per second while playing. */
  speed: () => number;
}

/** The charts' epoch marker follows the position at most every MARKER_MS while it keeps moving
 * (and exactly once it stops): redrawing an SVG chart costs more than a frame of the plot. */
const MARKER_MS = 250;

export function useEpochPlayer(opts: EpochPlayerOptions) {
  const pos = ref(0);
  const playing = ref(false);
  const marker = ref(0);
  let raf = 0;
  let anim = 0;
  let markerAt = 0;
  let markerTimer = 0;

  watch(pos, (p) => {
    const now = performance.now();
    window.clearTimeout(markerTimer);
    if (now - markerAt >= MARKER_MS) {
      marker.value = p;
      markerAt = now;
    } else {
      markerTimer = window.setTimeout(() => {
        marker.value = pos.value;
        markerAt = performance.now();
      }, MARKER_MS - (now - markerAt));
    }
  });

  const settled = computed(() => Math.max(0, Math.min(opts.count() - 1, Math.round(pos.value))));

  function setPos(t: number, now = false): void {
    pos.value = Math.max(0, Math.min(Math.max(1, opts.count()) - 1, t));
    opts.move(pos.value, now);
  }

  function stop(): void {
    cancelAnimationFrame(raf);
    cancelAnimationFrame(anim);
    playing.value = false;
  }

  /** Ease to index `target` over `ms` milliseconds. */
  function animateTo(target: number, ms = 450): void {
    stop();
    const from = pos.value;
    if (Math.abs(target - from) < 1e-6 || ms <= 0) {
      setPos(target);
      opts.settle(settled.value);
      return;
    }
    const t0 = performance.now();
    const step = (now: number) => {
      const u = Math.min(1, (now - t0) / ms);
      const e = u < 0.5 ? 2 * u * u : 1 - (-2 * u + 2) ** 2 / 2;
      setPos(from + (target - from) * e, true);
      if (u < 1) anim = requestAnimationFrame(step);
      else opts.settle(settled.value);
    };
    anim = requestAnimationFrame(step);
  }

  function play(): void {
    const E = opts.count();
    if (E < 2) return;
    cancelAnimationFrame(anim);
    if (pos.value >= E - 1 - 1e-6) setPos(0);
    playing.value = true;
    let last = performance.now();
    let lastSettled = settled.value;
    const speed = Math.max(0.1, opts.speed() || 1);
    const step = (now: number) => {
      if (!playing.value || !opts.count()) return;
      const dt = Math.min(0.1, (now - last) / 1000);
      last = now;
      setPos(pos.value + dt * speed, true);
      if (settled.value !== lastSettled) {
        lastSettled = settled.value;
        opts.settle(settled.value);
      }
      if (pos.value >= opts.count() - 1) {
        playing.value = false;
        opts.settle(settled.value);
        return;
      }
      raf = requestAnimationFrame(step);
    };
    raf = requestAnimationFrame(step);
  }

  function toggle(): void {
    if (playing.value) {
      stop();
      animateTo(Math.round(pos.value), 250);
    } else play();
  }

  onBeforeUnmount(() => {
    stop();
    window.clearTimeout(markerTimer);
  });

  return { pos, playing, marker, settled, setPos, stop, animateTo, play, toggle };
}
