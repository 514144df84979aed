// The layering of scripts/, checked by `npm test` (npm run deps): one-way layers, no cycles.
//   fleetfed.ts → commands/ → io/ → core/        core/ is pure: no fs, network, processes or env.
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: "resolvable",
      comment:
        "An import that does not resolve is a typo or a missing package. The one exception: the executable's import of dist/, which exists only inside a packed package (scripts/pack.ts).",
      severity: "error",
      from: {},
      to: { couldNotResolve: true, pathNot: "^\\.\\./dist/fleetfed\\.js$" },
    },
    {
      name: "no-cycles",
      comment: "A cycle makes the pipeline unreadable and import order fragile; move the shared part down.",
      severity: "error",
      from: {},
      to: { circular: true },
    },
    {
      name: "core-is-pure",
      comment: "core/ must not reach into adapters, commands or the entry point.",
      severity: "error",
      from: { path: "^scripts/core/" },
      to: { path: "^scripts/(io/|commands/|fleetfed\\.ts)" },
    },
    {
      name: "core-no-node-io",
      comment: "core/ does no I/O: file system, network, processes, OS or workers belong in io/.",
      severity: "error",
      from: { path: "^scripts/core/" },
      to: {
        dependencyTypes: ["core"],
        path: "^(node:)?(fs|fs/promises|child_process|net|http|https|http2|dns|os|process|worker_threads|readline|tls|dgram|cluster|v8|vm)$",
      },
    },
    {
      name: "io-below-commands",
      comment: "Adapters are called by commands, never the other way round.",
      severity: "error",
      from: { path: "^scripts/io/" },
      to: { path: "^scripts/(commands/|fleetfed\\.ts)" },
    },
    {
      name: "commands-independent",
      comment: "A command never imports another command; shared steps live in propose.ts or below.",
      severity: "error",
      from: { path: "^scripts/commands/" },
      // Every command module, named by what it is not: a list of commands missed onboard and upgrade.
      to: { path: "^scripts/commands/", pathNot: "^scripts/commands/(propose|context)\\.ts$|\\.json$" },
    },
    {
      name: "stages-flow-forward",
      comment:
        "Pipeline stages only import earlier stages: inputs → discovery → plan → render → check → review.",
      severity: "error",
      from: { path: "^scripts/core/(inputs)/" },
      to: { path: "^scripts/core/(discovery|plan|render|check|review)/" },
    },
    {
      name: "discovery-before-plan",
      severity: "error",
      from: { path: "^scripts/core/discovery/" },
      to: { path: "^scripts/core/(plan|render|check|review)/" },
    },
    {
      name: "plan-before-render",
      severity: "error",
      from: { path: "^scripts/core/(discovery|plan)/" },
      to: { path: "^scripts/core/(render|check|review)/" },
    },
    {
      name: "check-before-review",
      severity: "error",
      from: { path: "^scripts/core/check/" },
      to: { path: "^scripts/core/review/" },
    },
    {
      name: "render-before-check",
      severity: "error",
      from: { path: "^scripts/core/render/" },
      to: { path: "^scripts/core/(check|review)/" },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    parser: "swc",
    enhancedResolveOptions: {
      extensions: [".ts", ".js", ".json"],
      exportsFields: ["exports"],
      conditionNames: ["import", "node", "default"],
    },
  },
};
