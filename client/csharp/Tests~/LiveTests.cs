using System;
using System.Threading.Tasks;
using GamePlatform;
using Newtonsoft.Json.Linq;
using NUnit.Framework;

namespace GamePlatform.Tests
{
    /// <summary>
    /// Against a running server (<c>GAMEPLATFORM_URL</c>; skipped without it): sign-in, a match of
    /// tic-tac-toe played to its end with a connection cut in the middle, group chat, a flag staff set
    /// (<c>GAMEPLATFORM_LIVEOPS</c> and <c>GAMEPLATFORM_LIVEOPS_PASSWORD</c>: a user of the liveops role).
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
    }
}
