// Types of the HTTP API: aliases of the schemas generated from the server's OpenAPI document
// (`npm run gen:api` writes schema.d.ts from web/openapi.json; never edit schema.d.ts by hand).
import type { components } from "./schema";

type S = components["schemas"];

/** An array as JSON carries it: base64 of the little-endian bytes, C order. */
export type WireArray = S["ArrayData"];

/** A decoded array (what the binary answers carry, and what `decodeFloat`/`decodeInt` return). */
export interface NDArray<T extends Float32Array | Int32Array | Uint8Array = Float32Array | Int32Array | Uint8Array> {
  shape: number[];
  data: T;
}

/** A response whose arrays came either as JSON (`WireArray`) or binary (already `NDArray`). */
export type WithArrays<T> = { [K in keyof T]: T[K] extends WireArray ? WireArray | NDArray : T[K] };

export type RunSummary = S["RunSummary"];
export type LayerInfo = S["LayerRecord"];
export type Metrics = S["RunDetail"]["metrics"];
export type RunDetail = S["RunDetail"];
export type TimelineResponse = WithArrays<S["Timeline"]>;
export type PointResponse = WithArrays<S["PointDetail"]>;
export type UploadResponse = S["UploadInfo"];
export type ModelLayer = S["LayerDescription"];
export type LayersResponse = S["Layers"];
export type FeatureMapsResponse = WithArrays<S["FeatureMaps"]>;
export type WeightsResponse = WithArrays<S["Weights"]>;
export type TopResponse = S["TopProbes"];
export type MethodInfo = S["Method"];
export type AttributionResponse = WithArrays<S["Attribution"]>;
export type AttributionCheckResponse = S["AttributionCheck"];
export type AttributionSanityResponse = WithArrays<S["AttributionSanity"]>;
export type ClassGradGroup = S["GradientGroup"];
export type ClassGradsResponse = S["ClassGradients"];
export type ProjectionResponse = WithArrays<S["Projection"]>;
export type TourStep = S["TourStep"];
export type TourResponse = S["Tour"];
export type GraphInfo = S["GraphInfo"];
export type StoryResponse = S["Story"];
export type StoryEvent = S["StoryEvent"];

/** A message of the `/api/live` WebSocket (not in the OpenAPI document). */
export interface LiveMessage {
  type: string;
  runs?: RunSummary[];
  /** `type: "job"`: a background job moved (pushed at most every 0.1 s per job). */
  job?: JobStatus;
}
export type JobStatus = S["JobStatus"];
