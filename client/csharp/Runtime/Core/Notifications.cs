using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Newtonsoft.Json.Linq;

namespace GamePlatform
{
    /// <summary>
    /// The per-user socket (<c>/ws/notifications/</c>): friends, invites, <c>match_found</c>,
    /// <c>liveops_changed</c>, <c>sanction</c>... What a drop lost is caught up when it comes back,
    /// marked <c>replayed: true</c>: the persisted <c>notification</c> frames (the unread ones newer
    /// than the last one heard, from <c>GET /api/notifications/</c>) and, while I am queued, a
    /// <c>match_found</c> (from the queue's status). <see cref="On"/> reports each match once, live or
    /// replayed. <see cref="FindMatchAsync"/> never loses a match: the socket is open before the queue
    /// is joined, and while no match comes the queue's status is asked every 3 s.
    /// </summary>
    public class Notifications
    {
        static readonly TimeSpan QueueCheck = TimeSpan.FromSeconds(3);

        readonly Client client;
        readonly object gate = new object();
        readonly HashSet<long> reported = new HashSet<long>();
        readonly List<Action<JObject>> matchHandlers = new List<Action<JObject>>();
        readonly HashSet<long> heardLive = new HashSet<long>();
        long? lastNotificationId;

        internal Notifications(Client client)
        {
            this.client = client;
            Socket = client.Socket("/ws/notifications/");
            Socket.On("match_found", Report);
            Socket.On("notification", frame =>
            {
                var id = frame["id"];
                if (id != null && id.Type == JTokenType.Integer && frame["replayed"] == null)
                {
                    lock (gate)
                    {
                        heardLive.Add((long)id);
                        lastNotificationId = Math.Max(lastNotificationId ?? 0, (long)id);
                    }
                }
            });
            Socket.ClosedWith += reason =>
            {
                lock (gate)
                {
                    heardLive.Clear();
                }
            };
            var opens = 0;
            Socket.Opened += () =>
            {
                var first = Interlocked.Increment(ref opens) == 1;
                Task.Run(() => CatchUpAsync(first));
            };
        }

        public Socket Socket { get; private set; }

        /// <summary>The id of the newest persisted notification heard or caught up (null before the socket first opened).</summary>
        public long? LastNotificationId
        {
            get { lock (gate) { return lastNotificationId; } }
        }

        /// <summary>
        /// Calls <paramref name="handler"/> with every frame of <paramref name="type"/>; for
        /// <c>match_found</c>, once per game, whether it came live or was caught up after a drop.
        /// Dispose the answer to stop.
        /// </summary>
        public IDisposable On(string type, Action<JObject> handler)
        {
            if (type != "match_found")
            {
                return Socket.On(type, handler);
            }
            lock (gate)
            {
                matchHandlers.Add(handler);
            }
            return new Unsubscribe(() =>
            {
                lock (gate)
                {
                    matchHandlers.Remove(handler);
                }
            });
        }

        void Report(JObject frame)
        {
            var id = frame["game_id"];
            if (id == null || id.Type != JTokenType.Integer)
            {
                return;
            }
            List<Action<JObject>> called;
            lock (gate)
            {
                if (!reported.Add((long)id))
                {
                    return;
                }
                called = new List<Action<JObject>>(matchHandlers);
            }
            client.Matchmaking.QueuedMode = null;
            foreach (var handler in called)
            {
                handler(frame);
            }
        }

        /// <summary>A match learnt another way (the queue's answer): not reported again if its frame comes.</summary>
        void Known(long gameId)
        {
            lock (gate)
            {
                reported.Add(gameId);
            }
            client.Matchmaking.QueuedMode = null;
        }

