// The JSON Patch applier (RFC 6902) on the RFC's own examples; the live game tests check it
// against the server's patches.
import assert from "node:assert/strict";
import { test } from "node:test";

import { applyPatch, PatchError } from "@gameplatform/client";

test("each operation of RFC 6902 gives the RFC's result", () => {
  assert.deepEqual(applyPatch({ foo: "bar" }, [{ op: "add", path: "/baz", value: "qux" }]), { foo: "bar", baz: "qux" });
  assert.deepEqual(applyPatch({ foo: ["bar", "baz"] }, [{ op: "add", path: "/foo/1", value: "qux" }]), {
    foo: ["bar", "qux", "baz"],
  });
  assert.deepEqual(applyPatch({ foo: [1] }, [{ op: "add", path: "/foo/-", value: 2 }]), { foo: [1, 2] });
  assert.deepEqual(applyPatch({ baz: "qux", foo: "bar" }, [{ op: "remove", path: "/baz" }]), { foo: "bar" });
  assert.deepEqual(applyPatch({ foo: ["bar", "qux", "baz"] }, [{ op: "remove", path: "/foo/1" }]), {
    foo: ["bar", "baz"],
  });
  assert.deepEqual(applyPatch({ baz: "qux" }, [{ op: "replace", path: "/baz", value: "boo" }]), { baz: "boo" });
  assert.deepEqual(
    applyPatch({ foo: { bar: "baz", waldo: "fred" }, qux: { corge: "grault" } }, [
      { op: "move", from: "/foo/waldo", path: "/qux/thud" },
    ]),
    { foo: { bar: "baz" }, qux: { corge: "grault", thud: "fred" } },
  );
  assert.deepEqual(applyPatch({ a: [1, 2] }, [{ op: "copy", from: "/a", path: "/b" }]), { a: [1, 2], b: [1, 2] });
  assert.deepEqual(applyPatch({ "a/b": 1, "m~n": 2 }, [{ op: "replace", path: "/a~1b", value: 3 }]), { "a/b": 3, "m~n": 2 });
  assert.deepEqual(applyPatch({ a: 1 }, [{ op: "replace", path: "", value: [9] }]), [9]);
});

test("a patch that does not fit throws and leaves the document as it was", () => {
  const doc = { board: [null, "X"], turn: 1 };
  const before = JSON.stringify(doc);
  assert.throws(() => applyPatch(doc, [{ op: "replace", path: "/board/0", value: "O" }, { op: "remove", path: "/nope" }]), PatchError);
  assert.throws(() => applyPatch(doc, [{ op: "test", path: "/turn", value: 2 }]), PatchError);
  assert.throws(() => applyPatch(doc, [{ op: "add", path: "/board/5", value: "O" }]), PatchError);
  assert.equal(JSON.stringify(doc), before);
  const next = applyPatch(doc, [{ op: "replace", path: "/board/0", value: "O" }]);
  assert.deepEqual(next, { board: ["O", "X"], turn: 1 });
  assert.notEqual(next, doc, "a new document");
});
