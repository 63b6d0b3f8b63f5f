// The three.js set-up shared by the 3-D views (NetworkGraph, VolumeView): a WebGL renderer in a
// container element, a scene, a perspective camera with OrbitControls, resizing with the
// container, rendering only on request (one frame per animation frame at most), and disposal.
import { onBeforeUnmount, onMounted, type Ref } from "vue";
import { PerspectiveCamera, Scene, WebGLRenderer } from "three";
import { OrbitControls } from "three/examples/jsm/controls/OrbitControls.js";

export interface ThreeParts {
  renderer: WebGLRenderer;
  scene: Scene;
  camera: PerspectiveCamera;
  controls: OrbitControls;
}

export interface ThreeSceneOptions {
  /** Vertical field of view (degrees) and far plane of the camera. */
  fov: number;
  far: number;
  /** Transparent canvas (the container's background shows) or opaque white. */
  transparent: boolean;
  /** data-testid of the canvas. */
  canvasTestId: string;
  /** Size used while the container has none (not laid out yet). */
  fallbackSize: [number, number];
  /** Called once the scene exists (make materials, build the geometry). */
  ready: (parts: ThreeParts) => void;
  /** Called on every resize with the pixels-per-unit factor point sizes need at distance 1. */
  resized?: (pointScale: number) => void;
  /** Called before each frame is drawn (uniforms that follow the camera). */
  beforeRender?: () => void;
  /** WebGL missing: the message to show instead. */
  unsupported: (message: string) => void;
}

export function useThreeScene(box: Ref<HTMLElement | null>, opts: ThreeSceneOptions) {
  let parts: ThreeParts | null = null;
  let observer: ResizeObserver | null = null;
  let pending = 0;
  /** While true (an animation loop of the caller draws every frame), requests are ignored. */
  let looping = false;

  function render(): void {
    if (!parts) return;
    opts.beforeRender?.();
    parts.renderer.render(parts.scene, parts.camera);
  }

  function requestRender(): void {
    if (pending || looping) return;
    pending = requestAnimationFrame(() => {
      pending = 0;
      render();
    });
  }

  function resize(): void {
    const el = box.value;
    if (!el || !parts) return;
    const width = el.clientWidth || opts.fallbackSize[0];
    const height = el.clientHeight || opts.fallbackSize[1];
    const { renderer, camera } = parts;
    renderer.setSize(width, height, false);
    camera.aspect = width / height;
    camera.updateProjectionMatrix();
    opts.resized?.((height * renderer.getPixelRatio()) / (2 * Math.tan((camera.fov * Math.PI) / 360)));
    requestRender();
  }

  onMounted(() => {
    const el = box.value;
    if (!el) return;
    let renderer: WebGLRenderer;
    try {
      renderer = new WebGLRenderer({ antialias: true, alpha: opts.transparent, preserveDrawingBuffer: true });
    } catch (e) {
      opts.unsupported(`This browser cannot draw the 3-D view (WebGL: ${String(e)}).`);
      return;
    }
    renderer.setPixelRatio(Math.min(2, window.devicePixelRatio || 1));
    renderer.setClearColor(0xffffff, opts.transparent ? 0 : 1);
    el.appendChild(renderer.domElement);
    renderer.domElement.setAttribute("data-testid", opts.canvasTestId);
    const camera = new PerspectiveCamera(opts.fov, 1, 0.01, opts.far);
    const controls = new OrbitControls(camera, renderer.domElement);
    controls.enableDamping = false;
    controls.addEventListener("change", requestRender);
    parts = { renderer, scene: new Scene(), camera, controls };
    opts.ready(parts);
    observer = new ResizeObserver(resize);
    observer.observe(el);
    resize();
  });

  onBeforeUnmount(() => {
    cancelAnimationFrame(pending);
    observer?.disconnect();
    if (!parts) return;
    parts.controls.dispose();
    parts.renderer.dispose();
    parts.renderer.domElement.remove();
    parts = null;
  });

  return {
    /** The renderer, scene, camera and controls, or null before mounting / without WebGL. */
    parts: () => parts,
    render,
    requestRender,
    setLooping(on: boolean): void {
      looping = on;
      if (on) {
        cancelAnimationFrame(pending);
        pending = 0;
      }
    },
  };
}
