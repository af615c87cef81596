// The browser build the site serves at /static/webclient/gameplatform-client.js: tsc's output
// (dist/, `npm run build` first) in one ES module, so that `make run` needs no Node. Run by
// `npm run bundle` (`make sdk-bundle` in the repository's root); the Python test
// client/js/tests/test_sdk_js_live.py builds it again into a temporary file (the argument) and
// fails when the committed copy differs.
import { build } from "esbuild";

const BANNER = `// @gameplatform/client (client/js), bundled for browsers by esbuild: generated, do not edit.
// Refresh it with \`make sdk-bundle\` after changing client/js/src.`;

const outfile = process.argv[2] ?? "../../webclient/static/webclient/gameplatform-client.js";
await build({
  entryPoints: ["dist/index.js"],
  bundle: true,
  format: "esm",
  target: "es2022",
  platform: "browser",
  charset: "utf8",
  legalComments: "none",
  banner: { js: BANNER },
  outfile,
  logLevel: "warning",
});
