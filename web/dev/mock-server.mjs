// A stand-in for `convlens serve` that follows docs/api.md with synthetic data, for developing
// and benchmarking the UI without the Python server.
//   node dev/mock-server.mjs [--port 8766] [--points 400] [--epochs 10]
// Then: CONVLENS_API=http://127.0.0.1:8766 npm run dev
// A second run "mock-live" is "running" and gains an epoch every LIVE_SECONDS (default 20).
import http from "node:http";
import zlib from "node:zlib";
import crypto from "node:crypto";

const args = Object.fromEntries(
  process.argv.slice(2).reduce((acc, a, i, all) => (a.startsWith("--") ? [...acc, [a.slice(2), all[i + 1]]] : acc), []),
);
const PORT = Number(args.port ?? 8766);
const N = Number(args.points ?? 400);
const E = Number(args.epochs ?? 10);
const LIVE_SECONDS = Number(process.env.LIVE_SECONDS ?? 20);
const CLASSES = ["bear", "car", "cloud", "panda", "pigeon", "seagull", "sheep", "suv", "teddy-bear", "van"];
const C = CLASSES.length;
const SIZE = 32;

let seed = 1;
const rand = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
const gauss = () => Math.sqrt(-2 * Math.log(rand() + 1e-12)) * Math.cos(2 * Math.PI * rand());

// ---- PNG ----
const crcTable = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(buf) {
  let c = 0xffffffff;
  for (const b of buf) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function chunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(td));
  return Buffer.concat([len, td, crc]);
}
function png(gray, w, h) {
  const raw = Buffer.alloc((w + 1) * h);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) raw[y * (w + 1) + 1 + x] = gray[y * w + x];
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr[8] = 8;
  ihdr[9] = 0;
  return Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk("IHDR", ihdr), chunk("IDAT", zlib.deflateSync(raw)), chunk("IEND", Buffer.alloc(0))]);
}
function probeImage(i) {
  const cls = labels[i];
  const img = new Uint8Array(SIZE * SIZE).fill(250);
  const cx = 16 + ((i * 7) % 7) - 3;
  const cy = 16 + ((i * 5) % 7) - 3;
  const r = 5 + (cls % 5) * 2;
  for (let y = 0; y < SIZE; y++)
    for (let x = 0; x < SIZE; x++) {
      const dx = x - cx, dy = y - cy;
      const d = cls % 2 ? Math.max(Math.abs(dx), Math.abs(dy)) : Math.hypot(dx, dy);
      if (Math.abs(d - r) < 1.2 || (cls % 3 === 0 && Math.abs(dx - dy) < 1)) img[y * SIZE + x] = 30;
    }
  return png(img, SIZE, SIZE);
}

// ---- data ----
const labels = Int32Array.from({ length: N }, (_, i) => i % C);
const split = Int32Array.from({ length: N }, (_, i) => (i % 2 ? 1 : 0));
function makeRun(id, epochs, status) {
  const centers = CLASSES.map((_, c) => [Math.cos((2 * Math.PI * c) / C) * 0.7, Math.sin((2 * Math.PI * c) / C) * 0.7]);
  const coords = new Float32Array(epochs * N * 2);
  const predicted = new Int32Array(epochs * N);
  const start = Array.from({ length: N }, () => [gauss() * 0.4, gauss() * 0.4]);
  for (let e = 0; e < epochs; e++) {
    const a = Math.min(1, (e + 1) / (epochs * 0.7));
    for (let i = 0; i < N; i++) {
      const c = centers[labels[i]];
      const x = start[i][0] * (1 - a) + (c[0] + start[i][0] * 0.25) * a;
      const y = start[i][1] * (1 - a) + (c[1] + start[i][1] * 0.25) * a;
      coords[(e * N + i) * 2] = Math.max(-1, Math.min(1, x));
      coords[(e * N + i) * 2 + 1] = Math.max(-1, Math.min(1, y));
      predicted[e * N + i] = rand() < 0.2 + 0.75 * a ? labels[i] : Math.floor(rand() * C);
    }
  }
  const ep = Array.from({ length: epochs }, (_, e) => e + 1);
  const acc = ep.map((e) => 0.2 + 0.7 * (1 - Math.exp(-e / 3)));
  return {
    id, status, created: new Date().toISOString(), dataset: "sketches (mock)", model: "paper (mock)", classes: CLASSES,
    layers: ["conv2", "fc1"], epochs: ep, checkpoints: ep, test_accuracy: acc[acc.length - 1], has_model: true,
    coords, predicted,
    metrics: { train_loss: ep.map((e) => 2.3 * Math.exp(-e / 4) + 0.1), test_loss: ep.map((e) => 2.3 * Math.exp(-e / 5) + 0.3), test_accuracy: acc, train_accuracy: acc.map((a) => Math.min(1, a + 0.05)) },
  };
}
const runs = [makeRun("mock-live", 2, "running"), makeRun("mock-demo", E, "complete")];
function summary(r) {
  const { coords, predicted, metrics, ...s } = r;
  return s;
}
function arr(typed, shape) {
  const dtype = typed instanceof Float32Array ? "float32" : typed instanceof Int32Array ? "int32" : "uint8";
  return { dtype, shape, data: Buffer.from(typed.buffer, typed.byteOffset, typed.byteLength).toString("base64") };
}

