using System;
using System.Linq;
using System.Threading.Tasks;
using GamePlatform;
using Newtonsoft.Json.Linq;
using NUnit.Framework;

namespace GamePlatform.Tests
{
    /// <summary>
    /// Against a running server (<c>GAMEPLATFORM_URL</c>; skipped without it): sign-in, a match of
    /// tic-tac-toe played to its end with a connection cut in the middle, group chat, a flag staff set
    /// (<c>GAMEPLATFORM_LIVEOPS</c> and <c>GAMEPLATFORM_LIVEOPS_PASSWORD</c>: a user of the liveops role),
    /// lobby chat (<c>GAMEPLATFORM_PREMIUM</c> and <c>GAMEPLATFORM_PREMIUM_PASSWORD</c>: a premium player).
    /// </summary>
    [TestFixture]
    [Category("Live")]
    public class LiveTests
    {
        const string Password = "pass-w0rd-long-enough";
        static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);
        string server;

        [SetUp]
        public void NeedsAServer()
        {
            server = Environment.GetEnvironmentVariable("GAMEPLATFORM_URL");
            if (string.IsNullOrEmpty(server))
            {
                Assert.Ignore("GAMEPLATFORM_URL is not set: no server to play against");
            }
        }

        static string NewName(string prefix)
        {
            return prefix + "_" + Guid.NewGuid().ToString("N").Substring(0, 10);
        }

        async Task<Client> NewPlayer(string prefix)
        {
            var client = new Client(server);
            var name = NewName(prefix);
            await client.RegisterAsync(name, name + "@example.com", Password);
            return client;
        }

        static T Within<T>(Task<T> task, string what)
        {
            Assert.IsTrue(task.Wait(Wait), "timed out waiting for " + what);
            return task.Result;
        }

        static void Within(Task task, string what)
        {
            Assert.IsTrue(task.Wait(Wait), "timed out waiting for " + what);
        }

        [Test]
        public void TwoPlayersSignInFindAMatchAndPlayTicTacToeToItsEndThroughACutConnection()
        {
            using (var alice = Within(NewPlayer("cs_alice"), "alice's account"))
            using (var bob = Within(NewPlayer("cs_bob"), "bob's account"))
            {
                Assert.IsNotNull(alice.UserId);
                var me = Within(alice.MeAsync(), "me");
                Assert.AreEqual(alice.UserId, (long)me["id"]);

                var matches = Task.WhenAll(alice.Matchmaking.FindMatchAsync("tictactoe"), bob.Matchmaking.FindMatchAsync("tictactoe"));
                var ids = Within(matches, "a match");
                Assert.AreEqual(ids[0], ids[1]);
                var rooms = new[] { alice.GameRoom(ids[0]), bob.GameRoom(ids[0]) };
                Within(Task.WhenAll(rooms[0].ReadyAsync(), rooms[1].ReadyAsync()), "both ready");
                Within(Task.WhenAll(rooms[0].UntilAsync(r => r.Phase == "active"), rooms[1].UntilAsync(r => r.Phase == "active")), "the start");
                var x = rooms[0].MyTurn ? rooms[0] : rooms[1];
                var o = x == rooms[0] ? rooms[1] : rooms[0];
                var over = new TaskCompletionSource<JObject>();
                o.On("game_over", frame => over.TrySetResult(frame));

                Within(x.MoveAsync(new JObject { { "cell", 0 } }), "X's first move");
                Within(o.UntilAsync(r => r.MyTurn), "O's turn");
                Within(o.MoveAsync(new JObject { { "cell", 3 } }), "O's first move");

                // A connection cut in the middle: X's socket comes back by itself with the whole state.
                var opens = x.Socket.Opens;
                x.Socket.Drop();
                Within(x.UntilAsync(r => r.Socket.Opens > opens && r.MyTurn), "X back, its turn");
                Assert.AreEqual("O", (string)x.View["board"][3]);

                Within(x.MoveAsync(new JObject { { "cell", 1 } }), "X's second move");
                Within(o.UntilAsync(r => r.MyTurn), "O's turn again");
                var refused = Assert.Throws<AggregateException>(() => o.MoveAsync(new JObject { { "cell", 1 } }).Wait(Wait)).InnerException as GamePlatformException;
                Assert.IsNotNull(refused);
                Assert.AreEqual("illegal_move", refused.Code, "a taken cell: the contract's code");
                Within(o.MoveAsync(new JObject { { "cell", 4 } }), "O's second move");
                Within(x.UntilAsync(r => r.MyTurn), "X's turn again");
                Within(x.MoveAsync(new JObject { { "cell", 2 } }), "X's winning move");

                var end = Within(over.Task, "game_over");
                Assert.AreEqual(x == rooms[0] ? alice.UserId : bob.UserId, (long)end["winner_id"]);
                Assert.AreEqual("win", (string)end["reason"]);
                CollectionAssert.AreEqual(new[] { "X", "X", "X", "O", "O", null, null, null, null }, ((JArray)x.View["board"]).ToObject<string[]>());
                var record = Within(alice.Games.GetAsync(ids[0]), "the game's record");
                Assert.AreEqual("finished", (string)record["state"]);
            }
        }

