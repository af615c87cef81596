// Small DOM helpers for the web client. User-provided text only ever goes through textContent.

import { errorText } from "./words.js";

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

/** Shows an ApiError (or any error) in the banner, in words (words.js); its code stays in
 * ``data-code`` for whoever debugs. */
export function showError(error) {
  const banner = $("#banner");
  const text = error?.code ? errorText(error) : String(error?.message || error);
  banner.textContent = text;
  banner.className = "error";
  banner.dataset.code = error?.code || "";
  delete banner.dataset.about;
  banner.hidden = false;
  clearTimeout(bannerTimer);
  bannerTimer = setTimeout(() => (banner.hidden = true), 8000);
  if (!error?.code) console.error(error);
  // A sanction's refusal: safety.js shows what holds, why, until when (and the appeal).
  if (error?.code === "muted" || error?.code === "account_suspended") {
    document.dispatchEvent(new CustomEvent("gameplatform:refused", { detail: error }));
  }
}

/** Shows a notice in the banner; ``about`` names what it is about, so that ``clearInfo(about)``
 * takes it down once it no longer holds (a friend request answered). */
export function showInfo(text, { about = "" } = {}) {
  const banner = $("#banner");
  banner.textContent = text;
  banner.className = "info";
  banner.dataset.code = "";
  banner.dataset.about = about;
  banner.hidden = false;
  clearTimeout(bannerTimer);
  bannerTimer = setTimeout(() => (banner.hidden = true), 5000);
}

/** What the notice in view is about ("" for an error or none). */
export function bannerAbout() {
  const banner = $("#banner");
  return !banner.hidden && banner.className === "info" ? banner.dataset.about || "" : "";
}

/** Hides the banner if it still shows the notice about ``about``. */
export function clearInfo(about) {
  const banner = $("#banner");
  if (banner.className === "info" && banner.dataset.about === about) banner.hidden = true;
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

/** Puts a chat message in ``list`` once per id (``seen``), in id order whichever arrives first (a
 * live frame can beat the history page); ``prepend`` for an older page, which keeps the scroll. */
export function addChatLine(list, seen, message, { sender, mine, prepend = false, actions = [] }) {
  if (seen.has(message.id)) return;
  seen.add(message.id);
  const later = prepend ? list.firstChild : [...list.querySelectorAll("li[data-message-id]")].find((li) => Number(li.dataset.messageId) > message.id);
  list.insertBefore(
    el(
      "li",
      { dataset: { messageId: message.id }, class: mine ? "mine" : "" },
      el("span", { class: "time" }, time(message.created_at)),
      el("strong", {}, sender),
      ": ",
      el("span", { class: "content" }, message.content),
      ...actions,
    ),
    later || null,
  );
  if (!prepend) list.scrollTop = list.scrollHeight;
}

/** A line of the room's own (someone was kicked, the game started) at the end of a chat ``list``. */
export function addNotice(list, text) {
  list.append(el("li", { class: "notice" }, text));
  list.scrollTop = list.scrollHeight;
}

export function dot(online) {
  return el("span", { class: online ? "dot online" : "dot", title: online ? "online" : "offline" });
}

export function setBadge(node, count) {
  node.textContent = count > 0 ? String(count) : "";
  node.hidden = !(count > 0);
}
