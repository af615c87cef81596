using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using GamePlatform;
using Newtonsoft.Json.Linq;
using NUnit.Framework;

namespace GamePlatform.Tests
{
    /// <summary>
    /// The server's part in the socket tests: a WebSocket server of its own (RFC 6455 over a
    /// <see cref="TcpListener"/>, as little as the tests need) on 127.0.0.1, each connection handed to
    /// <see cref="Serve"/>, and the REST routes a socket uses (the ticket, the refresh) answered by
    /// <see cref="Rest"/> without a network.
    /// </summary>
    sealed class SocketServer : HttpMessageHandler
    {
        readonly TcpListener listener = new TcpListener(IPAddress.Loopback, 0);

        public Func<Connection, Task> Serve = connection => connection.ReadUntilClosed();

        public Func<HttpRequestMessage, HttpResponseMessage> Rest = request => ScriptedServer.Json(200, "{\"ticket\": \"t\"}");

        public readonly List<string> RestSeen = new List<string>();

        public SocketServer()
        {
            listener.Start();
            Accept();
        }

        public string Url
        {
            get { return "http://127.0.0.1:" + ((IPEndPoint)listener.LocalEndpoint).Port; }
        }

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancel)
        {
            lock (RestSeen)
            {
                RestSeen.Add(request.Method + " " + request.RequestUri.AbsolutePath);
            }
            return Task.FromResult(Rest(request));
        }

        protected override void Dispose(bool disposing)
        {
            listener.Stop();
            base.Dispose(disposing);
        }

        async void Accept()
        {
            while (true)
            {
                TcpClient tcp;
                try
                {
                    tcp = await listener.AcceptTcpClientAsync();
                }
                catch (Exception)
                {
                    return; // stopped
                }
                var connection = new Connection(tcp);
                try
                {
                    await connection.Handshake();
                    await Serve(connection);
                }
                catch (Exception)
                {
                    // the client went: its test says what it expected
                }
            }
        }

        public sealed class Frame
        {
            public int Opcode;
            public byte[] Payload;

            public string Text
            {
                get { return Encoding.UTF8.GetString(Payload); }
            }

            /// <summary>A close frame's code (0 for another frame).</summary>
            public int CloseCode
            {
                get { return Opcode == 8 && Payload.Length >= 2 ? Payload[0] << 8 | Payload[1] : 0; }
            }
        }

        public sealed class Connection
        {
            readonly TcpClient tcp;
            readonly NetworkStream stream;
            public readonly List<Frame> Received = new List<Frame>();
            public readonly TaskCompletionSource<Frame> CloseFrame = new TaskCompletionSource<Frame>();

            public Connection(TcpClient tcp)
            {
                this.tcp = tcp;
                stream = tcp.GetStream();
            }

