using System;
using System.Collections.Generic;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using GamePlatform;
using Newtonsoft.Json.Linq;
using NUnit.Framework;

namespace GamePlatform.Tests
{
    [TestFixture]
    public class JsonPatchTests
    {
        static JToken Apply(string document, string ops)
        {
            return JsonPatch.Apply(JToken.Parse(document), JArray.Parse(ops));
        }

        [Test]
        public void EverySixOperationsApplyToACopy()
        {
            var before = JToken.Parse("{\"board\": [null, \"X\"], \"score\": {\"a\": 1}}");
            var ops = JArray.Parse(
                "[{\"op\": \"replace\", \"path\": \"/board/0\", \"value\": \"O\"}," +
                " {\"op\": \"add\", \"path\": \"/board/-\", \"value\": null}," +
                " {\"op\": \"copy\", \"from\": \"/score/a\", \"path\": \"/score/b\"}," +
                " {\"op\": \"move\", \"from\": \"/score/a\", \"path\": \"/first\"}," +
                " {\"op\": \"remove\", \"path\": \"/board/1\"}," +
                " {\"op\": \"test\", \"path\": \"/first\", \"value\": 1}]");
            var after = JsonPatch.Apply(before, ops);
            Assert.IsTrue(JToken.DeepEquals(JToken.Parse("{\"board\": [\"O\", null], \"score\": {\"b\": 1}, \"first\": 1}"), after), after.ToString());
            Assert.AreEqual("X", (string)before["board"][1], "the document given is not changed");
        }

        [Test]
        public void APointerEscapesSlashAndTilde()
        {
            var after = Apply("{\"a/b\": 1, \"m~n\": 2}", "[{\"op\": \"replace\", \"path\": \"/a~1b\", \"value\": 3}, {\"op\": \"remove\", \"path\": \"/m~0n\"}]");
            Assert.IsTrue(JToken.DeepEquals(JToken.Parse("{\"a/b\": 3}"), after));
        }

        [Test]
        public void APatchThatDoesNotFitThrowsAndTheDocumentStaysAsItWas()
        {
            var before = JToken.Parse("{\"board\": [1, 2]}");
            Assert.Throws<PatchException>(() => JsonPatch.Apply(before, JArray.Parse("[{\"op\": \"replace\", \"path\": \"/board/0\", \"value\": 9}, {\"op\": \"remove\", \"path\": \"/board/5\"}]")));
            Assert.Throws<PatchException>(() => Apply("{}", "[{\"op\": \"replace\", \"path\": \"/missing\", \"value\": 1}]"));
            Assert.Throws<PatchException>(() => Apply("{\"a\": 1}", "[{\"op\": \"test\", \"path\": \"/a\", \"value\": 2}]"));
            Assert.Throws<PatchException>(() => Apply("{\"a\": {\"b\": 1}}", "[{\"op\": \"move\", \"from\": \"/a\", \"path\": \"/a/c\"}]"));
            Assert.Throws<PatchException>(() => Apply("[1]", "[{\"op\": \"add\", \"path\": \"/01\", \"value\": 1}]"));
            Assert.Throws<PatchException>(() => Apply("{}", "[{\"op\": \"jump\", \"path\": \"/a\"}]"));
            Assert.AreEqual(1, (int)before["board"][0]);
        }

        [Test]
        public void TheWholeDocumentCanBeReplaced()
        {
            Assert.IsTrue(JToken.DeepEquals(JToken.Parse("[1]"), Apply("{\"a\": 1}", "[{\"op\": \"replace\", \"path\": \"\", \"value\": [1]}]")));
        }
    }

