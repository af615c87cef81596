using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using Newtonsoft.Json.Linq;

namespace GamePlatform
{
    /// <summary>
    /// A game's socket (<c>/ws/game/{id}/</c>) kept as a room: the latest <c>game_state</c>
    /// (<see cref="State"/>), my <see cref="View"/> kept current by the <c>state_patch</c> frames
    /// since, and the calls that play. <see cref="ReadyAsync"/>, <see cref="MoveAsync"/>,
    /// <see cref="ActionAsync"/> and <see cref="ForfeitAsync"/> carry a fresh <c>ref</c> and wait for
    /// its <c>ack</c>, never longer than their timeout (a <c>timeout</c> error); a frame whose
    /// connection closed before its answer is sent again, same <c>ref</c>, marked <c>resent</c>, once
    /// the new connection has its <c>game_state</c> (a frame the server took already is answered
    /// <c>ack</c> <c>duplicate</c>, not played twice); <c>unavailable</c> is tried again after its
    /// <c>retry_after</c> while the call's time allows.
    /// </summary>
    public class GameRoom : IDisposable
    {
        static int rooms;

        readonly Client client;
        readonly object gate = new object();
        readonly string refPrefix;
        int refs;
        bool hasState;
        TaskCompletionSource<bool> sendable = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        TaskCompletionSource<bool> dropped = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);

        internal GameRoom(Client client, long gameId)
        {
            this.client = client;
            GameId = gameId;
            refPrefix = "cs" + Interlocked.Increment(ref rooms) + "-" + Guid.NewGuid().ToString("N").Substring(0, 8) + "-";
            Socket = client.Socket("/ws/game/" + gameId + "/");
            Socket.On("game_state", OnState);
            Socket.On("state_patch", OnPatch);
            Socket.Opened += () =>
            {
                lock (gate)
                {
                    hasState = false; // patches before this connection's game_state follow a view we may not have
                }
            };
            Socket.ClosedWith += reason =>
            {
                lock (gate)
                {
                    hasState = false;
                    if (sendable.Task.IsCompleted)
                    {
                        sendable = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
                    }
                    dropped.TrySetResult(true);
                    dropped = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
                }
            };
        }

        public long GameId { get; private set; }

        public Socket Socket { get; private set; }

        /// <summary>The latest <c>game_state</c>, its <c>view</c> and <c>tick</c> kept current by patches (null before the first).</summary>
        public JObject State { get; private set; }

        /// <summary>What this player may see (the mode's view).</summary>
        public JToken View
        {
            get { var state = State; return state == null ? null : state["view"]; }
        }

        /// <summary>The game's phase: <c>waiting_for_players</c>, <c>active</c>, <c>finished</c>...</summary>
        public string Phase
        {
            get { var state = State; return state == null ? null : (string)state["state"]; }
        }

        /// <summary>True when the turn is mine (turn-based modes).</summary>
        public bool MyTurn
        {
            get
            {
                var state = State;
                var turn = state == null ? null : state["turn"];
                return turn != null && turn.Type == JTokenType.Integer && (long)turn == client.UserId;
            }
        }

        /// <summary>After every change of the view (a <c>game_state</c> or a patch), with the room.</summary>
        public event Action<GameRoom> Changed;

        /// <summary>Calls <paramref name="handler"/> with every frame of <paramref name="type"/> (<c>game_over</c>, <c>game_event</c>...).</summary>
        public IDisposable On(string type, Action<JObject> handler)
        {
            return Socket.On(type, handler);
        }

        void OnState(JObject frame)
        {
            lock (gate)
            {
                State = frame;
                hasState = true;
                sendable.TrySetResult(true);
            }
            Fire();
        }

        void OnPatch(JObject frame)
        {
            lock (gate)
            {
                if (!hasState || State == null)
                {
                    return;
                }
                var next = (JObject)State.DeepClone();
                try
                {
                    next["view"] = JsonPatch.Apply(next["view"], (JArray)frame["ops"]);
                }
                catch (PatchException)
                {
                    return; // a view we did not have: the next game_state replaces it
                }
                foreach (var key in new[] { "tick", "turn", "turn_deadline", "timers" })
                {
                    if (frame[key] != null)
                    {
                        next[key] = frame[key];
                    }
                }
                State = next;
            }
            Fire();
        }

        void Fire()
        {
            var changed = Changed;
            if (changed != null)
            {
                changed(this);
            }
        }

