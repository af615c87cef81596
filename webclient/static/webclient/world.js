// The persistent world: characters, the location map, nearby players, world chat, fights and shards.

import { $, button, el, fill, onSubmit, showError, showInfo, time } from "./ui.js";
import { combatEnd, heals, hits, loot } from "./words.js";

let app;
let socket = null;
let locations = new Map(); // id -> location
let here = null; // my location id
let me = null; // my character
let nearby = new Map(); // character_id -> {name, faction, level}
let combat = null;
let characters = []; // GET /api/characters/

export function setup(theApp) {
  app = theApp;
  onSubmit($("#character-create-form"), async ({ name, faction }) => {
    await app.gp.post("/api/characters/", { name, faction: Number(faction) || faction });
    await refreshCharacters();
  }, { reset: true });
  $("#world-enter").addEventListener("click", enter);
  $("#world-exit").addEventListener("click", exit);
  onSubmit($("#world-chat-form"), async ({ channel, message }) => {
    if (socket?.send("chat", { channel, message })) $("#world-chat-form").elements.message.value = "";
  });
}

export async function show() {
  const [factions] = await Promise.all([app.gp.all("/api/world/factions/"), refreshCharacters(), refreshLocations()]);
  const select = $("#faction-select");
  if (!select.options.length) fill(select, factions.map((f) => el("option", { value: f.id }, f.name)));
}

async function refreshLocations() {
  const list = await app.gp.all("/api/world/locations/");
  locations = new Map(list.map((l) => [l.id, l]));
  if (socket) renderLocation();
}

async function refreshCharacters() {
  characters = await app.gp.all("/api/characters/");
  renderCharacters();
}

// The list beside the world says what the world says: my character's health and level as the
// world's frames change them, not as they were when the list was fetched.
function followInList(character) {
  const listed = characters.find((c) => c.id === character?.id);
  if (!listed) return;
  Object.assign(listed, { health: character.health, max_health: character.max_health, level: character.level });
  renderCharacters();
}

function renderCharacters() {
  fill(
    $("#character-list"),
    characters.length
      ? characters.map((c) =>
          el(
            "li",
            { dataset: { characterId: c.id }, class: c.selected ? "selected" : "" },
            el("strong", {}, c.name),
            ` · ${c.faction} · level ${c.level} · ${c.health}/${c.max_health} hp `,
            c.selected ? el("span", { class: "tag" }, "selected") : button("Select", () => select(c), { class: "small" }),
            button("Delete", () => remove(c), { class: "small" }),
          ),
        )
      : [el("li", { class: "muted" }, "No character yet: create one.")],
  );
}

async function select(character) {
  await app.gp.post("/api/characters/select/", { character_id: character.id });
  await refreshCharacters();
  if (socket) {
    exit();
    enter();
  }
}

async function remove(character) {
  if (!window.confirm(`Delete ${character.name} for good?`)) return;
  await app.gp.delete(`/api/characters/${character.id}/`);
  await refreshCharacters();
}

function enter() {
  if (socket) return;
  socket = app.gp.socket("/ws/world/");
  $("#world-enter").hidden = true;
  $("#world-exit").hidden = false;
  $("#world-chat").replaceChildren();
  socket.on("status", (status) => ($("#world-status").textContent = `World connection: ${status}.`));
  socket.on("close", ({ code, final }) => {
    if (!final) return;
    if (code === 4403) showInfo("Select a character first.");
    if (code === 4409) showInfo("The world was opened in another window.");
    exit();
  });
  socket.on("error", showError);
  socket.on("welcome", (frame) => {
    me = frame.character;
    followInList(me);
    here = frame.location.id;
    locations.set(frame.location.id, frame.location);
    nearby = new Map(frame.nearby.filter((c) => c.character_id !== me.id).map((c) => [c.character_id, c]));
    $("#world-reality").textContent = `Reality: ${frame.world.current_reality}`;
    $("#world-panel").hidden = false;
    refreshLocations().catch(showError);
    renderLocation();
  });
  socket.on("nearby", (frame) => {
    nearby = new Map(frame.characters.filter((c) => c.character_id !== me?.id).map((c) => [c.character_id, c]));
    renderNearby();
  });
  socket.on("player_joined_area", (frame) => {
    nearby.set(frame.character.character_id, frame.character);
    renderNearby();
  });
  socket.on("player_left_area", (frame) => {
    nearby.delete(frame.character_id);
    renderNearby();
  });
  socket.on("location_update", (frame) => {
    if (frame.character_id === me?.id) {
      here = frame.to_location_id;
      logLine(`You travel to ${locations.get(here)?.name || here}.`);
      refreshLocations().catch(showError);
      renderLocation();
    }
  });
  socket.on("character_update", (frame) => {
    me = frame.character;
    followInList(me);
    renderLocation();
  });
  socket.on("chat", (frame) => chatLine(`[${frame.channel}] ${frame.sender.name}`, frame.message, frame.created_at));
  socket.on("whisper", (frame) => chatLine(`[whisper] ${frame.from.name} → ${frame.to.name}`, frame.message, frame.created_at));
  socket.on("world_announcement", (frame) => chatLine("[announcement]", frame.message, frame.created_at));
  socket.on("reality_shift", (frame) => {
    $("#world-reality").textContent = `Reality: ${frame.reality}`;
    logLine(`Reality shifts: ${frame.reality}.`);
  });
  socket.on("aetherfall", (frame) => logLine(`Aetherfall at ${locations.get(frame.location_id)?.name || frame.location_id}!`));
  socket.on("shard_captured", (frame) => logLine(`${frame.shard?.name || "A shard"} was captured by ${frame.faction?.name || frame.faction}.`));
  socket.on("combat_start", (frame) => {
    if (isMine(frame.combat)) combat = frame.combat;
    logLine(`A fight starts: ${fighterNames(frame.combat)}.`);
    renderLocation();
  });
  socket.on("combat_damage", (frame) => {
    const source = fighterName(frame.source_kind, frame.source_id);
    const target = fighterName(frame.target_kind, frame.target_id);
    logLine(`${hits(source, target)} for ${frame.amount} (${frame.target_health} hp left).`);
    const enemy = frame.target_kind === "enemy" && locations.get(here)?.enemies.find((e) => e.id === frame.target_id);
    if (enemy) enemy.health = frame.target_health;
    if (frame.target_kind !== "enemy" && frame.target_id === me?.id) {
      me.health = frame.target_health;
      followInList(me);
    }
    renderLocation();
  });
  socket.on("combat_heal", (frame) => {
    logLine(`${heals(fighterName("character", frame.target_id))} ${frame.amount} (${frame.target_health} hp).`);
    if (frame.target_id === me?.id) {
      me.health = frame.target_health;
      followInList(me);
      renderLocation();
    }
  });
  socket.on("combat_end", (frame) => {
    const [kind, id] = String(frame.winner || "").split(":");
    const winner = frame.winner ? fighterName(kind, Number(id)) : null;
    const won = winner ? `${winner} ${winner === "You" ? "win" : "wins"}` : "nobody wins";
    const why = combatEnd(frame.reason);
    const spoils = loot(frame.loot);
    logLine(`The fight ends: ${won}${why ? ` (${why})` : ""}${spoils ? `, with ${spoils}` : ""}.`);
    if (combat?.id === frame.combat_id) combat = null;
    refreshLocations().catch(showError);
    refreshCharacters().catch(showError); // xp, level, a respawn at home
  });
}