            public async Task Handshake()
            {
                var head = new StringBuilder();
                var one = new byte[1];
                while (!head.ToString().EndsWith("\r\n\r\n", StringComparison.Ordinal))
                {
                    if (await stream.ReadAsync(one, 0, 1) == 0)
                    {
                        throw new IOException("closed in the handshake");
                    }
                    head.Append((char)one[0]);
                }
                var key = head.ToString().Split(new[] { "\r\n" }, StringSplitOptions.None)
                    .First(line => line.StartsWith("Sec-WebSocket-Key:", StringComparison.OrdinalIgnoreCase)).Substring(18).Trim();
                string accept;
                using (var sha = SHA1.Create())
                {
                    accept = Convert.ToBase64String(sha.ComputeHash(Encoding.ASCII.GetBytes(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")));
                }
                var answer = Encoding.ASCII.GetBytes("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: " + accept + "\r\n\r\n");
                await stream.WriteAsync(answer, 0, answer.Length);
            }

            /// <summary>The client's next frame, unmasked.</summary>
            public async Task<Frame> Read()
            {
                var head = await Exactly(2);
                var length = (long)(head[1] & 0x7f);
                if (length == 126)
                {
                    var more = await Exactly(2);
                    length = more[0] << 8 | more[1];
                }
                else if (length == 127)
                {
                    var more = await Exactly(8);
                    length = 0;
                    foreach (var b in more)
                    {
                        length = length << 8 | b;
                    }
                }
                var mask = (head[1] & 0x80) != 0 ? await Exactly(4) : new byte[4];
                var payload = await Exactly((int)length);
                for (var i = 0; i < payload.Length; i++)
                {
                    payload[i] ^= mask[i % 4];
                }
                var frame = new Frame { Opcode = head[0] & 0x0f, Payload = payload };
                lock (Received)
                {
                    Received.Add(frame);
                }
                if (frame.Opcode == 8)
                {
                    CloseFrame.TrySetResult(frame);
                }
                return frame;
            }

            /// <summary>Reads frames until the client's close frame, and answers it.</summary>
            public async Task ReadUntilClosed()
            {
                while (true)
                {
                    var frame = await Read();
                    if (frame.Opcode == 8)
                    {
                        await Close(frame.CloseCode);
                        return;
                    }
                }
            }

            /// <summary>Cuts the connection as a network failure does: no close frame.</summary>
            public void Abort()
            {
                tcp.Close();
            }

            public Task SendText(string text)
            {
                return Send(1, Encoding.UTF8.GetBytes(text));
            }

            /// <summary>Sends a close frame with <paramref name="code"/> and ends the connection.</summary>
            public async Task Close(int code, string reason = "")
            {
                var text = Encoding.UTF8.GetBytes(reason);
                var payload = new byte[2 + text.Length];
                payload[0] = (byte)(code >> 8);
                payload[1] = (byte)code;
                Array.Copy(text, 0, payload, 2, text.Length);
                await Send(8, payload);
                await Task.Delay(100);
                tcp.Close();
            }

            async Task Send(int opcode, byte[] payload)
            {
                var frame = new List<byte> { (byte)(0x80 | opcode) };
                if (payload.Length < 126)
                {
                    frame.Add((byte)payload.Length);
                }
                else
                {
                    frame.Add(126);
                    frame.Add((byte)(payload.Length >> 8));
                    frame.Add((byte)payload.Length);
                }
                frame.AddRange(payload);
                await stream.WriteAsync(frame.ToArray(), 0, frame.Count);
            }

            async Task<byte[]> Exactly(int count)
            {
                var buffer = new byte[count];
                var read = 0;
                while (read < count)
                {
                    var n = await stream.ReadAsync(buffer, read, count - read);
                    if (n == 0)
                    {
                        throw new IOException("the client went");
                    }
                    read += n;
                }
                return buffer;
            }
        }
    }

    [TestFixture]
    public class SocketTests
    {
        static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

        static Client ClientOf(SocketServer server)
        {
            var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
            var storage = new MemoryStorage();
            Tokens.Write(storage, Tokens.StorageKey, new Tokens(SessionTests.Jwt(3, now, now + 3600), "refresh-1"));
            return new Client(server.Url, new ClientOptions
            {
                HttpHandler = server,
                Storage = storage,
                Retry = new RetryPolicy(0, 1, 1, 0),
                Reconnect = new RetryPolicy(5, 50, 50, 0),
            });
        }

        static Task<bool> OpenedOnce(Socket socket)
        {
            var opened = new TaskCompletionSource<bool>();
            socket.Opened += () => opened.TrySetResult(true);
            if (socket.Opens > 0)
            {
                opened.TrySetResult(true); // it opened before the handler was added: the socket connects at once
            }
            return opened.Task;
        }

        [Test]
        public void CloseDoesNotWaitForAFrameBeingSentAndItsCloseFrameGoesAfterIt()
        {
            using (var server = new SocketServer())
            {
                var connections = new TaskCompletionSource<SocketServer.Connection>();
                var reading = new TaskCompletionSource<bool>();
                server.Serve = async connection =>
                {
                    connections.TrySetResult(connection);
                    await reading.Task; // reads nothing for now: a big frame cannot go through
                    await connection.ReadUntilClosed();
                };
                var client = ClientOf(server);
                var socket = client.Socket("/ws/test/");
                var closes = new List<CloseReason>();
                socket.ClosedWith += reason => { lock (closes) { closes.Add(reason); } };
                Assert.IsTrue(OpenedOnce(socket).Wait(Wait), "open");
                var opened = connections.Task.Result;

                var big = new string('x', 8 * 1024 * 1024);
                socket.Send(new JObject { { "type", "chat_message" }, { "message", big } }); // stuck in the send
                Thread.Sleep(200);
                var clock = Stopwatch.StartNew();
                socket.Close();
                clock.Stop();
                Assert.Less(clock.ElapsedMilliseconds, 500, "Close() returned at once though a frame was being sent (it used to wait up to 2 s)");
                Assert.IsTrue(socket.Closed);

                reading.SetResult(true);
                Assert.IsTrue(opened.CloseFrame.Task.Wait(Wait), "the close frame came");
                var frames = opened.Received.ToList();
                Assert.AreEqual(2, frames.Count, "the big frame whole, then the close frame");
                Assert.AreEqual(big, (string)JObject.Parse(frames[0].Text)["message"]);
                Assert.AreEqual(1000, frames[1].CloseCode);
                Assert.IsTrue(SpinWait.SpinUntil(() => { lock (closes) { return closes.Count == 1; } }, Wait));
                Assert.IsTrue(closes[0].ByClient && !closes[0].Reconnect && closes[0].Code == 1000, closes[0].ToString());
            }
        }

        [Test]
        public void CloseAsyncCompletesOnceTheServerAnsweredTheCloseFrame()
        {
            using (var server = new SocketServer())
            {
                var connections = new TaskCompletionSource<SocketServer.Connection>();
                server.Serve = connection =>
                {
                    connections.TrySetResult(connection);
                    return connection.ReadUntilClosed();
                };
                var socket = ClientOf(server).Socket("/ws/test/");
                Assert.IsTrue(OpenedOnce(socket).Wait(Wait), "open");
                socket.Send(new JObject { { "type", "ping" } });
                Assert.IsTrue(socket.CloseAsync().Wait(Wait));
                Assert.AreEqual(1000, connections.Task.Result.CloseFrame.Task.Result.CloseCode);
                Assert.AreEqual(1000, socket.LastClose.Code);
                Assert.IsTrue(socket.LastClose.ByClient);
                Assert.IsTrue(socket.CloseAsync().Wait(Wait), "a second close does nothing");
            }
        }

        [Test]
        public void A4401WhoseRefreshFailsOnTheNetworkEndsWithAFinalClosedWithSayingWhy()
        {
            using (var server = new SocketServer())
            {
                server.Serve = connection => connection.Close(4401, "token expired");
                server.Rest = request =>
                {
                    if (request.RequestUri.AbsolutePath == "/api/auth/refresh/")
                    {
                        throw new HttpRequestException("connection refused");
                    }
                    return ScriptedServer.Json(200, "{\"ticket\": \"t\"}");
                };
                var client = ClientOf(server);
                var socket = client.Socket("/ws/test/");
                var closes = new List<CloseReason>();
                var final = new TaskCompletionSource<CloseReason>();
                socket.ClosedWith += reason =>
                {
                    lock (closes)
                    {
                        closes.Add(reason);
                    }
                    if (!reason.Reconnect)
                    {
                        final.TrySetResult(reason);
                    }
                };

                Assert.IsTrue(final.Task.Wait(Wait), "a final ClosedWith");
                Assert.AreEqual(2, closes.Count);
                Assert.IsTrue(closes[0].Reconnect && closes[0].Code == 4401, "the server's 4401: coming back after a refresh");
                var last = closes[1];
                Assert.AreEqual(4401, last.Code);
                Assert.AreEqual(CloseKind.Unauthenticated, last.Kind);
                Assert.IsFalse(last.ByClient);
                Assert.AreEqual("network_error", last.Error.Code);
                Assert.IsTrue(socket.Closed);
                Assert.AreSame(last, socket.LastClose);
                Assert.IsNotNull(client.Session, "a refresh that did not get through does not end the session");
            }
        }

        [Test]
        public void A4401WhoseRefreshIsRefusedEndsTheSessionAndTheSocketSayingSo()
        {
            using (var server = new SocketServer())
            {
                server.Serve = connection => connection.Close(4401, "token expired");
                server.Rest = request => request.RequestUri.AbsolutePath == "/api/auth/refresh/"
                    ? ScriptedServer.Json(401, "{\"detail\": \"Token is blacklisted\", \"code\": \"token_not_valid\"}")
                    : ScriptedServer.Json(200, "{\"ticket\": \"t\"}");
                var client = ClientOf(server);
                var socket = client.Socket("/ws/test/");
                var final = new TaskCompletionSource<CloseReason>();
                socket.ClosedWith += reason =>
                {
                    if (!reason.Reconnect)
                    {
                        final.TrySetResult(reason);
                    }
                };
                if (socket.Closed)
                {
                    // Closed for good before the handler above was added (the socket connects as
                    // soon as it is made; on a busy machine this thread may come back only after it).
                    final.TrySetResult(socket.LastClose);
                }

                Assert.IsTrue(final.Task.Wait(Wait), "a final ClosedWith");
                Assert.AreEqual(4401, final.Task.Result.Code);
                Assert.AreEqual("token_not_valid", final.Task.Result.Error.Code);
                Assert.IsNull(client.Session);
                Assert.IsTrue(socket.Closed);
            }
        }
    
        [Test]
        public void AfterADropTheNotificationsAndTheMatchTheGapLostAreReplayedAndAMatchIsReportedOnce()
        {
            using (var server = new SocketServer())
            {
                var connections = new List<SocketServer.Connection>();
                var second = new TaskCompletionSource<SocketServer.Connection>();
                server.Serve = connection =>
                {
                    lock (connections)
                    {
                        connections.Add(connection);
                        if (connections.Count == 2)
                        {
                            second.TrySetResult(connection);
                        }
                    }
                    return connection.ReadUntilClosed();
                };
                server.Rest = request =>
                {
                    var path = request.RequestUri.PathAndQuery;
                    return path == "/api/notifications/?page_size=1" ? ScriptedServer.Json(200, "{\"results\": [{\"id\": 4}]}")
                        : path.StartsWith("/api/notifications/?unread=1", StringComparison.Ordinal) ? ScriptedServer.Json(200,
                            "{\"results\": [{\"id\": 6, \"kind\": \"invite\"}, {\"id\": 4, \"kind\": \"friend_request\"}, {\"id\": 7, \"kind\": \"friend_request\"}]}")
                        : path == "/api/matchmaking/join/" ? ScriptedServer.Json(200, "{\"status\": \"queued\", \"mode\": \"tictactoe\", \"position\": 1}")
                        : path == "/api/matchmaking/status/" ? ScriptedServer.Json(200, "{\"status\": \"matched\", \"game_id\": 9}")
                        : ScriptedServer.Json(200, "{\"ticket\": \"t\"}");
                };
                var client = ClientOf(server);
                var notifications = client.Notifications();
                var frames = new List<JObject>();
                var matches = new List<JObject>();
                notifications.On("notification", frame => { lock (frames) { frames.Add(frame); } });
                notifications.On("match_found", frame => { lock (matches) { matches.Add(frame); } });
                Assert.IsTrue(SpinWait.SpinUntil(() => notifications.LastNotificationId == 4, Wait), "where the notifications stand");
                client.Matchmaking.JoinAsync().Wait();
                Assert.AreEqual("tictactoe", client.Matchmaking.QueuedMode);
                connections[0].SendText("{\"type\": \"notification\", \"id\": 6, \"kind\": \"invite\"}").Wait(); // heard live

                connections[0].Abort();
                Assert.IsTrue(second.Task.Wait(Wait), "back");
                Assert.IsTrue(SpinWait.SpinUntil(() => { lock (matches) { return matches.Count == 1; } }, Wait), "the match the gap lost");
                Assert.AreEqual(9, (long)matches[0]["game_id"]);
                Assert.IsTrue((bool)matches[0]["replayed"]);
                Assert.IsNull(client.Matchmaking.QueuedMode, "matched: no longer queued");
                lock (frames)
                {
                    CollectionAssert.AreEqual(new long[] { 6, 7 }, frames.ConvertAll(f => (long)f["id"]), "6 live, then 7 (of the gap) replayed; 4 was known before");
                    Assert.IsNull(frames[0]["replayed"]);
                    Assert.IsTrue((bool)frames[1]["replayed"]);
                }

                second.Task.Result.SendText("{\"type\": \"match_found\", \"game_id\": 9}").Wait(); // late: the same match
                second.Task.Result.SendText("{\"type\": \"match_found\", \"game_id\": 10}").Wait();
                Assert.IsTrue(SpinWait.SpinUntil(() => { lock (matches) { return matches.Count == 2; } }, Wait));
                Thread.Sleep(100);
                lock (matches)
                {
                    CollectionAssert.AreEqual(new long[] { 9, 10 }, matches.ConvertAll(f => (long)f["game_id"]), "each match once");
                }
                client.Dispose();
            }
        }
    }
}
