import "./styles.css";
import { App } from "./app";

const root = document.getElementById("app");
if (root) {
  const app = new App();
  // For the browser tests and benchmarks.
  (window as unknown as { tandemApp: App }).tandemApp = app;
  void app.start(root);
}