// ---- model-ish ----
const LAYERS = [
  { name: "conv1", type: "Conv2d", out_shape: [8, 32, 32], params: 208, kernel: [5, 5], stride: [1, 1] },
  { name: "relu1", type: "ReLU", out_shape: [8, 32, 32], params: 0, kernel: null, stride: null },
  { name: "pool1", type: "MaxPool2d", out_shape: [8, 16, 16], params: 0, kernel: [2, 2], stride: [2, 2] },
  { name: "conv2", type: "Conv2d", out_shape: [16, 16, 16], params: 3216, kernel: [5, 5], stride: [1, 1] },
  { name: "relu2", type: "ReLU", out_shape: [16, 16, 16], params: 0, kernel: null, stride: null },
  { name: "flatten", type: "Flatten", out_shape: [4096], params: 0, kernel: null, stride: null },
  { name: "fc1", type: "Linear", out_shape: [50], params: 204850, kernel: null, stride: null },
  { name: "fc2", type: "Linear", out_shape: [10], params: 510, kernel: null, stride: null },
];
function softmax(xs) {
  const m = Math.max(...xs);
  const e = xs.map((x) => Math.exp(x - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
}
const uploads = new Map();

// ---- http ----
class HttpError extends Error {
  constructor(status, detail) {
    super(detail);
    this.status = status;
  }
}
function getRun(id) {
  const r = runs.find((x) => x.id === id);
  if (!r) throw new HttpError(404, `Unknown run "${id}". Runs: ${runs.map((x) => x.id).join(", ")}.`);
  return r;
}
function getLayer(name, allowed = LAYERS) {
  const l = allowed.find((x) => x.name === name);
  if (!l) throw new HttpError(404, `Unknown layer "${name}". Layers: ${allowed.map((x) => x.name).join(", ")}.`);
  return l;
}
function epochOf(r, q) {
  const e = q.get("epoch") ? Number(q.get("epoch")) : r.checkpoints[r.checkpoints.length - 1];
  if (!r.checkpoints.includes(e)) throw new HttpError(404, `No checkpoint for epoch ${e}. Checkpoints: ${r.checkpoints.join(", ")}.`);
  return e;
}
function imageRef(q) {
  const ref = q.get("image") ?? "probe:0";
  const [kind, id] = ref.split(":");
  if (kind === "probe" && Number(id) >= 0 && Number(id) < N) return ref;
  if (kind === "upload" && uploads.has(id)) return ref;
  if (kind === "upload") throw new HttpError(404, `Upload "${id}" is no longer on the server; please upload the image again.`);
  throw new HttpError(400, `Bad image reference "${ref}": use probe:<index> (0..${N - 1}) or upload:<id>.`);
}
function hashNum(s) {
  let h = 0;
  for (const ch of s) h = (h * 31 + ch.charCodeAt(0)) | 0;
  return Math.abs(h);
}

const routes = [
  ["GET", /^\/api\/runs$/, () => runs.map(summary)],
  ["GET", /^\/api\/runs\/([^/]+)$/, (m) => {
    const r = getRun(m[1]);
    return { ...summary(r), metrics: r.metrics, layer_info: [{ name: "conv2", shape: [64, 32, 32], dim: 64 }, { name: "fc1", shape: [50], dim: 50 }], probe: { n: N, n_test: N / 2, n_train: N / 2 }, explanation: "A mock run." };
  }],
  ["GET", /^\/api\/runs\/([^/]+)\/timeline$/, (m, q) => {
    const r = getRun(m[1]);
    const layer = q.get("layer") ?? "fc1";
    if (!r.layers.includes(layer)) throw new HttpError(404, `Layer "${layer}" was not recorded. Recorded: ${r.layers.join(", ")}.`);
    const E2 = r.epochs.length;
    return {
      layer, epochs: r.epochs, n: N, coords: arr(r.coords.subarray(0, E2 * N * 2), [E2, N, 2]), labels: arr(labels, [N]),
      predicted: arr(r.predicted.subarray(0, E2 * N), [E2, N]), split: arr(split, [N]),
      metrics: Object.fromEntries(Object.entries(r.metrics).map(([k, v]) => [k, v.slice(0, E2)])), method: "aligned-umap",
      explanation: `Each dot is one of ${N} probe pictures, placed by what layer ${layer} makes of it. Dots that end up close together look alike to the network. Press play to watch the classes pull apart as it learns.`,
    };
  }],
  ["GET", /^\/api\/runs\/([^/]+)\/points\/(\d+)$/, (m) => {
    const r = getRun(m[1]);
    const i = Number(m[2]);
    if (i >= N) throw new HttpError(404, `Probe index ${i} out of range 0..${N - 1}.`);
    const E2 = r.epochs.length;
    const p = new Float32Array(E2 * C);
    for (let e = 0; e < E2; e++) {
      const pr = softmax(CLASSES.map((_, c) => (c === labels[i] ? (e + 1) * 0.6 : Math.sin(i + c * 3 + e) * 0.8)));
      p.set(pr, e * C);
    }
    return { index: i, label: labels[i], label_name: CLASSES[labels[i]], split: split[i], source: `sketches/${CLASSES[labels[i]]}/${i}.png`, epochs: r.epochs, probabilities: arr(p, [E2, C]), explanation: `This is a ${CLASSES[labels[i]]}. The chart shows how sure the network was of each class after every epoch.` };
  }],
  ["GET", /^\/api\/runs\/([^/]+)\/layers$/, (m, q) => {
    const r = getRun(m[1]);
    return { epoch: epochOf(r, q), input_shape: [1, SIZE, SIZE], layers: LAYERS.map((l) => ({ ...l, explanation: `${l.type} layer` })) };
  }],
  ["GET", /^\/api\/runs\/([^/]+)\/featuremaps$/, (m, q) => {
    const r = getRun(m[1]);
    const epoch = epochOf(r, q);
    const l = getLayer(q.get("layer") ?? "conv1");
    const image = imageRef(q);
    const [Cc, H, W] = l.out_shape.length === 3 ? l.out_shape : [l.out_shape[0], 1, 1];
    const maps = new Float32Array(Cc * H * W);
    const h0 = hashNum(image);
    for (let c = 0; c < Cc; c++)
      for (let y = 0; y < H; y++)
        for (let x = 0; x < W; x++) {
          const v = Math.sin((x + c * 1.7 + h0 % 5) / (2 + (c % 4))) * Math.cos((y - c) / (3 + (c % 3))) * (1 + (c % 5) / 3);
          maps[(c * H + y) * W + x] = l.type.includes("ReLU") || l.type.includes("Pool") ? Math.max(0, v) : v;
        }
    const order = q.get("order") ?? "natural";
    const k = Number(q.get("clusters") ?? 4);
    let idx = Array.from({ length: Cc }, (_, c) => c);
    const cluster = order === "kmeans" ? idx.map((c) => c % k) : null;
    const pca = order === "pca" ? idx.map((c) => Math.sin(c * 1.3)) : null;
    if (cluster) idx = [...idx].sort((a, b) => cluster[a] - cluster[b] || a - b);
    if (pca) idx = [...idx].sort((a, b) => pca[a] - pca[b]);
    let min = Infinity, max = -Infinity, sum = 0, zeros = 0;
    for (const v of maps) { min = Math.min(min, v); max = Math.max(max, v); sum += v; if (v === 0) zeros++; }
    const probs = softmax(CLASSES.map((_, c) => Math.sin(h0 + c) * 2));
    return { layer: l.name, epoch, image, shape: [Cc, H, W], maps: arr(maps, [Cc, H, W]), order: idx, cluster, pca, stats: { min, max, mean: sum / maps.length, zero_fraction: zeros / maps.length }, probabilities: probs, predicted: probs.indexOf(Math.max(...probs)), explanation: `Layer ${l.name} turns the picture into ${Cc} feature maps; bright spots are where a filter found its pattern.` };
  }],
  ["GET", /^\/api\/runs\/([^/]+)\/weights$/, (m, q) => {
    const r = getRun(m[1]);
    epochOf(r, q);
    const l = getLayer(q.get("layer") ?? "conv1");
    if (!l.params) throw new HttpError(400, `Layer ${l.name} (${l.type}) has no weights.`);
    let shape;
    if (l.type === "Conv2d") shape = l.name === "conv1" ? [8, 1, 5, 5] : [16, 8, 5, 5];
    else shape = l.name === "fc1" ? [50, 4096] : [10, 50];
    const n = shape.reduce((a, b) => a * b, 1);
    const w = Float32Array.from({ length: n }, () => gauss() * 0.2);
    return { layer: l.name, shape, weights: arr(w, shape), truncated: false, explanation: `The filters of ${l.name}: red weights add, blue weights subtract.` };
  }],
  ["GET", /^\/api\/runs\/([^/]+)\/top$/, (m, q) => {
    getRun(m[1]);
    const l = getLayer(q.get("layer") ?? "conv1");
    const ch = Number(q.get("channel") ?? 0);
    const k = Number(q.get("k") ?? 9);
    const indices = Array.from({ length: k }, (_, j) => (ch * 13 + j * 37) % N);
    return { layer: l.name, channel: ch, indices, values: indices.map((_, j) => 3 - j * 0.2), explanation: `The probe pictures that excite channel ${ch} of ${l.name} the most.` };
  }],
  ["GET", /^\/api\/methods$/, () => [
    { name: "saliency", help: "How much each pixel changes the score" },
    { name: "gradcam", help: "Which regions the last conv layer used" },
    { name: "integrated_gradients", help: "Gradients summed along a path from a blank image" },
    { name: "occlusion", help: "Cover patches and watch the score drop" },
  ]],
  ["GET", /^\/api\/runs\/([^/]+)\/attributions$/, (m, q) => {
    const r = getRun(m[1]);
    epochOf(r, q);
    const image = imageRef(q);
    const method = q.get("method") ?? "saliency";
    if (!["saliency", "gradcam", "integrated_gradients", "occlusion"].includes(method)) throw new HttpError(400, `Unknown method "${method}".`);
    const probs = softmax(CLASSES.map((_, c) => Math.sin(hashNum(image) + c) * 2));
    const predicted = probs.indexOf(Math.max(...probs));
    const target = q.get("target") ? Number(q.get("target")) : predicted;
    if (!(target >= 0 && target < C)) throw new HttpError(404, `Unknown class ${q.get("target")}; classes are 0..${C - 1}.`);
    const heat = new Float32Array(SIZE * SIZE);
    const signed = new Float32Array(SIZE * SIZE);
    const cx = 10 + (target * 3) % 12, cy = 12 + (hashNum(method) % 8);
    for (let y = 0; y < SIZE; y++) for (let x = 0; x < SIZE; x++) {
      const v = Math.exp(-((x - cx) ** 2 + (y - cy) ** 2) / 40);
      heat[y * SIZE + x] = v;
      signed[y * SIZE + x] = v * Math.sin(x / 3);
    }
    const del = Array.from({ length: 21 }, (_, i) => probs[target] * Math.exp(-i / 4));
    const ins = Array.from({ length: 21 }, (_, i) => probs[target] * (1 - Math.exp(-i / 4)));
    return { method, target, target_name: CLASSES[target], layer: method === "gradcam" ? "conv2" : null, heatmap: arr(heat, [SIZE, SIZE]), signed: arr(signed, [SIZE, SIZE]), probabilities: probs, predicted, deletion: 0.18, insertion: 0.62, deletion_curve: del, insertion_curve: ins, seconds: 0.05, explanation: `The bright region is what made the network say "${CLASSES[target]}".` };
  }],
  ["GET", /^\/api\/runs\/([^/]+)\/classgrads$/, (m, q) => {
    const r = getRun(m[1]);
    const epoch = epochOf(r, q);
    const l = getLayer(q.get("layer") ?? "conv2");
    const ref = Number(q.get("reference") ?? 0);
    if (!(ref >= 0 && ref < C)) throw new HttpError(404, `Unknown class ${ref}.`);
    const F = l.out_shape[0];
    const mk = (role, c, s) => ({ role, class: c, name: CLASSES[c], n_images: 20, norms: Array.from({ length: F }, (_, f) => Math.abs(Math.sin(f * (c + 1))) * s) });
    return { layer: l.name, epoch, groups: [mk("reference", ref, 1), mk("similar", (ref + 3) % C, 0.8), mk("dissimilar", (ref + 5) % C, 0.4)], explanation: "Taller bars: filters the class leans on more." };
  }],
  ["GET", /^\/api\/runs\/([^/]+)\/projection$/, (m, q) => {
    const r = getRun(m[1]);
    const epoch = epochOf(r, q);
    const layer = q.get("layer") ?? "fc1";
    const method = q.get("method") ?? "umap";
    if (!["umap", "tsne", "pca"].includes(method)) throw new HttpError(400, `Unknown method "${method}": use umap, tsne or pca.`);
    const maxp = Number(q.get("max_points") ?? 2000);
    const n = Math.min(N, maxp);
    const indices = Array.from({ length: n }, (_, j) => Math.floor((j * N) / n));
    const e = r.epochs.indexOf(epoch);
    const coords = new Float32Array(n * 2);
    indices.forEach((i, j) => { coords[j * 2] = r.coords[(e * N + i) * 2] * (method === "pca" ? 0.6 : 1); coords[j * 2 + 1] = r.coords[(e * N + i) * 2 + 1]; });
    return { layer, epoch, method, coords: arr(coords, [n, 2]), indices, labels: indices.map((i) => labels[i]), n_total: N, n_shown: n, sampled: n < N, explanation: `Probe pictures laid out by ${method} from ${layer}.` };
  }],
  ["GET", /^\/api\/tour$/, (m, q) => {
    const run = q.get("run") ?? runs[0].id;
    return { run, steps: [
      { id: "runs", title: "Your runs", text: "Each row is a training.", route: "/" },
      { id: "timeline", title: "Watch it learn", text: "Dots are pictures. Press play.", route: `/timeline?run=${run}&layer=fc1` },
      { id: "explorer", title: "Look inside", text: "Feature maps of one picture.", route: `/explorer?run=${run}` },
      { id: "why", title: "Why this answer?", text: "Heatmaps show what mattered.", route: `/attributions?run=${run}` },
    ] };
  }],
];

function readBody(req) {
  return new Promise((resolve) => {
    const parts = [];
    req.on("data", (d) => parts.push(d));
    req.on("end", () => resolve(Buffer.concat(parts)));
  });
}

const server = http.createServer(async (req, res) => {
  const url = new URL(req.url, "http://x");
  const send = (status, body, type = "application/json") => {
    res.writeHead(status, { "Content-Type": type, "Cache-Control": "no-store" });
    res.end(type === "application/json" ? JSON.stringify(body) : body);
  };
  try {
    let m;
    if (req.method === "GET" && (m = url.pathname.match(/^\/api\/runs\/([^/]+)\/probe\/(\d+)\.png$/))) {
      getRun(m[1]);
      const i = Number(m[2]);
      if (i >= N) throw new HttpError(404, `Probe index ${i} out of range.`);
      return send(200, probeImage(i), "image/png");
    }
    if (req.method === "GET" && (m = url.pathname.match(/^\/api\/uploads\/([^/]+)\.png$/))) {
      const u = uploads.get(m[1]);
      if (!u) throw new HttpError(404, "Unknown upload; please upload the image again.");
      return send(200, u.bytes, u.type);
    }
    if (req.method === "POST" && url.pathname === "/api/uploads") {
      const body = await readBody(req);
      const start = body.indexOf("\r\n\r\n") + 4;
      const file = body.subarray(start, body.lastIndexOf(Buffer.from("\r\n--")));
      const isPng = file[0] === 0x89 && file[1] === 0x50;
      const isJpeg = file[0] === 0xff && file[1] === 0xd8;
      if (!isPng && !isJpeg) throw new HttpError(415, "That file is not an image ConvLens can read (PNG, JPEG, WebP, BMP or GIF).");
      const id = crypto.randomBytes(6).toString("hex");
      uploads.set(id, { bytes: file, type: isPng ? "image/png" : "image/jpeg" });
      return send(200, { id, width: 32, height: 32, channels: 1, explanation: "Your picture was uploaded." });
    }
    for (const [method, re, fn] of routes) {
      if (req.method === method && (m = url.pathname.match(re))) {
        await new Promise((r) => setTimeout(r, 60));
        return send(200, fn(m, url.searchParams));
      }
    }
    throw new HttpError(404, `Not found: ${url.pathname}`);
  } catch (e) {
    if (e instanceof HttpError) return send(e.status, { detail: e.message });
    console.error(e);
    return send(500, { detail: String(e) });
  }
});

// ---- minimal WebSocket (server -> client text frames only) ----
const sockets = new Set();
function wsSend(sock, text) {
  const payload = Buffer.from(text);
  let header;
  if (payload.length < 126) header = Buffer.from([0x81, payload.length]);
  else if (payload.length < 65536) { header = Buffer.alloc(4); header[0] = 0x81; header[1] = 126; header.writeUInt16BE(payload.length, 2); }
  else { header = Buffer.alloc(10); header[0] = 0x81; header[1] = 127; header.writeBigUInt64BE(BigInt(payload.length), 2); }
  sock.write(Buffer.concat([header, payload]));
}
server.on("upgrade", (req, sock) => {
  if (!req.url.startsWith("/api/live")) return sock.destroy();
  const accept = crypto.createHash("sha1").update(req.headers["sec-websocket-key"] + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").digest("base64");
  sock.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`);
  sockets.add(sock);
  sock.on("close", () => sockets.delete(sock));
  sock.on("error", () => sockets.delete(sock));
  sock.on("data", (d) => { if ((d[0] & 0x0f) === 0x8) sock.end(); });
  wsSend(sock, JSON.stringify({ type: "runs", runs: runs.map(summary) }));
});

// The "running" run gains an epoch every LIVE_SECONDS until it has E.
const live = runs[0];
const full = makeRun("mock-live", E, "running");
Object.assign(live, { coords: full.coords, predicted: full.predicted, metrics: full.metrics });
live.epochs = full.epochs.slice(0, 2);
live.checkpoints = live.epochs;
setInterval(() => {
  if (live.epochs.length >= E) return;
  live.epochs = full.epochs.slice(0, live.epochs.length + 1);
  live.checkpoints = live.epochs;
  live.test_accuracy = full.metrics.test_accuracy[live.epochs.length - 1];
  if (live.epochs.length === E) live.status = "complete";
  for (const s of sockets) wsSend(s, JSON.stringify({ type: "runs", runs: runs.map(summary) }));
}, LIVE_SECONDS * 1000);

server.listen(PORT, "127.0.0.1", () => console.log(`mock ConvLens API on http://127.0.0.1:${PORT} (${N} points, ${E} epochs)`));
