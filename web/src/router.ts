import { createRouter, createWebHashHistory } from "vue-router";
import RunsView from "./views/RunsView.vue";

export const router = createRouter({
  history: createWebHashHistory(),
  routes: [
    { path: "/", name: "runs", component: RunsView, meta: { title: "Runs" } },
    { path: "/timeline", name: "timeline", component: () => import("./views/TimelineView.vue"), meta: { title: "Training timeline" } },
    { path: "/explorer", name: "explorer", component: () => import("./views/ExplorerView.vue"), meta: { title: "Layer explorer" } },
    { path: "/attributions", name: "attributions", component: () => import("./views/AttributionsView.vue"), meta: { title: "Why this decision" } },
    { path: "/classgrads", name: "classgrads", component: () => import("./views/ClassGradsView.vue"), meta: { title: "Class gradients" } },
    { path: "/projection", name: "projection", component: () => import("./views/ProjectionView.vue"), meta: { title: "Projection" } },
    { path: "/graph", name: "graph", component: () => import("./views/GraphView.vue"), meta: { title: "Network" } },
    { path: "/:rest(.*)*", redirect: "/" },
  ],
});

router.afterEach((to) => {
  const title = (to.meta.title as string | undefined) ?? "";
  document.title = title ? `${title} · ConvLens` : "ConvLens";
});
