using System;
using System.Collections.Generic;
using System.IO;
using System.Net.WebSockets;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;

namespace GamePlatform
{
    /// <summary>
    /// One WebSocket that stays connected. Each connection takes a fresh one-time ticket; frames sent
    /// before it opens wait in a queue (at most <see cref="MaxQueued"/>) and go out once it does; a
    /// connection that drops comes back after a backoff with jitter, keeping its handlers; a 4401
    /// refreshes the session first. A close that coming back cannot help (4403, 4404, 4409, 1000, or
    /// <see cref="Close"/>) ends it for good. Handlers run through <see cref="ClientOptions"/>'s
    /// dispatcher on the thread that reads the socket (Unity: <c>MainThreadDispatcher</c>).
    /// </summary>
    public class Socket
    {
        /// <summary>Frames queued while the socket is away; past it the oldest is dropped.</summary>
        public const int MaxQueued = 1000;

        static readonly TimeSpan PingEvery = TimeSpan.FromSeconds(20);

        /// <summary>How long <see cref="CloseAsync"/> waits for its close frame to go and for the server's answer.</summary>
        public static readonly TimeSpan CloseTimeout = TimeSpan.FromSeconds(2);

        readonly Client client;
        readonly object gate = new object();
        readonly Queue<string> queued = new Queue<string>();
        readonly Dictionary<string, List<Action<JObject>>> handlers = new Dictionary<string, List<Action<JObject>>>();
        readonly List<Action<JObject>> anyHandlers = new List<Action<JObject>>();
        readonly SemaphoreSlim sending = new SemaphoreSlim(1, 1);
        readonly CancellationTokenSource stopping = new CancellationTokenSource();
        ClientWebSocket ws;
        GamePlatformException lastError;
        Task running = Task.FromResult(true);

        internal Socket(Client client, string path)
        {
            this.client = client;
            Path = path;
        }

        /// <summary>The socket's path (<c>/ws/game/7/</c>).</summary>
        public string Path { get; private set; }

        /// <summary>True while a connection is open.</summary>
        public bool IsOpen { get; private set; }

        /// <summary>True once it closed for good.</summary>
        public bool Closed { get; private set; }

        /// <summary>How many times a connection opened (the first time included).</summary>
        public int Opens { get; private set; }

        /// <summary>Why the last connection closed (null before the first close).</summary>
        public CloseReason LastClose { get; private set; }

        /// <summary>Every connection's open (the first and each reconnection).</summary>
        public event Action Opened;

        /// <summary>Every close: <see cref="CloseReason.Reconnect"/> says whether it comes back.</summary>
        public event Action<CloseReason> ClosedWith;

        /// <summary>Calls <paramref name="handler"/> with every frame of <paramref name="type"/>; dispose the answer to stop.</summary>
        public IDisposable On(string type, Action<JObject> handler)
        {
            lock (gate)
            {
                List<Action<JObject>> list;
                if (!handlers.TryGetValue(type, out list))
                {
                    handlers[type] = list = new List<Action<JObject>>();
                }
                list.Add(handler);
            }
            return new Unsubscribe(() =>
            {
                lock (gate)
                {
                    handlers[type].Remove(handler);
                }
            });
        }

        /// <summary>Calls <paramref name="handler"/> with every frame.</summary>
        public IDisposable OnAny(Action<JObject> handler)
        {
            lock (gate)
            {
                anyHandlers.Add(handler);
            }
            return new Unsubscribe(() =>
            {
                lock (gate)
                {
                    anyHandlers.Remove(handler);
                }
            });
        }

        /// <summary>The next frame of <paramref name="type"/> that <paramref name="where"/> accepts, or a <c>timeout</c> error.</summary>
        public async Task<JObject> NextAsync(string type, Func<JObject, bool> where = null, TimeSpan? timeout = null)
        {
            var found = new TaskCompletionSource<JObject>(TaskCreationOptions.RunContinuationsAsynchronously);
            using (On(type, frame =>
            {
                if (where == null || where(frame))
                {
                    found.TrySetResult(frame);
                }
            }))
            {
                var wait = timeout ?? client.Options.RequestTimeout;
                if (await Task.WhenAny(found.Task, Task.Delay(wait)).ConfigureAwait(false) != found.Task)
                {
                    throw new GamePlatformException(0, "timeout", "no " + type + " on " + Path + " within " + wait.TotalSeconds + " s");
                }
                return found.Task.Result;
            }
        }

        /// <summary>Sends <paramref name="frame"/> now, or once the socket is open (queued meanwhile).</summary>
        public void Send(JObject frame)
        {
            var text = frame.ToString(Formatting.None);
            lock (gate)
            {
                if (Closed)
                {
                    throw new GamePlatformException(0, "disconnected", Path + " is closed");
                }
                if (!IsOpen)
                {
                    if (queued.Count >= MaxQueued)
                    {
                        queued.Dequeue();
                    }
                    queued.Enqueue(text);
                    return;
                }
            }
            SendNow(ws, text).ContinueWith(t => { }, TaskContinuationOptions.OnlyOnFaulted);
        }