    [TestFixture]
    public class CloseReasonTests
    {
        [Test]
        public void EveryContractCodeHasItsKindAndWhetherItComesBack()
        {
            var expected = new Dictionary<int, KeyValuePair<CloseKind, bool>>
            {
                { 1000, new KeyValuePair<CloseKind, bool>(CloseKind.Normal, false) },
                { 1006, new KeyValuePair<CloseKind, bool>(CloseKind.Abnormal, true) },
                { 1008, new KeyValuePair<CloseKind, bool>(CloseKind.PolicyViolation, true) },
                { 1009, new KeyValuePair<CloseKind, bool>(CloseKind.TooLarge, true) },
                { 1012, new KeyValuePair<CloseKind, bool>(CloseKind.ServiceRestart, true) },
                { 4012, new KeyValuePair<CloseKind, bool>(CloseKind.ServiceRestart, true) },
                { 1013, new KeyValuePair<CloseKind, bool>(CloseKind.TryAgainLater, true) },
                { 4400, new KeyValuePair<CloseKind, bool>(CloseKind.UnsupportedVersion, false) },
                { 4401, new KeyValuePair<CloseKind, bool>(CloseKind.Unauthenticated, true) },
                { 4403, new KeyValuePair<CloseKind, bool>(CloseKind.Forbidden, false) },
                { 4404, new KeyValuePair<CloseKind, bool>(CloseKind.NotFound, false) },
                { 4409, new KeyValuePair<CloseKind, bool>(CloseKind.Replaced, false) },
            };
            foreach (var pair in expected)
            {
                var reason = CloseReason.For(pair.Key);
                Assert.AreEqual(pair.Value.Key, reason.Kind, pair.Key.ToString());
                Assert.AreEqual(pair.Value.Value, reason.Reconnect, pair.Key.ToString());
            }
        }

        [Test]
        public void AnUnknownCodeComesBackAndAClientsCloseDoesNot()
        {
            Assert.AreEqual(CloseKind.Unknown, CloseReason.For(4999).Kind);
            Assert.IsTrue(CloseReason.For(4999).Reconnect);
            Assert.IsFalse(CloseReason.For(1006, "", true).Reconnect);
        }
    }

    [TestFixture]
    public class RetryPolicyTests
    {
        [Test]
        public void TheDelayDoublesUpToItsCeilingWithJitterOnItsShare()
        {
            var policy = new RetryPolicy(3, 100, 1000, 0.5);
            Assert.AreEqual(50, policy.Delay(0, () => 0).TotalMilliseconds, 0.001);
            Assert.AreEqual(100, policy.Delay(0, () => 1).TotalMilliseconds, 0.001);
            Assert.AreEqual(400, policy.Delay(2, () => 1).TotalMilliseconds, 0.001);
            Assert.AreEqual(1000, policy.Delay(40, () => 1).TotalMilliseconds, 0.001);
        }

        [Test]
        public void OnlyIdempotentMethodsAreRetried()
        {
            Assert.IsTrue(RetryPolicy.IsIdempotent("GET") && RetryPolicy.IsIdempotent("put") && RetryPolicy.IsIdempotent("DELETE"));
            Assert.IsFalse(RetryPolicy.IsIdempotent("POST") || RetryPolicy.IsIdempotent("PATCH"));
        }
    }

    [TestFixture]
    public class ErrorTests
    {
        [Test]
        public void AnErrorAnswerGivesItsCodeDetailAndRetryAfter()
        {
            var error = GamePlatformException.FromHttp(429, "{\"detail\": \"Too many requests.\", \"code\": \"rate_limited\", \"retry_after\": 2.5}", null);
            Assert.AreEqual("rate_limited", error.Code);
            Assert.AreEqual("Too many requests.", error.Detail);
            Assert.AreEqual(2.5, error.RetryAfter);
            Assert.AreEqual(429, error.Status);
        }

        [Test]
        public void AValidationAnswerIsInvalidWithItsFields()
        {
            var error = GamePlatformException.FromHttp(400, "{\"username\": [\"Taken.\"], \"email\": [\"Bad.\", \"Long.\"]}", null);
            Assert.AreEqual("invalid", error.Code);
            CollectionAssert.AreEqual(new[] { "Taken." }, error.Fields["username"]);
            CollectionAssert.AreEqual(new[] { "Bad.", "Long." }, error.Fields["email"]);
        }

        [Test]
        public void AnAnswerThatIsNotJsonStillHasACodeAndTheRetryAfterHeader()
        {
            var error = GamePlatformException.FromHttp(503, "<html>busy</html>", "3");
            Assert.AreEqual("overloaded", error.Code);
            Assert.AreEqual(3.0, error.RetryAfter);
        }

