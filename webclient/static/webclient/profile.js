// The player: stats, profile, inventory, pets, the shop, and cooperative battles (with their socket).

import { $, button, el, fill, onSubmit, showError, showInfo } from "./ui.js";

let app;
let battle = null; // {id, socket}

export function setup(theApp) {
  app = theApp;
  onSubmit($("#allocate-form"), async ({ stat }) => {
    await app.gp.post("/api/player/allocate-stats/", { [stat]: 1 });
    await refreshPlayer();
  });
  onSubmit($("#profile-form"), async ({ display_name }) => {
    app.me = await app.gp.patch("/api/me/", { display_name });
    showInfo("Profile saved.");
  });
  onSubmit($("#link-form"), async ({ username, email, password, password_confirm }) => {
    if (password !== password_confirm) {
      showError(new Error("The two passwords differ."));
      return;
    }
    const { user } = await app.gp.linkAccount({ username: username.trim(), email, password });
    app.me = user;
    document.body.dataset.user = user.username;
    app.showWhoami();
    $("#link-form").reset();
    $("#link-form").hidden = true;
    showInfo(`Your account is saved: log in as ${user.username} with your password from now on.`);
  });
  // Deleting the account (POST /api/me/delete/): after the grace; cancelled meanwhile.
  onSubmit($("#delete-account-form"), async ({ password }) => {
    if (!window.confirm("Delete your account and everything in it?")) return;
    await app.gp.post("/api/me/delete/", app.me.is_guest ? {} : { password });
    app.me = await app.gp.get("/api/me/");
    $("#delete-account-form").reset();
    showDeletion();
  });
  $("#delete-cancel").addEventListener("click", async () => {
    try {
      app.me = await app.gp.post("/api/me/delete/cancel/");
      showDeletion();
      showInfo("Your account is kept.");
    } catch (error) {
      showError(error);
    }
  });
  $("#stamina-regen").addEventListener("click", async () => {
    try {
      await app.gp.post("/api/player/regenerate-stamina/");
      await refreshPlayer();
    } catch (error) {
      showError(error);
    }
  });
  $("#battle-attack").addEventListener("click", () => attack().catch(showError));
  $("#battle-loot").addEventListener("click", () => claimLoot().catch(showError));
  onSubmit($("#battle-chat-form"), async ({ message }) => {
    if (battle?.socket.send("chat", { message })) $("#battle-chat-form").reset();
  });
}

export async function show() {
  $("#profile-form").elements.display_name.value = app.me.display_name || "";
  $("#link-form").hidden = !app.me.is_guest;
  showDeletion();
  await Promise.all([refreshPlayer(), refreshInventory(), refreshPets(), refreshShop(), refreshBattles()]);
}

function showDeletion() {
  const pending = Boolean(app.me.delete_at);
  $("#delete-account-form").hidden = pending;
  $("#delete-account-form").elements.password.hidden = app.me.is_guest;
  $("#delete-pending").hidden = !pending;
  if (pending) $("#delete-pending time").textContent = new Date(app.me.delete_at).toLocaleString();
}

async function refreshPlayer() {
  const p = await app.gp.get("/api/player/me/");
  const rows = [
    ["Level", `${p.level} (${p.xp}/${p.xp_to_next_level} xp)`],
    ["Gold", p.gold],
    ["Gems", p.gems],
    ["Stamina", `${p.stamina}/${p.max_stamina}`],
    ["Power", p.power],
    ...Object.entries(p.stats).map(([stat, value]) => [stat, value]),
    ["Stat points", p.stat_points],
  ];
  fill($("#player-stats"), rows.flatMap(([k, v]) => [el("dt", {}, k), el("dd", { dataset: { stat: k.toLowerCase() } }, String(v))]));
  $("#allocate-form").hidden = !(p.stat_points > 0);
}