        /// <summary>Waits until <paramref name="until"/> holds for the room (checked now and after every change).</summary>
        public async Task UntilAsync(Func<GameRoom, bool> until, TimeSpan? timeout = null)
        {
            var met = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
            Action<GameRoom> check = room =>
            {
                if (room.State != null && until(room))
                {
                    met.TrySetResult(true);
                }
            };
            Changed += check;
            try
            {
                check(this);
                var wait = timeout ?? TimeSpan.FromSeconds(30);
                if (await Task.WhenAny(met.Task, Task.Delay(wait)).ConfigureAwait(false) != met.Task)
                {
                    throw new GamePlatformException(0, "timeout", "game " + GameId + ": the awaited state did not come within " + wait.TotalSeconds + " s");
                }
            }
            finally
            {
                Changed -= check;
            }
        }

        /// <summary>I am ready: when every player is, the game starts.</summary>
        public Task<JObject> ReadyAsync(TimeSpan? timeout = null)
        {
            return TakenAsync(new JObject { { "type", "player_ready" } }, timeout);
        }

        /// <summary>A move (<c>player_move {movement}</c>); answers the state once the room took it.</summary>
        public Task<JObject> MoveAsync(JToken movement, TimeSpan? timeout = null)
        {
            return TakenAsync(new JObject { { "type", "player_move" }, { "movement", movement } }, timeout);
        }

        /// <summary>A mode's action (<c>game_action {action, data}</c>).</summary>
        public Task<JObject> ActionAsync(string action, JObject data = null, TimeSpan? timeout = null)
        {
            return TakenAsync(new JObject { { "type", "game_action" }, { "action", action }, { "data", data ?? new JObject() } }, timeout);
        }

        /// <summary>I give up (the mode decides what that means).</summary>
        public Task<JObject> ForfeitAsync(TimeSpan? timeout = null)
        {
            return TakenAsync(new JObject { { "type", "forfeit" } }, timeout);
        }

        /// <summary>A real-time input (<c>input {data}</c>), sent and not waited for: gone with its connection.</summary>
        public void SendInput(JToken data)
        {
            Socket.Send(new JObject { { "type", "input" }, { "data", data } });
        }

        async Task<JObject> TakenAsync(JObject frame, TimeSpan? timeout)
        {
            var wait = timeout ?? client.Options.RequestTimeout;
            var deadline = DateTime.UtcNow + wait;
            var reference = refPrefix + Interlocked.Increment(ref refs);
            var sent = (JObject)frame.DeepClone();
            sent["ref"] = reference;
            Func<GamePlatformException> timedOut = () => new GamePlatformException(
                0, "timeout", "no answer to " + frame["type"] + " on game " + GameId + " within " + wait.TotalSeconds + " s", null, null, reference);
            while (true)
            {
                if (Socket.Closed)
                {
                    throw new GamePlatformException(0, "disconnected", "the game's socket closed: " + Socket.LastClose, null, null, reference);
                }
                Task<bool> canSend, drop;
                lock (gate)
                {
                    canSend = sendable.Task;
                    drop = dropped.Task;
                }
                var left = deadline - DateTime.UtcNow;
                if (left <= TimeSpan.Zero)
                {
                    throw timedOut();
                }
                if (!canSend.IsCompleted)
                {
                    await Task.WhenAny(canSend, Task.Delay(left)).ConfigureAwait(false);
                    continue;
                }
                var answer = new TaskCompletionSource<JObject>(TaskCreationOptions.RunContinuationsAsynchronously);
                Action<JObject> mine = f =>
                {
                    if ((string)f["ref"] == reference)
                    {
                        answer.TrySetResult(f);
                    }
                };
                using (Socket.On("ack", mine))
                using (Socket.On("error", mine))
                {
                    if (!await Socket.SendIfOpenAsync(sent).ConfigureAwait(false))
                    {
                        await Task.WhenAny(drop, Task.Delay(TimeSpan.FromMilliseconds(50))).ConfigureAwait(false);
                        continue;
                    }
                    // Any later send is the same frame again: one the server took is answered ``duplicate``.
                    sent["resent"] = true;
                    left = deadline - DateTime.UtcNow;
                    await Task.WhenAny(answer.Task, drop, Task.Delay(left > TimeSpan.Zero ? left : TimeSpan.Zero)).ConfigureAwait(false);
                }
                if (answer.Task.IsCompleted)
                {
                    var got = answer.Task.Result;
                    if ((string)got["type"] == "ack")
                    {
                        return State;
                    }
                    var error = GamePlatformException.FromFrame(got);
                    if (error.Code == "unavailable")
                    {
                        var pause = TimeSpan.FromSeconds(error.RetryAfter ?? 1.0);
                        if (DateTime.UtcNow + pause < deadline)
                        {
                            await Task.Delay(pause).ConfigureAwait(false);
                            continue;
                        }
                    }
                    throw error;
                }
                if (!drop.IsCompleted)
                {
                    throw timedOut();
                }
            }
        }

        /// <summary>Closes the game's socket.</summary>
        public void Dispose()
        {
            Socket.Close();
        }
    }
}