function exit() {
  socket?.close();
  socket = null;
  combat = null;
  $("#world-enter").hidden = false;
  $("#world-exit").hidden = true;
  $("#world-panel").hidden = true;
}

function fighterName(kind, id) {
  if (kind === "enemy") {
    if (combat?.enemy?.id === id) return combat.enemy.name;
    return locations.get(here)?.enemies.find((e) => e.id === id)?.name || "the enemy";
  }
  if (id === me?.id) return "You";
  for (const fighter of [combat?.attacker, combat?.defender]) if (fighter?.character_id === id) return fighter.name;
  return nearby.get(id)?.name || `character ${id}`;
}

function isMine(c) {
  return c.attacker?.character_id === me?.id || c.defender?.character_id === me?.id;
}

function fighterNames(c) {
  return [c.attacker?.name, c.defender?.name, c.enemy?.name].filter(Boolean).join(" vs ");
}

function renderLocation() {
  const location = locations.get(here);
  if (!location || !me) return;
  $("#world-location").textContent = `${me.name} (${me.faction}, level ${me.level}, ${me.health}/${me.max_health} hp) at ${location.name}${location.contested ? " · contested" : ""}`;
  fill(
    $("#world-map"),
    [...locations.values()].map((l) => {
      const isHere = l.id === here;
      const reachable = location.neighbours.includes(l.id);
      return el(
        "li",
        { class: isHere ? "here" : reachable ? "near" : "", dataset: { locationId: l.id } },
        el("strong", {}, l.name),
        l.contested ? el("span", { class: "tag" }, "contested") : null,
        l.shard_id ? el("span", { class: "tag" }, "shard") : null,
        el("span", { class: "muted" }, ` → ${l.neighbours.map((id) => locations.get(id)?.name || id).join(", ")} `),
        isHere ? el("span", { class: "tag" }, "you are here") : null,
        reachable ? button("Travel", () => socket?.send("move", { to_location_id: l.id }), { class: "small" }) : null,
        isHere && l.shard_id ? button("Capture shard", () => socket?.send("shard_capture", { shard_id: l.shard_id }), { class: "small" }) : null,
      );
    }),
  );
  fill(
    $("#world-enemies"),
    location.enemies.length
      ? location.enemies.map((enemy) =>
          el(
            "li",
            {},
            `${enemy.name} lv ${enemy.level} · ${enemy.health}/${enemy.max_health} hp `,
            button("Fight", () => socket?.send("combat_start", { target: { kind: "enemy", id: enemy.id } }), { class: "small" }),
            combat?.enemy?.id === enemy.id
              ? button("Attack", () => socket?.send("combat_action", { combat_id: combat.id, action_type: "attack", target_id: enemy.id }), { class: "small" })
              : null,
          ),
        )
      : [el("li", { class: "muted" }, "No enemies here.")],
  );
  renderNearby();
}

function renderNearby() {
  const location = locations.get(here);
  fill(
    $("#world-nearby"),
    nearby.size
      ? [...nearby.values()].map((c) =>
          el(
            "li",
            { dataset: { characterId: c.character_id } },
            `${c.name} · ${c.faction} · level ${c.level} `,
            button("Whisper", () => whisper(c), { class: "small" }),
            location?.contested && c.faction !== me?.faction
              ? button("Challenge", () => socket?.send("combat_start", { target: { kind: "character", id: c.character_id } }), { class: "small" })
              : null,
          ),
        )
      : [el("li", { class: "muted" }, "Nobody else here.")],
  );
}

function whisper(character) {
  const message = window.prompt(`Whisper to ${character.name}:`);
  if (message) socket?.send("whisper", { to: character.name, message });
}

function chatLine(who, message, at) {
  const list = $("#world-chat");
  list.append(el("li", {}, el("span", { class: "time" }, time(at)), el("strong", {}, who), ": ", el("span", { class: "content" }, message)));
  list.scrollTop = list.scrollHeight;
}

function logLine(text) {
  $("#world-log").prepend(el("li", {}, el("span", { class: "time" }, time(new Date().toISOString())), text));
}