async function refreshInventory() {
  const items = await app.gp.all("/api/inventory/");
  fill(
    $("#inventory-list"),
    items.length
      ? items.map((entry) =>
          el(
            "li",
            { dataset: { inventoryId: entry.id } },
            el("span", { class: `rarity ${entry.item.rarity}` }, entry.item.name),
            ` ×${entry.quantity} · ${entry.item.slot} `,
            entry.equipped
              ? button("Unequip", () => app.gp.post(`/api/inventory/unequip/${entry.item.slot}/`).then(afterChange), { class: "small" })
              : button("Equip", () => app.gp.post(`/api/inventory/equip/${entry.id}/`).then(afterChange), { class: "small" }),
            entry.equipped ? el("span", { class: "tag" }, "equipped") : null,
          ),
        )
      : [el("li", { class: "muted" }, "Empty: visit the shop.")],
  );
}

async function afterChange() {
  await Promise.all([refreshPlayer(), refreshInventory(), refreshPets()]);
}

async function refreshPets() {
  const page = await app.gp.get("/api/pets/");
  const pets = page.results.map((pet) =>
    el(
      "li",
      { dataset: { petId: pet.id } },
      el("span", { class: `rarity ${pet.species.rarity}` }, pet.species.name),
      ` level ${pet.level} · power ${pet.power} `,
      button("Feed", () => app.gp.post(`/api/pets/feed/${pet.id}/`).then(afterChange), { class: "small" }),
      pet.equipped
        ? button("Unequip", () => app.gp.post(`/api/pets/unequip/${pet.id}/`).then(afterChange), { class: "small" })
        : button("Equip", () => app.gp.post(`/api/pets/equip/${pet.id}/`).then(afterChange), { class: "small" }),
    ),
  );
  const eggs = (page.eggs || []).map((egg) =>
    el(
      "li",
      { dataset: { eggId: egg.id } },
      `${egg.species.name} egg `,
      button("Hatch", () => app.gp.post(`/api/pets/hatch/${egg.id}/`).then(afterChange), { class: "small" }),
    ),
  );
  fill($("#pet-list"), pets.length || eggs.length ? [...pets, ...eggs] : [el("li", { class: "muted" }, "No pets.")]);
}

async function refreshShop() {
  const offers = await app.gp.all("/api/shop/items/");
  fill(
    $("#shop-list"),
    offers.map((offer) => {
      const thing = offer.item || offer.egg || {};
      const gems = offer.price_gems ? `${offer.price_gems} gems${offer.real_price ? ` (${money(offer.real_price)})` : ""}` : null;
      const price = [offer.price_gold ? `${offer.price_gold} gold` : null, gems].filter(Boolean).join(" / ");
      const kind = offer.item ? offer.item.slot : offer.kind === "box" ? "random box" : "egg";
      const gemOffer = offer.gem_offer
        ? el(
            "div",
            { class: "muted gem-offer" },
            `You need ${offer.gem_offer.missing} more gems: ${offer.gem_offer.packs_needed} × ${offer.gem_offer.product_id} ` +
              `(${money(offer.gem_offer.price)}) leaves ${offer.gem_offer.leftover} gems over.`,
          )
        : null;
      const odds = offer.odds
        ? el("ul", { class: "odds" }, ...offer.odds.map((o) => el("li", {}, `${o.outcome}: ${(o.probability * 100).toFixed(2)} %`)))
        : null;
      return el(
        "li",
        { dataset: { shopItemId: offer.id } },
        el("span", { class: `rarity ${thing.rarity || offer.item?.rarity || ""}` }, offer.name || thing.name),
        el("span", { class: "muted" }, ` ${kind} · ${price}${offer.stock !== null && offer.stock !== undefined ? ` · ${offer.stock} left` : ""} `),
        button("Buy", () => buy(offer), { class: "small" }),
        ...[gemOffer, odds].filter(Boolean),
      );
    }),
  );
}

