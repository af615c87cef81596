// Small DOM helpers for the web client. User-provided text only ever goes through textContent.

export const $ = (selector, root = document) => root.querySelector(selector);
export const $$ = (selector, root = document) => [...root.querySelectorAll(selector)];

/** ``el("li", {class: "x", dataset: {id: 1}, onclick: fn}, "text", child, ...)`` */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "dataset") Object.assign(node.dataset, value);
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (value === true) node.setAttribute(key, "");
    else node.setAttribute(key, value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

/** A button that runs ``action`` and shows its error, disabled while it runs. */
export function button(label, action, attrs = {}) {
  const node = el("button", { type: "button", ...attrs }, label);
  node.addEventListener("click", async () => {
    node.disabled = true;
    try {
      await action();
    } catch (error) {
      showError(error);
    } finally {
      node.disabled = false;
    }
  });
  return node;
}

export function fill(node, children) {
  node.replaceChildren(...children.filter(Boolean));
}

let bannerTimer = null;

/** Shows an ApiError (or any error) in the banner: its detail and code. */
export function showError(error) {
  const banner = $("#banner");
  const text = error?.detail ? `${error.detail}${error.code ? ` (${error.code})` : ""}` : String(error?.message || error);
  banner.textContent = text;
  banner.className = "error";
  banner.hidden = false;
  clearTimeout(bannerTimer);
  bannerTimer = setTimeout(() => (banner.hidden = true), 8000);
  if (!(error?.detail)) console.error(error);
}

export function showInfo(text) {
  const banner = $("#banner");
  banner.textContent = text;
  banner.className = "info";
  banner.hidden = false;
  clearTimeout(bannerTimer);
  bannerTimer = setTimeout(() => (banner.hidden = true), 5000);
}

/** Runs the form's handler with its values; shows errors; resets the form on success if asked. */
export function onSubmit(form, handler, { reset = false } = {}) {
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const submit = form.querySelector("button[type=submit]");
    if (submit) submit.disabled = true;
    try {
      await handler(Object.fromEntries(new FormData(form)), form);
      if (reset) form.reset();
    } catch (error) {
      showError(error);
    } finally {
      if (submit) submit.disabled = false;
    }
  });
}

export function time(iso) {
  if (!iso) return "";
  const date = new Date(iso);
  return date.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
}

export function dot(online) {
  return el("span", { class: online ? "dot online" : "dot", title: online ? "online" : "offline" });
}

export function setBadge(node, count) {
  node.textContent = count > 0 ? String(count) : "";
  node.hidden = !(count > 0);
}