        [Test]
        public void ADeclaredBirthDateThenAStoresBandSetTheAgeAndADeclarationCannotRaiseIt()
        {
            using (var alice = Within(NewPlayer("cs_aged"), "alice's account"))
            {
                var tenYearsAgo = (DateTime.UtcNow.Year - 10) + "-01-01";
                var declared = Within(alice.SetBirthDateAsync(tenYearsAgo), "a declared birth date");
                Assert.AreEqual("under_13", (string)declared["age_band"]);
                Assert.AreEqual("declared", (string)declared["age_source"]);
                var locked = Assert.Throws<AggregateException>(() => alice.SetBirthDateAsync("1990-01-01").Wait(Wait)).InnerException as GamePlatformException;
                Assert.IsNotNull(locked);
                Assert.AreEqual(409, locked.Status);
                Assert.AreEqual("age_locked", locked.Code);
                var store = Within(alice.SetAgeAsync("16_17", "google"), "a store's band");
                Assert.AreEqual("16_17", (string)store["age_band"]);
                Assert.AreEqual("16_17", (string)Within(alice.MeAsync(), "me")["age_band"]);
            }
        }

        [Test]
        public void APlayerSpeaksInAGroupsChatAndTheOtherHearsIt()
        {
            using (var alice = Within(NewPlayer("cs_alice"), "alice's account"))
            using (var bob = Within(NewPlayer("cs_bob"), "bob's account"))
            {
                var group = Within(alice.Groups.CreateAsync(NewName("cs group"), "C# players"), "a group");
                var groupId = (long)group["id"];
                Within(bob.Groups.JoinAsync(groupId), "bob joins");
                var heard = new TaskCompletionSource<JObject>();
                var bobs = bob.Groups.Socket(groupId);
                bobs.On("chat_message", frame =>
                {
                    if ((string)frame["message"]["content"] == "hello from C#")
                    {
                        heard.TrySetResult(frame);
                    }
                });
                var opened = new TaskCompletionSource<bool>();
                bobs.Opened += () => opened.TrySetResult(true);
                if (!bobs.IsOpen)
                {
                    Within(opened.Task, "bob's group socket");
                }
                var alices = alice.Groups.Socket(groupId);
                alices.Send(new JObject { { "type", "chat_message" }, { "message", "hello from C#" } }); // queued until it opens
                var frame1 = Within(heard.Task, "the message on bob's socket");
                Assert.AreEqual(alice.UserId, (long)frame1["message"]["sender"]["id"]);
            }
        }

        [Test]
        public void APremiumPlayersLobbyIsJoinedAndAMessageSpokenThereIsHeard()
        {
            var premiumName = Environment.GetEnvironmentVariable("GAMEPLATFORM_PREMIUM");
            if (string.IsNullOrEmpty(premiumName))
            {
                Assert.Ignore("GAMEPLATFORM_PREMIUM is not set: no premium player to make a lobby");
            }
            using (var alice = new Client(server))
            using (var bob = Within(NewPlayer("cs_lobby"), "bob's account"))
            {
                Within(alice.LoginAsync(premiumName, Environment.GetEnvironmentVariable("GAMEPLATFORM_PREMIUM_PASSWORD")), "alice's login");
                var lobby = Within(alice.Lobbies.CreateAsync(NewName("cs lobby"), 4), "a lobby");
                var lobbyId = (long)lobby["id"];
                Within(bob.Lobbies.JoinAsync(lobbyId), "bob joins");
                var heard = new TaskCompletionSource<JObject>();
                var state = new TaskCompletionSource<JObject>();
                var bobs = bob.Lobbies.Socket(lobbyId);
                bobs.On("lobby_state", frame => state.TrySetResult(frame));
                bobs.On("chat_message", frame =>
                {
                    if ((string)frame["message"]["content"] == "hello lobby from C#")
                    {
                        heard.TrySetResult(frame);
                    }
                });
                Assert.AreEqual(lobbyId, (long)Within(state.Task, "bob's lobby_state")["lobby"]["id"]);
                var alices = alice.Lobbies.Socket(lobbyId);
                alices.Send(new JObject { { "type", "chat_message" }, { "message", "hello lobby from C#" } }); // queued until it opens
                var frame1 = Within(heard.Task, "the message on bob's socket");
                Assert.AreEqual(alice.UserId, (long)frame1["message"]["sender"]["id"]);
                Assert.IsTrue((bool)frame1["message"]["sender"]["is_premium"]);
                Within(bob.Lobbies.LeaveAsync(lobbyId), "bob leaves");
            }
        }

