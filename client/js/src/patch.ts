/**
 * RFC 6902 JSON Patch, applied to a copy: what turns a game room's view into the next one
 * (`state_patch {ops}`). All six operations; a patch that does not fit throws `PatchError`
 * and leaves the document as it was.
 */
import type { PatchOperation } from "./frames.js";

export class PatchError extends Error {
  override name = "PatchError";
}

/** `doc` with `ops` applied, as a new document (`doc` is not changed). */
export function applyPatch<T = unknown>(doc: unknown, ops: readonly PatchOperation[]): T {
  let root = copy(doc);
  for (const op of ops) root = applyOne(root, op);
  return root as T;
}

function applyOne(root: unknown, op: PatchOperation): unknown {
  switch (op.op) {
    case "add":
      return put(root, op.path, copy(op.value), "add");
    case "replace":
      return put(root, op.path, copy(op.value), "replace");
    case "remove":
      return remove(root, op.path);
    case "move": {
      const value = get(root, from(op));
      if (op.path.startsWith(`${op.from}/`)) throw new PatchError(`cannot move ${op.from} into itself`);
      return put(remove(root, from(op)), op.path, value, "add");
    }
    case "copy":
      return put(root, op.path, copy(get(root, from(op))), "add");
    case "test":
      if (JSON.stringify(get(root, op.path)) !== JSON.stringify(op.value)) throw new PatchError(`test failed at ${op.path}`);
      return root;
    default:
      throw new PatchError(`unknown op ${String((op as { op: unknown }).op)}`);
  }
}

function from(op: PatchOperation): string {
  if (typeof op.from !== "string") throw new PatchError(`${op.op} without from`);
  return op.from;
}

function tokens(path: string): string[] {
  if (path === "") return [];
  if (!path.startsWith("/")) throw new PatchError(`bad pointer ${path}`);
  return path.slice(1).split("/").map((t) => t.replace(/~1/g, "/").replace(/~0/g, "~"));
}

function index(list: unknown[], token: string, end: boolean): number {
  if (end && token === "-") return list.length;
  if (!/^(0|[1-9][0-9]*)$/.test(token)) throw new PatchError(`bad index ${token}`);
  const at = Number(token);
  if (at > list.length || (at === list.length && !end)) throw new PatchError(`index ${at} out of range`);
  return at;
}

type Container = Record<string, unknown> | unknown[];

function parentOf(root: unknown, path: string): [Container, string] {
  const parts = tokens(path);
  const last = parts.pop()!;
  let node = root;
  for (const token of parts) {
    node = Array.isArray(node) ? node[index(node, token, false)] : isObject(node) ? node[token] : undefined;
  }
  if (!Array.isArray(node) && !isObject(node)) throw new PatchError(`no container at ${path}`);
  return [node, last];
}

function get(root: unknown, path: string): unknown {
  if (path === "") return root;
  const [parent, key] = parentOf(root, path);
  if (Array.isArray(parent)) return parent[index(parent, key, false)];
  if (!Object.prototype.hasOwnProperty.call(parent, key)) throw new PatchError(`nothing at ${path}`);
  return parent[key];
}

function put(root: unknown, path: string, value: unknown, how: "add" | "replace"): unknown {
  if (path === "") return value;
  const [parent, key] = parentOf(root, path);
  if (Array.isArray(parent)) {
    const at = index(parent, key, how === "add");
    if (how === "add") parent.splice(at, 0, value);
    else parent[at] = value;
  } else {
    if (how === "replace" && !Object.prototype.hasOwnProperty.call(parent, key)) throw new PatchError(`nothing at ${path}`);
    parent[key] = value;
  }
  return root;
}

function remove(root: unknown, path: string): unknown {
  if (path === "") throw new PatchError("cannot remove the whole document");
  const [parent, key] = parentOf(root, path);
  if (Array.isArray(parent)) parent.splice(index(parent, key, false), 1);
  else if (Object.prototype.hasOwnProperty.call(parent, key)) delete parent[key];
  else throw new PatchError(`nothing at ${path}`);
  return root;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

// A copy as JSON sees it: no part shared with the frame or with the previous view.
function copy(value: unknown): unknown {
  return value === undefined ? null : JSON.parse(JSON.stringify(value));
}