        /// <summary>Sends <paramref name="frame"/> on the connection open now; false (nothing sent) when there is none.</summary>
        internal async Task<bool> SendIfOpenAsync(JObject frame)
        {
            ClientWebSocket current;
            lock (gate)
            {
                current = IsOpen ? ws : null;
            }
            return current != null && await SendNow(current, frame.ToString(Formatting.None)).ConfigureAwait(false);
        }

        async Task<bool> SendNow(ClientWebSocket current, string text)
        {
            await sending.WaitAsync().ConfigureAwait(false);
            try
            {
                if (current.State != WebSocketState.Open)
                {
                    return false;
                }
                var bytes = Encoding.UTF8.GetBytes(text);
                await current.SendAsync(new ArraySegment<byte>(bytes), WebSocketMessageType.Text, true, CancellationToken.None).ConfigureAwait(false);
                return true;
            }
            catch (Exception)
            {
                return false; // the reader sees the drop and reconnects
            }
            finally
            {
                sending.Release();
            }
        }

        /// <summary>
        /// Cuts the connection open now as a network failure does (no close frame): the socket then
        /// comes back like after any drop (for testing a game's handling of it).
        /// </summary>
        public void Drop()
        {
            ClientWebSocket current;
            lock (gate)
            {
                current = IsOpen ? ws : null;
            }
            if (current != null)
            {
                current.Abort();
            }
        }

        /// <summary>
        /// Closes the socket for good (1000); it does not come back. It does not wait: the close frame
        /// goes after any frame being sent (<see cref="CloseAsync"/> tells when it went), and
        /// <see cref="ClosedWith"/> says <see cref="CloseReason.ByClient"/>.
        /// </summary>
        public void Close()
        {
            CloseAsync().ContinueWith(t => { }, TaskContinuationOptions.OnlyOnFaulted);
        }

        /// <summary>
        /// Closes the socket for good (1000): the close frame is sent in turn with the frames being
        /// sent, and the server's answer awaited, each at most <see cref="CloseTimeout"/>; past that
        /// the connection is cut. Completes once the socket is closed.
        /// </summary>
        public async Task CloseAsync()
        {
            ClientWebSocket current;
            lock (gate)
            {
                if (Closed)
                {
                    return;
                }
                Closed = true;
                current = IsOpen ? ws : null;
            }
            client.Forget(this);
            if (current != null)
            {
                var sent = false;
                if (await sending.WaitAsync(CloseTimeout).ConfigureAwait(false))
                {
                    try
                    {
                        using (var timeout = new CancellationTokenSource(CloseTimeout))
                        {
                            if (current.State == WebSocketState.Open)
                            {
                                await current.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "", timeout.Token).ConfigureAwait(false);
                                sent = true;
                            }
                        }
                    }
                    catch (Exception)
                    {
                        // Gone meanwhile, or too slow: cut below.
                    }
                    finally
                    {
                        sending.Release();
                    }
                }
                if (sent)
                {
                    await Task.WhenAny(running, Task.Delay(CloseTimeout)).ConfigureAwait(false); // the server's close answers it
                }
            }
            stopping.Cancel();
            await Task.WhenAny(running, Task.Delay(CloseTimeout)).ConfigureAwait(false);
        }

        internal void Start()
        {
            running = Task.Run(() => Run());
        }

