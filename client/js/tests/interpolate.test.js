// The arena example's interpolation (examples/arena/src/interpolate.ts): dots drawn between patches.
import assert from "node:assert/strict";
import { test } from "node:test";

import { Interpolator } from "../examples/arena/dist/interpolate.js";

/** @param {number} x */
const view = (x) => ({ players: { "7": { x, y: 0 } } });

test("a dot is drawn between the two views around the time 100 ms ago", () => {
  const smooth = new Interpolator((/** @type {{players: Record<string, {x: number, y: number}>}} */ v) => v.players);
  assert.deepEqual(smooth.positions(0), {});
  smooth.push(view(0), 1000);
  smooth.push(view(10), 1050);
  assert.deepEqual(smooth.positions(1125), { "7": { x: 5, y: 0 } }, "1025: halfway between 1000 and 1050");
  assert.deepEqual(smooth.positions(1000), { "7": { x: 0, y: 0 } }, "before the first view: the first");
  assert.deepEqual(smooth.positions(2000), { "7": { x: 10, y: 0 } }, "after the last view: at rest there");
});
