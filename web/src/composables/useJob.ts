// The job-waiting state a view keeps around <JobProgress>: which job it asked for, whether that
// job's answer is ready (then the view fetches its data, which answers at once), the error to
// show, and Retry. Shared by the Network and Projection views.
import { computed, ref, watch, type ComputedRef, type Ref } from "vue";
import type JobProgress from "@/components/JobProgress.vue";
import type { JobRequest } from "@/components/JobProgress.vue";

export interface UseJob {
  /** The job the view asks for (null: nothing to do yet). */
  jobReq: ComputedRef<JobRequest | null>;
  /** Identity of that request: a new one restarts the wait. */
  jobKey: ComputedRef<string>;
  /** The key whose job is done. */
  readyFor: Ref<string | null>;
  /** Whether the current request's answer is ready to fetch. */
  jobReady: ComputedRef<boolean>;
  /** Waiting for the current request's job. */
  jobRunning: ComputedRef<boolean>;
  /** Why the job failed or stopped (null while fine). */
  jobError: Ref<string | null>;
  /** Bind as `<JobProgress :ref="bindJobView">` (Retry restarts that component's job). */
  bindJobView: (el: unknown) => void;
  onJobDone: (key: string) => void;
  onJobFailed: (message: string) => void;
  onJobCancelled: () => void;
  retryJob: () => void;
}

export function useJob(request: () => JobRequest | null, cancelledText: string): UseJob {
  const jobReq = computed(request);
  const jobKey = computed(() => JSON.stringify(jobReq.value));
  const readyFor = ref<string | null>(null);
  const jobError = ref<string | null>(null);
  const jobView = ref<InstanceType<typeof JobProgress> | null>(null);
  watch(jobKey, () => (jobError.value = null));
  const jobReady = computed(() => !!jobReq.value && readyFor.value === jobKey.value);
  const jobRunning = computed(() => !!jobReq.value && readyFor.value !== jobKey.value && !jobError.value);
  return {
    jobReq,
    jobKey,
    readyFor,
    jobReady,
    jobRunning,
    jobError,
    bindJobView: (el: unknown) => (jobView.value = (el as InstanceType<typeof JobProgress> | null) ?? null),
    onJobDone: (key: string) => {
      jobError.value = null;
      readyFor.value = key;
    },
    onJobFailed: (message: string) => (jobError.value = message),
    onJobCancelled: () => (jobError.value = cancelledText),
    retryJob: () => {
      jobError.value = null;
      void jobView.value?.restart();
    },
  };
}
