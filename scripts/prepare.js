// `npm install` in this repository (npm's prepare step): bundles the Grafana SDK for faster dashboards
// (scripts/bundle-grafana-sdk.ts). Plain JavaScript, so that on a Node too old to load TypeScript (an
// install without dev dependencies, which leaves out the Node 24 they bring) it says so in one line and the
// install goes on: fleetfed then loads the SDK package as usual. Never fails an install. A fleet that
// installs fleetfed as a package never runs this (npm runs prepare only in the package's own repository).
const [major, minor] = process.versions.node.split(".").map(Number);
if (major < 22 || (major === 22 && minor < 18)) {
  console.log(
    `fleetfed: did not bundle the Grafana SDK (Node ${process.versions.node} cannot load TypeScript; fleetfed needs 22.18 or newer)`,
  );
} else {
  await (await import("./bundle-grafana-sdk.ts")).bundleOnInstall();
}