        [Test]
        public void AFlagStaffSetIsReadWithItsDefaultAndAnEventIsTracked()
        {
            var staffName = Environment.GetEnvironmentVariable("GAMEPLATFORM_LIVEOPS");
            if (string.IsNullOrEmpty(staffName))
            {
                Assert.Ignore("GAMEPLATFORM_LIVEOPS is not set: no staff user to set a flag");
            }
            using (var staff = new Client(server))
            using (var player = Within(NewPlayer("cs_flags"), "a player"))
            {
                Within(staff.LoginAsync(staffName, Environment.GetEnvironmentVariable("GAMEPLATFORM_LIVEOPS_PASSWORD")), "staff login");
                var name = "cs_price_" + Guid.NewGuid().ToString("N").Substring(0, 8);
                Within(staff.PostAsync("/api/liveops/admin/flags/", new JObject { { "name", name }, { "defaultValue", 250 }, { "rules", new JArray() } }), "the flag");

                Within(player.LiveOps.RefreshAsync(), "my flags");
                Assert.AreEqual(250, player.LiveOps.Flag(name, 100));
                Assert.AreEqual(100, player.LiveOps.Flag("cs_no_such_flag", 100));
                var tracked = Within(player.LiveOps.TrackAsync("cs_opened_shop", 1, new JObject { { "screen", "shop" } }), "the event");
                Assert.AreEqual(1, (int)tracked["accepted"]);
            }
        }
    
        /// <summary>Two players matched and their rooms active: X (who moves first) and O.</summary>
        Tuple<GameRoom, GameRoom, long> StartTicTacToe(Client alice, Client bob)
        {
            var ids = Within(Task.WhenAll(alice.Matchmaking.FindMatchAsync("tictactoe"), bob.Matchmaking.FindMatchAsync("tictactoe")), "a match");
            Assert.AreEqual(ids[0], ids[1]);
            var rooms = new[] { alice.GameRoom(ids[0]), bob.GameRoom(ids[0]) };
            Within(Task.WhenAll(rooms[0].ReadyAsync(), rooms[1].ReadyAsync()), "both ready");
            Within(Task.WhenAll(rooms[0].UntilAsync(r => r.Phase == "active"), rooms[1].UntilAsync(r => r.Phase == "active")), "the start");
            var x = rooms[0].MyTurn ? rooms[0] : rooms[1];
            return Tuple.Create(x, x == rooms[0] ? rooms[1] : rooms[0], ids[0]);
        }

