// Groups (clans): search and create, join or ask to join, the group's chat with presence,
// members with their roles, and the actions a higher role has on a lower one.

import { reportAction } from "./safety.js";
import { $, addChatLine, addNotice as addChatNotice, button, el, fill, onSubmit, showError, showInfo } from "./ui.js";

let app;
let room = null; // {id, group, socket, online:Set, seen:Set}
let search = "";
const RANK = { member: 0, admin: 1, superadmin: 2 };
const ROLE_WORDS = { superadmin: "leader", admin: "admin", member: "member" };

export function setup(theApp) {
  app = theApp;
  onSubmit($("#group-search-form"), async ({ search: text }) => {
    search = text.trim();
    await refreshList();
  });
  onSubmit($("#group-create-form"), async (fields) => {
    const group = await app.gp.createGroup({
      name: fields.name,
      description: fields.description || "",
      maxMembers: Number(fields.max_members || 50),
      open: fields.open === "on",
    });
    await refreshList();
    await enter(group.id);
  }, { reset: true });
  onSubmit($("#group-chat-form"), async ({ message }) => {
    if (!room || !message.trim()) return;
    if (!room.socket.send("chat_message", { message })) {
      await app.gp.postGroupMessage(room.id, message); // socket down: REST
    }
    $("#group-chat-input").value = "";
  });
  $("#group-leave").addEventListener("click", () => leave().catch(showError));
}

export async function show() {
  await refreshList();
}

async function refreshList() {
  const [groups, mine] = await Promise.all([app.gp.listGroups({ search }), app.gp.myGroups()]);
  const myIds = new Set(mine.map((g) => g.id));
  fill(
    $("#group-list"),
    groups.map((group) =>
      el(
        "li",
        { dataset: { groupId: group.id } },
        el("strong", {}, group.name),
        " ",
        el("span", { class: "muted" }, `${group.member_count}/${group.max_members}${group.open ? "" : " · closed"}`),
        " ",
        myIds.has(group.id)
          ? button("Open", () => enter(group.id), { class: "small" })
          : button(group.open ? "Join" : "Ask to join", () => join(group), { class: "small join-group" }),
      ),
    ),
  );
  if (!groups.length) fill($("#group-list"), [el("li", { class: "muted" }, "No groups found.")]);
  fill(
    $("#group-mine"),
    mine.map((group) =>
      el(
        "li",
        { dataset: { groupId: group.id } },
        el("strong", {}, group.name),
        el("span", { class: "tag" }, ROLE_WORDS[group.role]),
        " ",
        button("Open", () => enter(group.id), { class: "small" }),
      ),
    ),
  );
  if (!mine.length) fill($("#group-mine"), [el("li", { class: "muted" }, "You are in no group yet.")]);
}

async function join(group) {
  const answer = await app.gp.joinGroup(group.id).catch(showError);
  if (!answer) return;
  if (answer.status === "requested") {
    showInfo(`You asked to join ${group.name}: an admin will answer.`);
    return;
  }
  await refreshList();
  await enter(group.id);
}

async function enter(id) {
  closeRoom();
  const socket = app.gp.groupSocket(id);
  room = { id, group: null, socket, online: new Set(), seen: new Set() };
  const on = (type, fn) => socket.on(type, (frame) => room?.socket === socket && fn(frame));
  on("group_state", (frame) => {
    room.group = frame.group;
    room.online = new Set(frame.online_user_ids);
    render();
  });
  on("chat_message", (frame) => addMessage(frame.message));
  on("presence_join", (frame) => {
    room.online.add(frame.user_id);
    renderMembers();
  });
  on("presence_leave", (frame) => {
    room.online.delete(frame.user_id);
    renderMembers();
  });
  for (const type of ["member_joined", "member_left", "role_changed"]) on(type, () => refreshMembers());
  for (const kind of ["moderation_kick", "moderation_ban"]) {
    on(kind, (frame) => addNotice(`${frame.target_username} was ${kind === "moderation_kick" ? "removed" : "banned"}.`));
  }
  socket.on("error", showError);
  socket.on("close", ({ code, final }) => {
    if (!final || room?.socket !== socket) return;
    if (code === 4403) showInfo("You are no longer a member of this group.");
    if (code === 4403 || code === 4404) {
      closeRoom();
      refreshList().catch(() => {});
    }
  });
  const history = await app.gp.groupHistory(id);
  if (room?.socket !== socket) return;
  history.results.forEach((message) => addMessage(message));
}

