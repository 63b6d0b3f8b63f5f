// Types of the HTTP API (docs/api.md; the server's /openapi.json is authoritative).

export interface WireArray {
  dtype: "float32" | "int32" | "uint8";
  shape: number[];
  data: string; // base64, little-endian, C order
}

export interface NDArray<T extends Float32Array | Int32Array | Uint8Array = Float32Array | Int32Array | Uint8Array> {
  shape: number[];
  data: T;
}

export interface RunSummary {
  id: string;
  status: string;
  created: string;
  dataset: string;
  model: string;
  classes: string[];
  layers: string[];
  epochs: number[];
  checkpoints: number[];
  test_accuracy: number | null;
  has_model: boolean;
}

export interface LayerInfo {
  name: string;
  shape: number[];
  dim: number;
}

export type Metrics = Record<string, (number | null)[]>;

export interface RunDetail extends RunSummary {
  metrics: Metrics;
  layer_info: LayerInfo[];
  probe: { n: number; n_test: number; n_train: number };
  explanation: string;
}

export interface TimelineResponse {
  layer: string;
  epochs: number[];
  n: number;
  coords: WireArray;
  labels: WireArray;
  predicted: WireArray;
  split: WireArray;
  metrics: Metrics;
  method: string;
  explanation: string;
}

export interface PointResponse {
  index: number;
  label: number;
  label_name: string;
  split: number;
  source: string;
  epochs: number[];
  probabilities: WireArray;
  explanation: string;
}

export interface UploadResponse {
  id: string;
  width: number;
  height: number;
  channels: number;
  explanation: string;
}

export interface ModelLayer {
  name: string;
  type: string;
  out_shape: number[];
  params: number;
  kernel: number[] | null;
  stride: number[] | null;
  explanation: string;
}

export interface LayersResponse {
  epoch: number;
  input_shape: number[];
  layers: ModelLayer[];
}

export interface FeatureMapsResponse {
  layer: string;
  epoch: number;
  image: string;
  shape: number[];
  maps: WireArray;
  order: number[];
  cluster: number[] | null;
  pca: number[] | null;
  stats: { min: number; max: number; mean: number; zero_fraction: number };
  probabilities: number[];
  predicted: number;
  explanation: string;
}

export interface WeightsResponse {
  layer: string;
  shape: number[];
  weights: WireArray;
  truncated: boolean;
  explanation: string;
}

export interface TopResponse {
  layer: string;
  channel: number;
  indices: number[];
  values: number[];
  explanation: string;
}

export interface MethodInfo {
  name: string;
  help: string;
}

export interface AttributionResponse {
  method: string;
  target: number;
  target_name: string;
  layer: string | null;
  heatmap: WireArray;
  signed: WireArray;
  probabilities: number[];
  predicted: number;
  deletion: number;
  insertion: number;
  deletion_curve: number[];
  insertion_curve: number[];
  seconds: number;
  explanation: string;
}

export interface ClassGradGroup {
  role: "reference" | "similar" | "dissimilar";
  class: number;
  name: string;
  n_images: number;
  norms: number[];
}

export interface ClassGradsResponse {
  layer: string;
  epoch: number;
  groups: ClassGradGroup[];
  explanation: string;
}

export interface ProjectionResponse {
  layer: string;
  epoch: number;
  method: string;
  coords: WireArray;
  indices: number[];
  labels: number[];
  n_total: number;
  n_shown: number;
  sampled: boolean;
  explanation: string;
}

export interface TourStep {
  id: string;
  title: string;
  text: string;
  route: string;
}

export interface TourResponse {
  run: string | null;
  steps: TourStep[];
}

export interface LiveMessage {
  type: string;
  runs?: RunSummary[];
}