        [Test]
        public void TwoPlayersBecomeFriendsAndADirectMessageReachesTheOthersSocketAndHistory()
        {
            using (var alice = Within(NewPlayer("cs_alice"), "alice's account"))
            using (var bob = Within(NewPlayer("cs_bob"), "bob's account"))
            {
                var request = Within(alice.Friends.SendRequestAsync(bob.UserId.Value), "the friend request");
                var incoming = Within(bob.Friends.RequestsAsync("incoming"), "bob's requests");
                Assert.AreEqual((long)request["id"], (long)incoming[0]["id"]);
                Within(bob.Friends.AcceptRequestAsync((long)request["id"]), "bob accepts");
                var friends = Within(alice.Friends.ListAsync(), "alice's friends");
                Assert.AreEqual(bob.UserId, (long)friends[0]["user"]["id"]);

                var bobs = bob.Dm.Socket(alice.UserId.Value);
                var opened = new TaskCompletionSource<bool>();
                bobs.Opened += () => opened.TrySetResult(true);
                var heard = bobs.NextAsync("dm_message", f => (string)f["message"]["content"] == "gg from C#", Wait);
                if (!bobs.IsOpen)
                {
                    Within(opened.Task, "bob's DM socket");
                }
                var sent = Within(alice.Dm.SendAsync(bob.UserId.Value, "gg from C#"), "alice's message");
                Assert.AreEqual(alice.UserId, (long)Within(heard, "the message on bob's socket")["message"]["sender_id"]);
                var history = Within(bob.Dm.HistoryAsync(alice.UserId.Value), "bob's history");
                Assert.AreEqual((long)sent["id"], (long)history[history.Count - 1]["id"]);
                var conversations = Within(bob.Dm.ConversationsAsync(), "bob's conversations");
                Assert.AreEqual(1, (int)conversations[0]["unread_count"]);
                Within(bob.Dm.MarkReadAsync(alice.UserId.Value), "read");
                Assert.AreEqual(0, (int)Within(bob.Dm.ConversationsAsync(), "read conversations")[0]["unread_count"]);
            }
        }

        [Test]
        public void PlayersWriteRecordsOnABoardStaffMadeAndReadTheirRanks()
        {
            var staffName = Environment.GetEnvironmentVariable("GAMEPLATFORM_LIVEOPS");
            if (string.IsNullOrEmpty(staffName))
            {
                Assert.Ignore("GAMEPLATFORM_LIVEOPS is not set: no staff user to make a board");
            }
            using (var staff = new Client(server))
            using (var alice = Within(NewPlayer("cs_alice"), "alice's account"))
            using (var bob = Within(NewPlayer("cs_bob"), "bob's account"))
            {
                Within(staff.LoginAsync(staffName, Environment.GetEnvironmentVariable("GAMEPLATFORM_LIVEOPS_PASSWORD")), "staff login");
                var board = "cs-" + Guid.NewGuid().ToString("N").Substring(0, 10);
                Within(staff.Leaderboards.CreateAsync(board), "the board");
                var refused = Assert.Throws<AggregateException>(() => alice.Leaderboards.CreateAsync(board + "-x").Wait(Wait)).InnerException as GamePlatformException;
                Assert.AreEqual("admin_only", refused.Code);

                Within(alice.Leaderboards.WriteRecordAsync(board, 300, new JObject { { "level", 2 } }), "alice's score");
                var lower = Within(alice.Leaderboards.WriteRecordAsync(board, 100), "alice's lower score");
                Assert.AreEqual(300, (long)lower["score"], "best: the lower score does not replace the higher");
                Assert.AreEqual(2, (long)Within(bob.Leaderboards.WriteRecordAsync(board, 200), "bob's score")["rank"]);

                var top = Within(bob.Leaderboards.RecordsAsync(board), "the top");
                CollectionAssert.AreEqual(new long[] { 300, 200 }, top.ConvertAll(r => (long)r["score"]));
                Assert.AreEqual(alice.UserId, (long)top[0]["user"]["id"]);
                Assert.AreEqual(2, (int)top[0]["metadata"]["level"]);
                var around = Within(bob.Leaderboards.RecordsAsync(board, aroundMe: true, limit: 1), "around bob");
                Assert.AreEqual(bob.UserId, (long)around[0]["user"]["id"]);
                Assert.IsTrue(Within(bob.Leaderboards.ListAsync(), "the boards").Exists(b => (string)b["id"] == board));
            }
        }