        async Task Run()
        {
            var attempt = 0;
            while (true)
            {
                CloseReason reason;
                try
                {
                    var url = await client.SocketUrlAsync(Path).ConfigureAwait(false);
                    var current = new ClientWebSocket();
                    try
                    {
                        await current.ConnectAsync(url, stopping.Token).ConfigureAwait(false);
                    }
                    catch (Exception)
                    {
                        current.Dispose();
                        throw;
                    }
                    attempt = 0;
                    reason = await Connected(current).ConfigureAwait(false);
                }
                catch (GamePlatformException error)
                {
                    // No ticket: a locked account is as if the server had closed 4403 saying so.
                    reason = error.Status == 403 ? CloseReason.For(4403, error.Detail, false, error)
                        : error.Status == 401 ? CloseReason.For(4401, error.Detail, false, error)
                        : CloseReason.For(1006, error.Detail);
                }
                catch (Exception error)
                {
                    reason = CloseReason.For(1006, error.Message); // or Close() while it connected: below
                }
                lock (gate)
                {
                    if (Closed || stopping.IsCancellationRequested)
                    {
                        reason = CloseReason.For(1000, "", true); // Close(): whatever the server answered
                    }
                }
                if (Finish(reason))
                {
                    return;
                }
                if (reason.Code == 4401)
                {
                    try
                    {
                        await client.RefreshAsync().ConfigureAwait(false);
                    }
                    catch (GamePlatformException error)
                    {
                        // No session to come back with (refused, or the refresh did not get through):
                        // closed for good, and said so.
                        Finish(CloseReason.Final(4401, "the session could not be refreshed: " + error.Detail, error));
                        return;
                    }
                }
                try
                {
                    await Task.Delay(client.Options.Reconnect.Delay(attempt++, client.NextRandom), stopping.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    Finish(CloseReason.For(1000, "", true)); // Close() while it waited to come back
                    return;
                }
            }
        }

        /// <summary>
        /// Records <paramref name="reason"/> and raises <see cref="ClosedWith"/>; true when the socket is
        /// closed for good (a reason that does not come back).
        /// </summary>
        bool Finish(CloseReason reason)
        {
            var forGood = !reason.Reconnect;
            LastClose = reason;
            if (forGood)
            {
                lock (gate)
                {
                    Closed = true;
                }
                client.Forget(this);
            }
            Dispatch(() =>
            {
                var closed = ClosedWith;
                if (closed != null)
                {
                    closed(reason);
                }
            });
            return forGood;
        }

        async Task<CloseReason> Connected(ClientWebSocket current)
        {
            List<string> flush;
            lock (gate)
            {
                if (Closed)
                {
                    current.Dispose(); // closed for good while it connected
                    return CloseReason.For(1000, "", true);
                }
                ws = current;
                IsOpen = true;
                Opens++;
                lastError = null;
                flush = new List<string>(queued);
                queued.Clear();
            }
            for (var i = 0; i < flush.Count; i++)
            {
                if (!await SendNow(current, flush[i]).ConfigureAwait(false))
                {
                    lock (gate)
                    {
                        // The connection went as they were sent: the rest wait for the next one.
                        var rest = flush.GetRange(i, flush.Count - i);
                        rest.AddRange(queued);
                        queued.Clear();
                        foreach (var text in rest)
                        {
                            queued.Enqueue(text);
                        }
                    }
                    break;
                }
            }
            Dispatch(() =>
            {
                var opened = Opened;
                if (opened != null)
                {
                    opened();
                }
            });
            using (var pings = new CancellationTokenSource())
            {
                var pinging = Ping(current, pings.Token);
                try
                {
                    return await Read(current).ConfigureAwait(false);
                }
                finally
                {
                    pings.Cancel();
                    await pinging.ConfigureAwait(false);
                    lock (gate)
                    {
                        IsOpen = false;
                    }
                    current.Dispose();
                }
            }
        }

        async Task Ping(ClientWebSocket current, CancellationToken stop)
        {
            try
            {
                while (true)
                {
                    await Task.Delay(PingEvery, stop).ConfigureAwait(false);
                    await SendNow(current, "{\"type\":\"ping\"}").ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException)
            {
            }
        }

        async Task<CloseReason> Read(ClientWebSocket current)
        {
            var buffer = new byte[16384];
            while (true)
            {
                WebSocketReceiveResult result;
                var message = new MemoryStream();
                try
                {
                    do
                    {
                        result = await current.ReceiveAsync(new ArraySegment<byte>(buffer), stopping.Token).ConfigureAwait(false);
                        message.Write(buffer, 0, result.Count);
                    }
                    while (!result.EndOfMessage && result.MessageType != WebSocketMessageType.Close);
                }
                catch (Exception error)
                {
                    if (stopping.IsCancellationRequested)
                    {
                        return CloseReason.For(1000, "", true);
                    }
                    return CloseReason.For(1006, error.Message);
                }
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    var code = result.CloseStatus.HasValue ? (int)result.CloseStatus.Value : 1005;
                    return CloseReason.For(code, result.CloseStatusDescription, false, lastError);
                }
                if (result.MessageType != WebSocketMessageType.Text)
                {
                    continue; // JSON only: the binary subprotocols are the browser SDK's
                }
                JObject frame;
                try
                {
                    frame = JToken.Parse(Encoding.UTF8.GetString(message.ToArray())) as JObject;
                }
                catch (JsonException)
                {
                    continue;
                }
                if (frame == null)
                {
                    continue;
                }
                if ((string)frame["type"] == "error")
                {
                    lastError = GamePlatformException.FromFrame(frame);
                }
                Deliver(frame);
            }
        }

        /// <summary>Hands <paramref name="frame"/> to the handlers as if it came now, marked <c>replayed: true</c> (a frame a drop lost, caught up).</summary>
        internal void Replay(JObject frame)
        {
            frame["replayed"] = true;
            Deliver(frame);
        }

        void Deliver(JObject frame)
        {
            var type = (string)frame["type"] ?? "";
            List<Action<JObject>> called;
            lock (gate)
            {
                called = new List<Action<JObject>>(anyHandlers);
                List<Action<JObject>> list;
                if (handlers.TryGetValue(type, out list))
                {
                    called.AddRange(list);
                }
            }
            Dispatch(() =>
            {
                foreach (var handler in called)
                {
                    handler(frame);
                }
            });
        }

        void Dispatch(Action action)
        {
            var dispatcher = client.Options.Dispatcher;
            if (dispatcher != null)
            {
                dispatcher(action);
            }
            else
            {
                action();
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
