// The server's codes in words a player reads: every place the client would print a code (a game's
// outcome, an error, a fight in the world, a notification) asks here. A code missing from a table
// still reads as words ("not_your_turn" -> "not your turn"), never as the raw code.

/** Why a game ended (``reason`` of game_state and game_over), from the player's side. */
const OUTCOMES = {
  win: { won: "You won!", lost: "You lost.", other: (who) => `${who} won.` },
  // A forfeit is a player giving up, leaving past the grace period or running out of time.
  forfeit: { won: "You won by forfeit.", lost: "You lost by forfeit.", other: (who) => `${who} won by forfeit.` },
  timeout: { won: "You won: your opponent ran out of time.", lost: "You lost: you ran out of time.", other: (who) => `${who} won on time.` },
  abandoned: { won: "The game was abandoned.", lost: "The game was abandoned.", other: () => "The game was abandoned." },
  draw: { won: "Draw.", lost: "Draw.", other: () => "Draw." },
};

/** Error codes whose server message is not for players (a game's refusals, a socket's frames).
 * Other codes show the server's own message (``detail``), which is already a sentence. */
const ERRORS = {
  not_your_turn: "Not your turn.",
  already_fired: "Already fired there.",
  illegal_move: "That move is not allowed.",
  illegal_action: "That is not allowed here.",
  game_not_active: "The game has not started yet.",
  game_started: "The game has already started.",
  game_over: "The game is over.",
  forfeited: "You have left this game.",
  not_a_player: "You are not playing in this game.",
  not_supported: "This game does not take that.",
  rate_limited: "Slow down a little.",
  unknown_type: "The server does not know that request.",
  unavailable: "The server is busy; try again in a moment.",
};

/** Kinds of persisted notifications (``notification.kind``). */
const NOTIFICATIONS = {
  friend_request: "Friend request",
  friend_accepted: "Friend request accepted",
  invite_received: "Invite",
  dm_received: "New message",
  tournament_ended: "Tournament over",
};

/** Why a fight in the world ended (``combat_end.reason``). */
const COMBAT_ENDS = {
  victory: "",
  defeated: "defeated",
  target_defeated: "the target fell",
  target_gone: "the target left",
  moved: "someone left the area",
  disconnected: "someone left the world",
};

/** A lobby's ``status``. */
const LOBBY_STATUSES = { open: "open", in_game: "in a game", closed: "closed" };

/** Close codes of the sockets (the contract's 44xx), when the connection is not coming back. */
const CLOSES = {
  4400: "The server refused this connection.",
  4401: "Disconnected: please log in again.",
  4403: "Disconnected: you may not join this.",
  4404: "Disconnected: it no longer exists.",
  4409: "This was opened in another window.",
  1013: "The server is busy; try again in a moment.",
};

/** ``not_your_turn`` -> "not your turn": the last resort, still words. */
export function plain(code) {
  return String(code ?? "").replaceAll("_", " ");
}

/** A game's end in one sentence; ``winner`` is the winner's name or null, ``mine`` whether I won. */
export function outcome(reason, { mine = false, winner = null, spectator = false } = {}) {
  const words = OUTCOMES[reason];
  if (!words) return mine ? "You won!" : winner ? `${winner} won.` : `Game over (${plain(reason)}).`;
  if (spectator && winner) return words.other(winner);
  return mine ? words.won : words.lost;
}

/** A short "how it ended" for lists: "ann won", "draw", "abandoned", "ann won by forfeit". */
export function outcomeShort(reason, winner) {
  if (reason === "draw" || reason === "abandoned") return reason;
  if (!winner) return plain(reason) || "finished";
  return OUTCOMES[reason] ? OUTCOMES[reason].other(winner).replace(/\.$/, "") : `${winner} won`;
}

/** An error (``ApiError``, a socket's error frame) in words: never its bare code. */
export function errorText({ code, detail } = {}) {
  return ERRORS[code] || (detail && detail !== code ? detail : "") || `${plain(code) || "error"}.`.replace(/^./, (c) => c.toUpperCase());
}

export function closeText(code) {
  return CLOSES[code] || "Disconnected.";
}

export function lobbyStatus(status) {
  return LOBBY_STATUSES[status] || plain(status);
}

export function notificationTitle(kind) {
  return NOTIFICATIONS[kind] || plain(kind);
}

export function combatEnd(reason) {
  return COMBAT_ENDS[reason] ?? plain(reason);
}

/** ``{"gold": 10, "xp": 10}`` -> "10 gold and 10 XP". */
export function loot(bundle) {
  const parts = Object.entries(bundle || {})
    .filter(([, amount]) => amount)
    .map(([kind, amount]) => `${amount} ${kind === "xp" ? "XP" : plain(kind)}`);
  if (parts.length < 2) return parts.join("");
  return `${parts.slice(0, -1).join(", ")} and ${parts.at(-1)}`;
}

/** "You hit Ash Wolf", "Ash Wolf hits you", "Aria hits Borin": the verb agrees with its subject. */
export function hits(source, target) {
  const object = target === "You" ? "you" : target;
  return source === "You" ? `You hit ${object}` : `${source} hits ${object}`;
}

/** "You heal 5", "Aria heals 5". */
export function heals(who) {
  return who === "You" ? "You heal" : `${who} heals`;
}