function closeRoom() {
  if (room) room.socket.close();
  room = null;
  $("#group-room").hidden = true;
  $("#group-requests-box").hidden = true;
  $("#group-messages").replaceChildren();
}

async function leave() {
  if (!room) return;
  const id = room.id;
  closeRoom();
  await app.gp.leaveGroup(id);
  await refreshList();
}

function myRole() {
  return room?.group?.members.find((m) => m.user.id === app.me.id)?.role || null;
}

async function refreshMembers() {
  if (!room?.group) return;
  const current = room;
  const [group, members] = await Promise.all([
    app.gp.getGroup(current.id),
    app.gp.groupMembers(current.id),
  ]).catch(() => [null, null]);
  if (group && room === current) {
    room.group = { ...group, members };
    render();
  }
}

function render() {
  const { group } = room;
  $("#group-room").hidden = false;
  $("#group-room").dataset.groupId = group.id;
  $("#group-title").textContent = group.name;
  $("#group-meta").textContent = `${group.open ? "open" : "closed"} · ${group.member_count}/${group.max_members} members${group.description ? ` · ${group.description}` : ""}`;
  renderMembers();
  refreshRequests().catch(() => {});
}

function renderMembers() {
  if (!room?.group) return;
  const mine = RANK[myRole()] ?? -1;
  fill(
    $("#group-members"),
    room.group.members.map((member) => {
      const { user } = member;
      const online = room.online.has(user.id);
      const actions = [];
      // Only a higher role acts on a lower one (the server says so too).
      if (user.id !== app.me.id && mine >= RANK.admin && mine > RANK[member.role]) {
        if (member.role === "member") actions.push(button("Make admin", () => act("promote", user), { class: "small" }));
        if (member.role === "admin") {
          actions.push(button("Make leader", () => act("promote", user), { class: "small" }));
          actions.push(button("Demote", () => act("demote", user), { class: "small" }));
        }
        actions.push(button("Kick", () => act("kick", user), { class: "small" }));
        actions.push(button("Ban", () => act("ban", user), { class: "small" }));
      }
      return el(
        "li",
        { dataset: { userId: user.id, online: online ? "1" : "0", role: member.role } },
        el("span", { class: online ? "dot online" : "dot", title: online ? "here" : "away" }),
        user.username,
        el("span", { class: "tag" }, ROLE_WORDS[member.role]),
        " ",
        ...actions,
      );
    }),
  );
}

async function act(action, user) {
  await app.gp.groupAction(room.id, action, user.id).catch(showError);
  await refreshMembers();
}

async function refreshRequests() {
  const box = $("#group-requests-box");
  if ((RANK[myRole()] ?? -1) < RANK.admin) return void (box.hidden = true);
  const groupId = room.id;
  const requests = await app.gp.groupRequests(groupId);
  if (room?.id !== groupId) return;
  box.hidden = requests.length === 0;
  const answer = (user, verb) =>
    (verb === "accept" ? app.gp.acceptGroupRequest(groupId, user.id) : app.gp.declineGroupRequest(groupId, user.id))
      .catch(showError)
      .then(refreshMembers);
  fill(
    $("#group-requests"),
    requests.map((request) =>
      el(
        "li",
        { dataset: { userId: request.user.id } },
        request.user.username,
        " ",
        button("Accept", () => answer(request.user, "accept"), { class: "small" }),
        button("Decline", () => answer(request.user, "decline"), { class: "small" }),
      ),
    ),
  );
}

function addMessage(message) {
  if (!room) return;
  const { sender } = message;
  const mine = sender.id === app.me.id;
  const actions = mine ? [] : [" ", reportAction(sender, { groupId: room.id })];
  addChatLine($("#group-messages"), room.seen, message, { sender: sender.username, mine, actions });
}

function addNotice(text) {
  addChatNotice($("#group-messages"), text);
}