        [Test]
        public void AnErrorFrameGivesItsRef()
        {
            var error = GamePlatformException.FromFrame(JObject.Parse("{\"type\": \"error\", \"code\": \"not_your_turn\", \"message\": \"Wait.\", \"ref\": \"a-1\"}"));
            Assert.AreEqual("not_your_turn", error.Code);
            Assert.AreEqual("a-1", error.Ref);
        }
    }

    [TestFixture]
    public class SessionTests
    {
        internal static string Jwt(long userId, long iat, long exp)
        {
            Func<string, string> part = text => Convert.ToBase64String(Encoding.UTF8.GetBytes(text)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
            return part("{\"alg\":\"HS256\"}") + "." + part("{\"user_id\":" + userId + ",\"iat\":" + iat + ",\"exp\":" + exp + "}") + ".sig";
        }

        [Test]
        public void TheTokensSurviveInTheStorageInTheBrowserSdksShape()
        {
            var storage = new MemoryStorage();
            Tokens.Write(storage, Tokens.StorageKey, new Tokens(Jwt(7, 0, 10), "r"));
            StringAssert.Contains("\"refresh\":\"r\"", storage.Get(Tokens.StorageKey));
            var read = Tokens.Read(storage, Tokens.StorageKey);
            Assert.AreEqual(7, read.UserId);
            storage.Set(Tokens.StorageKey, "not json");
            Assert.IsNull(Tokens.Read(storage, Tokens.StorageKey));
        }

        [Test]
        public void AnAccessTokenIsRefreshedAMarginBeforeItExpiresOrAQuarterOfAShortLife()
        {
            var due = new Tokens(Jwt(1, 1000, 1000 + 3600), "r").RefreshDueAt(TimeSpan.FromSeconds(60));
            Assert.AreEqual(1000 + 3600 - 60, due.Value.ToUnixTimeSeconds());
            var shortLived = new Tokens(Jwt(1, 1000, 1100), "r").RefreshDueAt(TimeSpan.FromSeconds(60));
            Assert.AreEqual(1075, shortLived.Value.ToUnixTimeSeconds());
        }

        [Test]
        public void AFileStorageKeepsTheSessionAcrossClients()
        {
            var directory = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "gp-session-" + Guid.NewGuid().ToString("N"));
            Tokens.Write(new FileStorage(directory), "k", new Tokens("a", "b"));
            Assert.AreEqual("b", Tokens.Read(new FileStorage(directory), "k").Refresh);
            System.IO.Directory.Delete(directory, true);
        }
    }

    /// <summary>The server's part in the REST tests: answers in order, and what the client sent.</summary>
    sealed class ScriptedServer : HttpMessageHandler
    {
        public readonly Queue<Func<HttpRequestMessage, HttpResponseMessage>> Answers = new Queue<Func<HttpRequestMessage, HttpResponseMessage>>();
        public readonly List<string> Seen = new List<string>();

        /// <summary>Each request as <c>METHOD path?query</c>, its JSON body (null without one) and its headers.</summary>
        public readonly List<Sent> Requests = new List<Sent>();

        public sealed class Sent
        {
            public string Line;
            public JToken Body;
            public System.Net.Http.Headers.HttpRequestHeaders Headers;
        }

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancel)
        {
            var auth = request.Headers.Authorization == null ? "-" : request.Headers.Authorization.Parameter;
            var body = request.Content == null ? null : JToken.Parse(request.Content.ReadAsStringAsync().Result);
            lock (Seen)
            {
                Seen.Add(request.Method + " " + request.RequestUri.AbsolutePath + " " + auth);
                Requests.Add(new Sent { Line = request.Method + " " + request.RequestUri.PathAndQuery, Body = body, Headers = request.Headers });
            }
            Func<HttpRequestMessage, HttpResponseMessage> answer;
            lock (Answers)
            {
                answer = Answers.Dequeue();
            }
            return Task.FromResult(answer(request));
        }