        [Test]
        public void AnObjectIsStoredReadBackSharedAndAStaleVersionIsRefused()
        {
            using (var alice = Within(NewPlayer("cs_alice"), "alice's account"))
            using (var bob = Within(NewPlayer("cs_bob"), "bob's account"))
            {
                var first = Within(alice.Storage.PutAsync("saves", "slot1", new JObject { { "level", 3 } }), "the first write");
                var version = (long)first["version"];
                var read = Within(alice.Storage.GetAsync("saves", "slot1"), "the read");
                Assert.AreEqual(3, (int)read["value"]["level"]);
                Assert.AreEqual(version, (long)read["version"]);

                var second = Within(alice.Storage.PutAsync("saves", "slot1", new JObject { { "level", 4 } }, "public", version), "a write at its version");
                Assert.Greater((long)second["version"], version);
                var stale = Assert.Throws<AggregateException>(() => alice.Storage.PutAsync("saves", "slot1", new JObject(), version: version).Wait(Wait)).InnerException as GamePlatformException;
                Assert.AreEqual("version_conflict", stale.Code);
                var taken = Assert.Throws<AggregateException>(() => alice.Storage.PutAsync("saves", "slot1", new JObject(), createOnly: true).Wait(Wait)).InnerException as GamePlatformException;
                Assert.AreEqual(412, taken.Status);

                Assert.AreEqual(4, (int)Within(bob.Storage.GetAsync("saves", "slot1", alice.UserId), "bob reads the public object")["value"]["level"]);
                Assert.AreEqual("slot1", (string)Within(bob.Storage.ListAsync("saves", alice.UserId), "alice's public saves")[0]["key"]);
                Within(alice.Storage.DeleteAsync("saves", "slot1"), "the delete");
                var gone = Assert.Throws<AggregateException>(() => alice.Storage.GetAsync("saves", "slot1").Wait(Wait)).InnerException as GamePlatformException;
                Assert.AreEqual(404, gone.Status);
            }
        }

        [Test]
        public void AFinishedGamesReplayAndItsFramesAreRead()
        {
            using (var alice = Within(NewPlayer("cs_alice"), "alice's account"))
            using (var bob = Within(NewPlayer("cs_bob"), "bob's account"))
            {
                var game = StartTicTacToe(alice, bob);
                var x = game.Item1;
                var o = game.Item2;
                var over = o.Socket.NextAsync("game_over", null, Wait);
                foreach (var cell in new[] { 0, 3, 1, 4, 2 })
                {
                    var room = cell < 3 ? x : o;
                    Within(room.UntilAsync(r => r.MyTurn), "a turn");
                    Within(room.MoveAsync(new JObject { { "cell", cell } }), "move " + cell);
                }
                Within(over, "game_over");

                JToken replay = null;
                var deadline = DateTime.UtcNow + Wait;
                while (replay == null)
                {
                    try
                    {
                        replay = alice.Games.ReplayAsync(game.Item3).Result;
                    }
                    catch (AggregateException error)
                    {
                        var missing = error.InnerException as GamePlatformException;
                        Assert.IsTrue(missing != null && missing.Status == 404 && DateTime.UtcNow < deadline, "the replay is written once the game ends: " + error.InnerException);
                        System.Threading.Thread.Sleep(200);
                    }
                }
                Assert.AreEqual("tictactoe", (string)replay["mode"]);
                var cells = ((JArray)replay["inputs"]).Where(i => i["data"] is JObject && i["data"]["cell"] != null).Select(i => (int)i["data"]["cell"]);
                CollectionAssert.AreEqual(new[] { 0, 3, 1, 4, 2 }, cells.ToArray(), "the moves, in order");

                var frames = Client.Results(Within(bob.Games.ReplayFramesAsync(game.Item3), "the frames"));
                Assert.AreEqual(0, (int)frames[0]["tick"]);
                CollectionAssert.AreEqual(new[] { "X", "X", "X", "O", "O", null, null, null, null }, ((JArray)frames[frames.Count - 1]["view"]["board"]).ToObject<string[]>());
                var middle = Client.Results(Within(bob.Games.ReplayFramesAsync(game.Item3, 2, 3), "two frames"));
                CollectionAssert.AreEqual(new[] { 2, 3 }, middle.ConvertAll(f => (int)f["tick"]));
            }
        }
    
