import assert from "node:assert/strict";
import { EVE_APP_NAMESPACE, isCdiUploadPod, isEveApp, isVmi } from "./pod_kind.ts";

const app = (podName: string, podNamespace = EVE_APP_NAMESPACE) => ({ podName, podNamespace });

Deno.test("pods in EVE's app namespace are EVE apps, VMI launchers included", () => {
  assert.ok(isEveApp(app("nginx-1a2b3-x7k2p")));
  assert.ok(isEveApp(app("virt-launcher-ubuntu-vm-9f8e7-bcdfg")));
  assert.ok(isVmi(app("virt-launcher-ubuntu-vm-9f8e7-bcdfg")));
  assert.ok(!isVmi(app("nginx-1a2b3-x7k2p")));
});

Deno.test("pods of other namespaces, or of none, are not EVE apps", () => {
  assert.ok(!isEveApp(app("coredns-77ccd57875-x7k2p", "kube-system")));
  assert.ok(!isEveApp(app("nginx-1a2b3-x7k2p", "default")));
  assert.ok(!isEveApp({ podName: "nginx-1a2b3-x7k2p" }));
  assert.ok(!isEveApp({}));
});

Deno.test("CDI upload pods: cdi-upload-* containing -pvc-, as EVE's Go plugin tests it", () => {
  const upload = "cdi-upload-ubuntu-vm-pvc-9f8e7d6c";
  assert.ok(isCdiUploadPod(app(upload)));
  assert.ok(!isEveApp(app(upload)), "an upload pod in eve-kube-app is not an EVE app");
  // Both parts are needed: a prefix alone or the mark alone is an ordinary app's name.
  assert.ok(!isCdiUploadPod(app("cdi-upload-server-x7k2p")));
  assert.ok(isEveApp(app("cdi-upload-server-x7k2p")));
  assert.ok(!isCdiUploadPod(app("my-pvc-tool-1a2b3-x7k2p")));
  assert.ok(isEveApp(app("my-pvc-tool-1a2b3-x7k2p")));
  // Case-sensitive, as Go's strings.HasPrefix/Contains.
  assert.ok(!isCdiUploadPod(app("CDI-UPLOAD-vm-PVC-1")));
  // The launcher of a VMI stays a VMI and an EVE app whatever its name holds.
  assert.ok(!isCdiUploadPod(app("virt-launcher-cdi-upload-x-pvc-y-bcdfg")));
  assert.ok(isEveApp(app("virt-launcher-cdi-upload-x-pvc-y-bcdfg")));
});