        /// <summary>After an open: where the persisted notifications stand (the first time), or what the gap lost.</summary>
        async Task CatchUpAsync(bool first)
        {
            try
            {
                if (first)
                {
                    if (LastNotificationId == null)
                    {
                        var newest = await client.ListAsync("/api/notifications/", new Dictionary<string, string> { { "page_size", "1" } }).ConfigureAwait(false);
                        lock (gate)
                        {
                            lastNotificationId = Math.Max(lastNotificationId ?? 0, newest.Count > 0 ? (long)newest[0]["id"] : 0);
                        }
                    }
                    return;
                }
                var unread = await client.ListAsync("/api/notifications/", new Dictionary<string, string> { { "unread", "1" }, { "page_size", "200" } }).ConfigureAwait(false);
                foreach (var item in unread.OfType<JObject>().Where(n => n["id"] != null && n["id"].Type == JTokenType.Integer).OrderBy(n => (long)n["id"]))
                {
                    var id = (long)item["id"];
                    lock (gate)
                    {
                        if (id <= (lastNotificationId ?? 0) || heardLive.Contains(id))
                        {
                            continue;
                        }
                        lastNotificationId = id;
                    }
                    var frame = (JObject)item.DeepClone();
                    frame.AddFirst(new JProperty("type", "notification"));
                    Socket.Replay(frame);
                }
                if (client.Matchmaking.QueuedMode != null)
                {
                    var status = await client.Matchmaking.StatusAsync().ConfigureAwait(false);
                    var gameId = status["game_id"];
                    if ((string)status["status"] == "matched" && gameId != null && gameId.Type == JTokenType.Integer)
                    {
                        Socket.Replay(new JObject { { "type", "match_found" }, { "game_id", gameId } });
                    }
                }
            }
            catch (GamePlatformException)
            {
                // The next open tries again; FindMatchAsync asks the queue by itself.
            }
        }

        /// <summary>Queues for <paramref name="mode"/> and answers the game id of my match.</summary>
        public async Task<long> FindMatchAsync(string mode = "tictactoe", TimeSpan? timeout = null)
        {
            var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(60));
            var found = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
            using (On("match_found", frame => found.TrySetResult((long)frame["game_id"])))
            {
                if (!Socket.IsOpen)
                {
                    var opened = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
                    Action open = () => opened.TrySetResult(true);
                    Socket.Opened += open;
                    try
                    {
                        if (!Socket.IsOpen)
                        {
                            await Task.WhenAny(opened.Task, Task.Delay(client.Options.RequestTimeout)).ConfigureAwait(false);
                        }
                    }
                    finally
                    {
                        Socket.Opened -= open;
                    }
                }
                var answer = await client.Matchmaking.JoinAsync(mode).ConfigureAwait(false);
                if ((string)answer["status"] == "matched")
                {
                    Known((long)answer["game_id"]);
                    return (long)answer["game_id"];
                }
                while (true)
                {
                    var left = deadline - DateTime.UtcNow;
                    if (left <= TimeSpan.Zero)
                    {
                        try
                        {
                            await client.Matchmaking.LeaveAsync().ConfigureAwait(false);
                        }
                        catch (GamePlatformException)
                        {
                        }
                        throw new GamePlatformException(0, "timeout", "no match for " + mode + " in time");
                    }
                    await Task.WhenAny(found.Task, Task.Delay(left < QueueCheck ? left : QueueCheck)).ConfigureAwait(false);
                    if (found.Task.IsCompleted)
                    {
                        return found.Task.Result;
                    }
                    var status = await client.Matchmaking.StatusAsync().ConfigureAwait(false);
                    if ((string)status["status"] == "matched" && status["game_id"] != null && status["game_id"].Type == JTokenType.Integer)
                    {
                        Known((long)status["game_id"]);
                        return (long)status["game_id"];
                    }
                    if ((string)status["status"] == "idle")
                    {
                        answer = await client.Matchmaking.JoinAsync(mode).ConfigureAwait(false); // the queue lost me: again
                        if ((string)answer["status"] == "matched")
                        {
                            Known((long)answer["game_id"]);
                            return (long)answer["game_id"];
                        }
                    }
                }
            }
        }
    
        sealed class Unsubscribe : IDisposable
        {
            Action action;

            public Unsubscribe(Action action)
            {
                this.action = action;
            }

            public void Dispose()
            {
                var once = Interlocked.Exchange(ref action, null);
                if (once != null)
                {
                    once();
                }
            }
        }
    }
}