function money({ amount, currency }) {
  try {
    return new Intl.NumberFormat(undefined, { style: "currency", currency: currency.toUpperCase() }).format(amount / 100);
  } catch {
    return `${(amount / 100).toFixed(2)} ${currency.toUpperCase()}`;
  }
}

async function buy(offer) {
  const key = crypto.randomUUID ? crypto.randomUUID() : `${Date.now()}-${Math.random()}`;
  const body = await app.gp.post("/api/shop/purchase/", { shop_item_id: offer.id, quantity: 1 }, { headers: { "Idempotency-Key": key } });
  const drawn = body.purchase.outcomes?.length ? ` You got ${body.purchase.outcomes.join(", ")}.` : "";
  showInfo(`Bought ${offer.name || "it"}: ${body.gold} gold, ${body.gems} gems left.${drawn}`);
  await Promise.all([afterChange(), refreshShop()]);
}

// --- battles ---------------------------------------------------------------------------

async function refreshBattles() {
  const battles = await app.gp.all("/api/battles/available/");
  fill(
    $("#battle-list"),
    battles.map((b) => {
      const joined = b.participants.some((p) => (p.user_id ?? p.user?.id ?? p.id) === app.me.id);
      return el(
        "li",
        { dataset: { battleId: b.id } },
        el("strong", {}, b.enemy.name),
        ` lv ${b.enemy.level} · ${b.hp}/${b.max_hp} hp · ${b.stamina_cost} stamina · ${b.participant_count} fighting `,
        joined ? button("Open", () => openBattle(b), { class: "small" }) : button("Join", () => joinBattle(b), { class: "small" }),
      );
    }),
  );
}

async function joinBattle(b) {
  await app.gp.post(`/api/battles/join/${b.id}/`);
  await Promise.all([refreshPlayer(), refreshBattles()]);
  openBattle(b);
}

function openBattle(b) {
  battle?.socket.close();
  const socket = app.gp.socket(`/ws/battle/${b.id}/`);
  battle = { id: b.id, socket, maxHp: b.max_hp };
  $("#battle-panel").hidden = false;
  $("#battle-title").textContent = `Battle: ${b.enemy.name}`;
  $("#battle-hp").textContent = `${b.hp}/${b.max_hp} hp`;
  $("#battle-loot").hidden = b.status !== "defeated";
  $("#battle-log").replaceChildren();
  const line = (text) => $("#battle-log").prepend(el("li", {}, text));
  socket.on("connected", (frame) => {
    const state = frame.battle;
    $("#battle-hp").textContent = `${state.hp}/${state.max_hp} hp`;
    $("#battle-loot").hidden = state.status !== "defeated";
  });
  socket.on("attack", (frame) => {
    $("#battle-hp").textContent = `${frame.enemy_hp}/${b.max_hp} hp`;
    line(`${frame.user_id === app.me.id ? "You" : `player ${frame.user_id}`} hit for ${frame.damage}.`);
  });
  socket.on("enemy_defeated", (frame) => {
    line(`${frame.enemy} is defeated! ${frame.xp} xp.`);
    $("#battle-loot").hidden = false;
  });
  socket.on("participant_joined", (frame) => line(`${frame.username} joined the battle.`));
  socket.on("chat", (frame) => line(`${frame.username}: ${frame.message}`));
  socket.on("error", showError);
}

async function attack() {
  if (!battle) return;
  const body = await app.gp.post(`/api/battles/attack/${battle.id}/`);
  $("#battle-hp").textContent = `${body.enemy_hp}/${battle.maxHp} hp`;
  if (body.defeated) $("#battle-loot").hidden = false;
}

async function claimLoot() {
  const body = await app.gp.post(`/api/battles/claim-loot/${battle.id}/`);
  const loot = (body.loot || []).map((line) => `${line.amount} ${line.name || line.kind}`);
  showInfo(`Loot claimed: ${[...loot, `${body.gold} gold in total`].join(", ")}.`);
  await afterChange();
}