        [Test]
        public void AMatchFoundAndAFriendRequestThatADropLostAreReplayedWhenTheNotificationsSocketComesBack()
        {
            // Alice's sockets come back 3 s after a drop: the match is made while hers is away.
            var name = NewName("cs_alice");
            using (var alice = new Client(server, new ClientOptions { Reconnect = new RetryPolicy(10, 3000, 3000, 0) }))
            using (var bob = Within(NewPlayer("cs_bob"), "bob's account"))
            {
                Within(alice.RegisterAsync(name, name + "@example.com", Password), "alice's account");
                var notifications = alice.Notifications();
                var opened = new TaskCompletionSource<bool>();
                notifications.Socket.Opened += () => opened.TrySetResult(true);
                if (!notifications.Socket.IsOpen)
                {
                    Within(opened.Task, "alice's notifications socket");
                }
                var matched = new TaskCompletionSource<JObject>();
                var requested = new TaskCompletionSource<JObject>();
                notifications.On("match_found", frame => matched.TrySetResult(frame));
                notifications.On("notification", frame =>
                {
                    if ((string)frame["kind"] == "friend_request")
                    {
                        requested.TrySetResult(frame);
                    }
                });
                Assert.AreEqual("queued", (string)Within(alice.Matchmaking.JoinAsync("tictactoe"), "alice queues")["status"]);

                var opens = notifications.Socket.Opens;
                notifications.Socket.Drop();
                var request = Within(bob.Friends.SendRequestAsync(alice.UserId.Value), "bob's friend request");
                var bobs = Within(bob.Matchmaking.JoinAsync("tictactoe"), "bob queues: the match");
                Assert.AreEqual("matched", (string)bobs["status"]);
                Assert.AreEqual(opens, notifications.Socket.Opens, "the match was made while alice's socket was away");

                var found = Within(matched.Task, "the match_found the drop lost");
                Assert.AreEqual((long)bobs["game_id"], (long)found["game_id"]);
                Assert.IsTrue((bool)found["replayed"]);
                var notification = Within(requested.Task, "the friend request's notification");
                Assert.IsTrue((bool)notification["replayed"]);
                Assert.AreEqual((long)request["id"], (long)notification["payload"]["request"]["id"]);
                Assert.IsNull(alice.Matchmaking.QueuedMode);
                var room = alice.GameRoom((long)found["game_id"]);
                Within(room.UntilAsync(r => r.State != null), "the game's state");
                room.Dispose();
            }
        }
    
        [Test]
        public void AnArenaIsPlayedToItsEndByInputsTowardsTheNearestGemThroughACutConnection()
        {
            using (var alice = Within(NewPlayer("cs_alice"), "alice's account"))
            using (var bob = Within(NewPlayer("cs_bob"), "bob's account"))
            {
                var ids = Within(Task.WhenAll(alice.Matchmaking.FindMatchAsync("arena"), bob.Matchmaking.FindMatchAsync("arena")), "an arena match");
                Assert.AreEqual(ids[0], ids[1]);
                using (var a = alice.GameRoom(ids[0]))
                using (var b = bob.GameRoom(ids[0]))
                {
                    Within(Task.WhenAll(a.ReadyAsync(), b.ReadyAsync()), "both ready");
                    Within(a.UntilAsync(r => r.Phase == "active" && r.View != null && r.View["players"] != null), "the start");
                    var over = b.Socket.NextAsync("game_over", null, TimeSpan.FromSeconds(120));
                    var me = alice.UserId.Value.ToString();
                    var cut = false;
                    var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(110); // the arena ends by itself after 90 s
                    while (!over.IsCompleted)
                    {
                        Assert.Less(DateTime.UtcNow, deadline, "the arena did not end");
                        var view = a.View;
                        var mine = view["players"][me];
                        var x = (double)mine["x"];
                        var y = (double)mine["y"];
                        var gem = ((JArray)view["gems"]).OrderBy(g => Math.Pow((double)g[0] - x, 2) + Math.Pow((double)g[1] - y, 2)).First();
                        var dx = (double)gem[0] - x;
                        var dy = (double)gem[1] - y;
                        var length = Math.Max(Math.Sqrt(dx * dx + dy * dy), 1e-9);
                        if (a.Socket.IsOpen)
                        {
                            a.SendInput(new JObject { { "dx", Math.Round(dx / length, 3) }, { "dy", Math.Round(dy / length, 3) } });
                        }
                        if (!cut && (int)mine["score"] >= 3)
                        {
                            // A connection cut in the middle: the room comes back with the whole view and goes on.
                            cut = true;
                            var opens = a.Socket.Opens;
                            a.Socket.Drop();
                            Within(a.UntilAsync(r => r.Socket.Opens > opens && r.View != null), "alice back in the arena");
                            Assert.GreaterOrEqual((int)a.View["players"][me]["score"], 3, "the score kept");
                        }
                        System.Threading.Thread.Sleep(100);
                    }
                    var end = over.Result;
                    Assert.IsTrue(cut, "the connection was cut during the game");
                    Assert.AreEqual(alice.UserId, (long)end["winner_id"], end.ToString());
                    var scores = (JObject)b.View["players"];
                    Assert.Greater((int)scores[me]["score"], (int)scores[bob.UserId.Value.ToString()]["score"]);
                }
            }
        }
    }
}