        public static HttpResponseMessage Json(int status, string body)
        {
            return new HttpResponseMessage((HttpStatusCode)status) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        }
    }

    [TestFixture]
    public class ClientTests
    {
        static Client ClientOf(ScriptedServer server, ISessionStorage storage = null)
        {
            return new Client("http://game.test", new ClientOptions
            {
                HttpHandler = server,
                Storage = storage ?? new MemoryStorage(),
                Retry = new RetryPolicy(2, 1, 1, 0),
            });
        }

        [Test]
        public void A401RefreshesTheSessionOnceAndTheCallIsSentAgainWithTheNewToken()
        {
            var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
            var old = SessionTests.Jwt(3, now, now + 3600);
            var fresh = SessionTests.Jwt(3, now + 1, now + 3601);
            var storage = new MemoryStorage();
            Tokens.Write(storage, Tokens.StorageKey, new Tokens(old, "refresh-1"));
            var server = new ScriptedServer();
            server.Answers.Enqueue(r => ScriptedServer.Json(401, "{\"detail\": \"expired\", \"code\": \"token_not_valid\"}"));
            server.Answers.Enqueue(r => ScriptedServer.Json(200, "{\"access\": \"" + fresh + "\", \"refresh\": \"refresh-2\"}"));
            server.Answers.Enqueue(r => ScriptedServer.Json(200, "{\"id\": 3}"));
            var client = ClientOf(server, storage);

            var me = client.MeAsync().Result;

            Assert.AreEqual(3, (int)me["id"]);
            CollectionAssert.AreEqual(new[] { "GET /api/me/ " + old, "POST /api/auth/refresh/ -", "GET /api/me/ " + fresh }, server.Seen);
            Assert.AreEqual("refresh-2", Tokens.Read(storage, Tokens.StorageKey).Refresh, "the rotated pair is stored");
        }

        [Test]
        public void ASignInSaysWhatTheClientIsWhenGivenAndAFailureKeepsTheSignIn()
        {
            var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
            var access = SessionTests.Jwt(3, now, now + 3600);
            var server = new ScriptedServer();
            server.Answers.Enqueue(r => ScriptedServer.Json(200, "{\"access\": \"" + access + "\", \"refresh\": \"r\"}"));
            server.Answers.Enqueue(r => ScriptedServer.Json(503, "{\"detail\": \"down\", \"code\": \"unavailable\"}"));
            server.Answers.Enqueue(r => ScriptedServer.Json(503, "{\"detail\": \"down\", \"code\": \"unavailable\"}"));
            server.Answers.Enqueue(r => ScriptedServer.Json(503, "{\"detail\": \"down\", \"code\": \"unavailable\"}"));
            var client = new Client("http://game.test", new ClientOptions
            {
                HttpHandler = server,
                Retry = new RetryPolicy(2, 1, 1, 0),
                ClientAttributes = new ClientAttributes { Platform = "ios", AppVersion = "2.1.0", Locale = "fr-FR", TimeZone = "Europe/Paris" },
            });

            client.LoginAsync("ann", "a-long-pass-phrase").Wait();

            Assert.IsNotNull(client.Session, "the sign-in holds though the server did not take the attributes");
            var said = server.Requests.First(r => r.Line == "PUT /api/liveops/attributes/");
            Assert.IsTrue(JToken.DeepEquals(
                JToken.Parse("{\"custom\": {\"locale\": \"fr-FR\", \"timezone\": \"Europe/Paris\"}, \"platform\": \"ios\", \"app_version\": \"2.1.0\"}"),
                said.Body), said.Body.ToString());
        }

        [Test]
        public void ARefusedRefreshEndsTheSession()
        {
            var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
            var storage = new MemoryStorage();
            Tokens.Write(storage, Tokens.StorageKey, new Tokens(SessionTests.Jwt(3, now - 7200, now - 3600), "refresh-1"));
            var server = new ScriptedServer();
            server.Answers.Enqueue(r => ScriptedServer.Json(401, "{\"detail\": \"blacklisted\", \"code\": \"token_not_valid\"}"));
            var client = ClientOf(server, storage);

            var error = Assert.Throws<AggregateException>(() => client.MeAsync().Wait()).InnerException as GamePlatformException;

            Assert.AreEqual(401, error.Status);
            Assert.IsNull(client.Session);
            Assert.IsNull(storage.Get(Tokens.StorageKey));
        }

        [Test]
        public void AnIdempotentCallIsRetriedAfterA503AndAPostIsNot()
        {
            var server = new ScriptedServer();
            server.Answers.Enqueue(r => ScriptedServer.Json(503, "{\"detail\": \"busy\", \"code\": \"overloaded\"}"));
            server.Answers.Enqueue(r => ScriptedServer.Json(200, "{\"status\": \"ok\"}"));
            server.Answers.Enqueue(r => ScriptedServer.Json(503, "{\"detail\": \"busy\", \"code\": \"overloaded\"}"));
            var client = ClientOf(server);

            Assert.AreEqual("ok", (string)client.StatusAsync().Result["status"]);
            var error = Assert.Throws<AggregateException>(() => client.RequestAsync("POST", "/api/reports/", new JObject(), auth: false).Wait()).InnerException as GamePlatformException;
            Assert.AreEqual("overloaded", error.Code);
            Assert.AreEqual(3, server.Seen.Count, "the POST went once");
        }

        [Test]
        public void ARefusalIsNotRetriedAndCarriesTheContractsCode()
        {
            var server = new ScriptedServer();
            server.Answers.Enqueue(r => ScriptedServer.Json(409, "{\"detail\": \"You are in a game.\", \"code\": \"already_in_game\"}"));
            var client = ClientOf(server);
            var error = Assert.Throws<AggregateException>(() => client.GetAsync("/api/matchmaking/status/").Wait()).InnerException as GamePlatformException;
            Assert.AreEqual("already_in_game", error.Code);
            Assert.AreEqual(1, server.Seen.Count);
        }

        [Test]
        public void AFlagReadsItsValueOrTheDefault()
        {
            var server = new ScriptedServer();
            server.Answers.Enqueue(r => ScriptedServer.Json(200, "{\"flags\": {\"price\": 250, \"banner\": \"Double XP\", \"off\": null}}"));
            var client = ClientOf(server);
            client.LiveOps.RefreshAsync().Wait();
            Assert.AreEqual(250, client.LiveOps.Flag("price", 100));
            Assert.AreEqual("Double XP", client.LiveOps.Flag("banner", ""));
            Assert.AreEqual(7, client.LiveOps.Flag("missing", 7));
            Assert.AreEqual(false, client.LiveOps.Flag("off", false));
            Assert.AreEqual(5, client.LiveOps.Flag("banner", 5), "another type: the default");
        }
    }

    [TestFixture]
    public class TypedCallTests
    {
        static Client ClientOf(ScriptedServer server)
        {
            return new Client("http://game.test", new ClientOptions { HttpHandler = server, Retry = new RetryPolicy(0, 1, 1, 0) });
        }

        static void Answer(ScriptedServer server, int status, string body)
        {
            server.Answers.Enqueue(r => ScriptedServer.Json(status, body));
        }

        [Test]
        public void AProviderTokenSignsInAndAGuestIsLinkedAtTheContractsRoutes()
        {
            var server = new ScriptedServer();
            Answer(server, 200, "{\"user\": {\"id\": 7, \"is_guest\": true}, \"access\": \"a1\", \"refresh\": \"r1\", \"created\": true}");
            Answer(server, 200, "{\"id\": 7, \"username\": \"ann\", \"is_guest\": false}");
            Answer(server, 400, "{\"detail\": \"The token is not valid.\", \"code\": \"invalid_token\"}");
            var client = ClientOf(server);

            Assert.IsTrue((bool)client.LoginWithProviderAsync("google", "eyJ.id.token").Result["created"]);
            Assert.AreEqual("a1", client.Session.Access, "the provider's answer is the session");
            Assert.IsFalse((bool)client.LinkAccountAsync("ann", "ann@example.com", "pass-w0rd-long-enough").Result["is_guest"]);
            var refused = Assert.Throws<AggregateException>(() => client.LoginWithProviderAsync("google", "forged").Wait());
            Assert.AreEqual("invalid_token", ((GamePlatformException)refused.InnerException).Code);

            CollectionAssert.AreEqual(
                new[] { "POST /api/auth/providers/google/token/", "POST /api/auth/link/", "POST /api/auth/providers/google/token/" },
                server.Requests.ConvertAll(r => r.Line));
            Assert.AreEqual("eyJ.id.token", (string)server.Requests[0].Body["id_token"]);
            Assert.AreEqual("a1", server.Requests[1].Headers.Authorization.Parameter, "the link is made as the signed-in guest");
        }

        [Test]
        public void FriendsAndDirectMessagesGoToTheContractsRoutesAndListsReadAsTheirItems()
        {
            var server = new ScriptedServer();
            Answer(server, 201, "{\"id\": 5, \"to_user\": {\"id\": 9}}");
            Answer(server, 200, "{\"count\": 1, \"next\": null, \"results\": [{\"id\": 5}]}");
            Answer(server, 200, "{\"detail\": \"accepted\"}");
            Answer(server, 200, "[{\"user\": {\"id\": 9}, \"online\": true}]");
            Answer(server, 201, "{\"id\": 1, \"content\": \"hi\"}");
            Answer(server, 200, "{\"results\": [{\"id\": 1, \"content\": \"hi\"}, {\"id\": 2, \"content\": \"yo\"}]}");
            Answer(server, 204, "");
            var client = ClientOf(server);

            Assert.AreEqual(5, (int)client.Friends.SendRequestAsync(9).Result["id"]);
            Assert.AreEqual(5, (int)client.Friends.RequestsAsync("outgoing").Result[0]["id"], "a page reads as its results");
            client.Friends.AcceptRequestAsync(5).Wait();
            Assert.IsTrue((bool)client.Friends.ListAsync().Result[0]["online"], "a bare list reads as itself");
            Assert.AreEqual("hi", (string)client.Dm.SendAsync(9, "hi").Result["content"]);
            CollectionAssert.AreEqual(new[] { "hi", "yo" }, client.Dm.HistoryAsync(9, 2).Result.ConvertAll(m => (string)m["content"]));
            Assert.IsNull(client.Friends.RemoveAsync(9).Result, "204: no answer");

            CollectionAssert.AreEqual(
                new[]
                {
                    "POST /api/friends/requests/", "GET /api/friends/requests/?direction=outgoing", "POST /api/friends/requests/5/accept/",
                    "GET /api/friends/", "POST /api/dm/9/messages/", "GET /api/dm/9/messages/?page_size=2", "DELETE /api/friends/9/",
                },
                server.Requests.ConvertAll(r => r.Line));
            Assert.AreEqual(9, (int)server.Requests[0].Body["user_id"]);
            Assert.AreEqual("hi", (string)server.Requests[4].Body["content"]);
        }

        [Test]
        public void LeaderboardRecordsAndTournamentsCarryTheirQueryAndBody()
        {
            var server = new ScriptedServer();
            Answer(server, 201, "{\"rank\": 3, \"score\": 1000, \"metadata\": {\"level\": 9}}");
            Answer(server, 200, "[{\"rank\": 2, \"score\": 1200}, {\"rank\": 3, \"score\": 1000}]");
            Answer(server, 200, "{\"next\": \"http://game.test/api/tournaments/?page=2&page_size=200\", \"results\": [{\"id\": \"weekly-cup\"}]}");
            Answer(server, 200, "{\"next\": null, \"results\": [{\"id\": \"spring cup\"}]}");
            Answer(server, 200, "{\"joined\": true, \"entry_count\": 4}");
            var client = ClientOf(server);

            var mine = client.Leaderboards.WriteRecordAsync("high-scores", 1000, new JObject { { "level", 9 } }).Result;
            Assert.AreEqual(3, (int)mine["rank"]);
            var around = client.Leaderboards.RecordsAsync("high-scores", aroundMe: true, limit: 3, period: "previous").Result;
            Assert.AreEqual(new long[] { 1200, 1000 }, around.ConvertAll(r => (long)r["score"]).ToArray());
            var cups = client.Tournaments.ListAsync().Result;
            CollectionAssert.AreEqual(new[] { "weekly-cup", "spring cup" }, cups.ConvertAll(t => (string)t["id"]), "every page followed");
            Assert.IsTrue((bool)client.Tournaments.JoinAsync("spring cup").Result["joined"]);

            Assert.AreEqual("POST /api/leaderboards/high-scores/records/", server.Requests[0].Line);
            Assert.IsTrue(JToken.DeepEquals(JObject.Parse("{\"score\": 1000, \"metadata\": {\"level\": 9}}"), server.Requests[0].Body));
            Assert.AreEqual("GET /api/leaderboards/high-scores/records/?limit=3&around_me=1&period=previous", server.Requests[1].Line);
            Assert.AreEqual("GET /api/tournaments/?page=2&page_size=200", server.Requests[3].Line);
            Assert.AreEqual("POST /api/tournaments/spring%20cup/join/", server.Requests[4].Line, "an id is escaped in its path");
        }

        [Test]
        public void AStorageWriteSendsTheVersionItReadAndAConflictCarriesItsCode()
        {
            var server = new ScriptedServer();
            Answer(server, 200, "{\"collection\": \"saves\", \"key\": \"slot 1\", \"value\": {\"level\": 3}, \"version\": 2, \"read\": \"owner\"}");
            Answer(server, 412, "{\"detail\": \"The object changed.\", \"code\": \"version_conflict\"}");
            Answer(server, 200, "{\"version\": 1}");
            Answer(server, 200, "{\"results\": [{\"key\": \"slot 1\"}]}");
            var client = ClientOf(server);

            var saved = client.Storage.PutAsync("saves", "slot 1", new JObject { { "level", 3 } }, version: 1).Result;
            Assert.AreEqual(2, (long)saved["version"]);
            var stale = Assert.Throws<AggregateException>(() => client.Storage.PutAsync("saves", "slot 1", new JObject(), version: 1).Wait()).InnerException as GamePlatformException;
            Assert.AreEqual(412, stale.Status);
            Assert.AreEqual("version_conflict", stale.Code);
            client.Storage.PutAsync("saves", "new", 5, read: "public", createOnly: true).Wait();
            Assert.AreEqual("slot 1", (string)client.Storage.ListAsync("saves", userId: 7).Result[0]["key"]);

            Assert.AreEqual("PUT /api/storage/saves/slot%201/", server.Requests[0].Line);
            Assert.AreEqual("\"1\"", string.Join(",", server.Requests[0].Headers.GetValues("If-Match")));
            Assert.IsTrue(JToken.DeepEquals(JObject.Parse("{\"value\": {\"level\": 3}, \"read\": \"owner\"}"), server.Requests[0].Body));
            Assert.AreEqual(2, server.Requests.FindAll(r => r.Line.StartsWith("PUT /api/storage/saves/slot")).Count, "a 412 is not retried");
            Assert.AreEqual("*", string.Join(",", server.Requests[2].Headers.GetValues("If-None-Match")));
            Assert.AreEqual("public", (string)server.Requests[2].Body["read"]);
            Assert.AreEqual("GET /api/storage/saves/?user_id=7", server.Requests[3].Line);
        }

        [Test]
        public void ReplayFramesAskTheirRangeAndAStoreReceiptIsRedeemedOnce()
        {
            var server = new ScriptedServer();
            Answer(server, 200, "{\"next\": null, \"results\": [{\"tick\": 2, \"view\": {\"board\": []}}, {\"tick\": 3, \"view\": {\"board\": []}}]}");
            Answer(server, 200, "{\"purchase\": {\"id\": 1, \"store\": \"google\", \"status\": \"granted\"}, \"grants\": {\"gems\": 100}}");
            Answer(server, 409, "{\"detail\": \"Already redeemed.\", \"code\": \"already_redeemed\"}");
            var client = ClientOf(server);

            var frames = Client.Results(client.Games.ReplayFramesAsync(7, 2, 3).Result);
            CollectionAssert.AreEqual(new[] { 2, 3 }, frames.ConvertAll(f => (int)f["tick"]));
            Assert.AreEqual(100, (int)client.Payments.RedeemGoogleAsync("token-1", "gems_100").Result["grants"]["gems"]);
            var again = Assert.Throws<AggregateException>(() => client.Payments.RedeemGoogleAsync("token-1", "gems_100").Wait()).InnerException as GamePlatformException;
            Assert.AreEqual("already_redeemed", again.Code);

            Assert.AreEqual("GET /api/games/7/replay/frames/?from=2&to=3", server.Requests[0].Line);
            Assert.IsTrue(JToken.DeepEquals(JObject.Parse("{\"purchase_token\": \"token-1\", \"product_id\": \"gems_100\"}"), server.Requests[1].Body));
        }
    }
}
