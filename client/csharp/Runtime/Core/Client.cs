using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Net.Http.Headers;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;

namespace GamePlatform
{
    /// <summary>What a <see cref="Client"/> is made with; every field has a default.</summary>
    public sealed class ClientOptions
    {
        /// <summary>Where the session's tokens are kept (default: memory).</summary>
        public ISessionStorage Storage = new MemoryStorage();

        public string StorageKey = Tokens.StorageKey;

        /// <summary>Retries of idempotent REST calls (GET, PUT, DELETE) after a network failure or a 5xx.</summary>
        public RetryPolicy Retry = RetryPolicy.Default;

        /// <summary>Sockets' reconnections.</summary>
        public RetryPolicy Reconnect = RetryPolicy.Reconnect;

        /// <summary>How long a REST call or a socket request waits for its answer (default 10 s).</summary>
        public TimeSpan RequestTimeout = TimeSpan.FromSeconds(10);

        /// <summary>An access token is refreshed this long before it expires.</summary>
        public TimeSpan RefreshMargin = TimeSpan.FromSeconds(60);

        /// <summary>The HTTP pipeline (a proxy, a test's stand-in); default: a plain <see cref="HttpClientHandler"/>.</summary>
        public HttpMessageHandler HttpHandler;

        /// <summary>Draws the jitter of backoffs (0 to 1).</summary>
        public Func<double> Random;

        /// <summary>
        /// Where sockets' handlers run: null runs them on the thread that reads the socket; Unity
        /// passes its main thread's queue (<c>MainThreadDispatcher.Enqueue</c>).
        /// </summary>
        public Action<Action> Dispatcher;

        /// <summary>
        /// What this client says about itself after each sign-in (<c>PUT /api/liveops/attributes/</c>),
        /// for the flags' rules, experiments and live events; null (the default) says nothing. A
        /// failure to send never fails the sign-in.
        /// </summary>
        public ClientAttributes ClientAttributes;
    }

    /// <summary>
    /// What a client says about itself at sign-in: <see cref="Platform"/> (<c>ios</c>, <c>android</c>,
    /// <c>windows</c>...; Unity: from <c>Application.platform</c>), <see cref="AppVersion"/> (Unity:
    /// <c>Application.version</c>), and the player's <see cref="Locale"/> and <see cref="TimeZone"/>
    /// (by default the system's: <c>CultureInfo.CurrentCulture</c>, <c>TimeZoneInfo.Local</c>).
    /// </summary>
    public sealed class ClientAttributes
    {
        public string Platform;
        public string AppVersion;
        public string Locale = CultureInfo.CurrentCulture.Name;
        public string TimeZone = TimeZoneInfo.Local.Id;

        internal JObject Body()
        {
            var body = new JObject { { "custom", new JObject { { "locale", Locale ?? "" }, { "timezone", TimeZone ?? "" } } } };
            if (!string.IsNullOrEmpty(Platform))
            {
                body["platform"] = Platform;
            }
            if (!string.IsNullOrEmpty(AppVersion))
            {
                body["app_version"] = AppVersion;
            }
            return body;
        }
    }

    /// <summary>
    /// The platform's client: a session (access and refresh tokens, kept in
    /// <see cref="ClientOptions.Storage"/>, refreshed by themselves), the REST API as async calls that
    /// answer JSON (<see cref="JToken"/>) or throw <see cref="GamePlatformException"/>, and the sockets
    /// (<see cref="Socket"/>, <see cref="GameRoom"/>, <see cref="Notifications"/>).
    /// </summary>
    public class Client : IDisposable
    {
        readonly HttpClient http;
        readonly object gate = new object();
        readonly List<Socket> sockets = new List<Socket>();
        readonly Random randomSource = new Random();
        Task<Tokens> refreshing;
        Tokens tokens;
        Notifications notifications;

        public Client(string baseUrl, ClientOptions options = null)
        {
            Options = options ?? new ClientOptions();
            BaseUrl = baseUrl.TrimEnd('/');
            http = new HttpClient(Options.HttpHandler ?? new HttpClientHandler());
            http.Timeout = System.Threading.Timeout.InfiniteTimeSpan; // each call has its own (RequestTimeout)
            tokens = Tokens.Read(Options.Storage, Options.StorageKey);
            Matchmaking = new MatchmakingApi(this);
            Lobbies = new LobbiesApi(this);
            Groups = new GroupsApi(this);
            Games = new GamesApi(this);
            LiveOps = new LiveOps(this);
            Friends = new FriendsApi(this);
            Dm = new DirectMessagesApi(this);
            Leaderboards = new LeaderboardsApi(this);
            Tournaments = new TournamentsApi(this);
            Storage = new StorageApi(this);
            Payments = new PaymentsApi(this);
        }

        public ClientOptions Options { get; private set; }

        /// <summary>The server, <c>http(s)://host:port</c>; sockets go to the same host over ws(s).</summary>
        public string BaseUrl { get; private set; }

        /// <summary>The session's tokens, or null when logged out.</summary>
        public Tokens Session
        {
            get { lock (gate) { return tokens; } }
        }

        /// <summary>The logged-in user's id (from the access token), or null.</summary>
        public long? UserId
        {
            get { var now = Session; return now == null ? null : now.UserId; }
        }

        public MatchmakingApi Matchmaking { get; private set; }

        public LobbiesApi Lobbies { get; private set; }

        public GroupsApi Groups { get; private set; }

        public GamesApi Games { get; private set; }

        public LiveOps LiveOps { get; private set; }

        public FriendsApi Friends { get; private set; }

        /// <summary>Direct messages between friends.</summary>
        public DirectMessagesApi Dm { get; private set; }

        public LeaderboardsApi Leaderboards { get; private set; }

        public TournamentsApi Tournaments { get; private set; }

        /// <summary>Per-user cloud storage.</summary>
        public StorageApi Storage { get; private set; }

        /// <summary>Products, purchases and the redemption of app-store receipts.</summary>
        public PaymentsApi Payments { get; private set; }

        internal double NextRandom()
        {
            if (Options.Random != null)
            {
                return Options.Random();
            }
            lock (randomSource)
            {
                return randomSource.NextDouble();
            }
        }

        // --- the session ------------------------------------------------------------------

        void Adopt(Tokens next)
        {
            lock (gate)
            {
                tokens = next;
            }
            Tokens.Write(Options.Storage, Options.StorageKey, next);
        }

        Tokens TokensFrom(JToken answer)
        {
            var pair = answer["tokens"] as JObject ?? answer as JObject;
            var next = new Tokens((string)pair["access"], (string)pair["refresh"]);
            Adopt(next);
            return next;
        }

        /// <summary><c>POST /api/auth/register/</c>: a new account, logged in.</summary>
        public async Task<JToken> RegisterAsync(string username, string email, string password)
        {
            var body = new JObject { { "username", username }, { "email", email }, { "password", password }, { "password_confirm", password } };
            var answer = await RequestAsync("POST", "/api/auth/register/", body, auth: false).ConfigureAwait(false);
            TokensFrom(answer);
            await SayWhoIAmAsync().ConfigureAwait(false);
            return answer;
        }

        /// <summary><c>POST /api/auth/login/</c> with a username and password.</summary>
        public async Task LoginAsync(string username, string password)
        {
            var body = new JObject { { "username", username }, { "password", password } };
            TokensFrom(await RequestAsync("POST", "/api/auth/login/", body, auth: false).ConfigureAwait(false));
            await SayWhoIAmAsync().ConfigureAwait(false);
        }

        /// <summary><c>POST /api/auth/device/</c>: a guest account tied to this device's id (made on first use).</summary>
        public async Task<JToken> LoginWithDeviceAsync(string deviceId)
        {
            var answer = await RequestAsync("POST", "/api/auth/device/", new JObject { { "device_id", deviceId } }, auth: false).ConfigureAwait(false);
            TokensFrom(answer);
            await SayWhoIAmAsync().ConfigureAwait(false);
            return answer;
        }

        /// <summary><c>POST /api/auth/providers/{provider}/token/</c>: signs in with a token the provider
        /// gave this device (Google's or Apple's id token, Steam's session ticket...); an account is made
        /// on first use (<c>created</c>). 400 <c>invalid_token</c> when the provider's signature, issuer,
        /// audience or expiry does not hold.</summary>
        public async Task<JToken> LoginWithProviderAsync(string provider, string idToken)
        {
            var path = "/api/auth/providers/" + Uri.EscapeDataString(provider) + "/token/";
            var answer = await RequestAsync("POST", path, new JObject { { "id_token", idToken } }, auth: false).ConfigureAwait(false);
            TokensFrom(answer);
            await SayWhoIAmAsync().ConfigureAwait(false);
            return answer;
        }

        /// <summary>After a sign-in: what this client is (<see cref="ClientOptions.ClientAttributes"/>); never fails it.</summary>
        async Task SayWhoIAmAsync()
        {
            var said = Options.ClientAttributes;
            if (said == null)
            {
                return;
            }
            try
            {
                await RequestAsync("PUT", "/api/liveops/attributes/", said.Body()).ConfigureAwait(false);
            }
            catch (Exception)
            {
                // The sign-in holds: a server without live operations, or a moment's failure, changes nothing.
            }
        }

        /// <summary><c>POST /api/auth/link/</c>: this guest (device) account becomes a full account with
        /// a username and password, keeping its id and everything it owns (409 <c>already_linked</c>).</summary>
        public Task<JToken> LinkAccountAsync(string username, string email, string password)
        {
            return PostAsync("/api/auth/link/", new JObject { { "username", username }, { "email", email }, { "password", password } });
        }

        /// <summary>Ends the session (the refresh token is revoked on the server) and closes every socket.</summary>
        public async Task LogoutAsync()
        {
            var now = Session;
            CloseSockets();
            if (now != null)
            {
                try
                {
                    await RequestAsync("POST", "/api/auth/logout/", new JObject { { "refresh", now.Refresh } }, retry: false).ConfigureAwait(false);
                }
                catch (GamePlatformException)
                {
                    // Logged out here whatever the server says: the tokens are gone.
                }
            }
            Adopt(null);
        }

        /// <summary>
        /// Rotates the tokens now (<c>POST /api/auth/refresh/</c>); callers at the same moment share
        /// one request. A refused refresh ends the session.
        /// </summary>
        public Task<Tokens> RefreshAsync()
        {
            lock (gate)
            {
                if (refreshing == null)
                {
                    var started = RefreshOnce();
                    // A refresh that ended before it waited (no session) cleared nothing yet: keep none.
                    refreshing = started.IsCompleted ? null : started;
                    return started;
                }
                return refreshing;
            }
        }

        async Task<Tokens> RefreshOnce()
        {
            try
            {
                var now = Session;
                if (now == null)
                {
                    throw new GamePlatformException(401, "not_authenticated", "Not logged in.");
                }
                try
                {
                    var answer = await RequestAsync("POST", "/api/auth/refresh/", new JObject { { "refresh", now.Refresh } }, auth: false, retry: false).ConfigureAwait(false);
                    var access = (string)answer["access"];
                    var refresh = (string)answer["refresh"] ?? now.Refresh;
                    var next = new Tokens(access, refresh);
                    Adopt(next);
                    return next;
                }
                catch (GamePlatformException error)
                {
                    if (error.Status == 401 || error.Status == 403)
                    {
                        Adopt(null);
                    }
                    throw;
                }
            }
            finally
            {
                lock (gate)
                {
                    refreshing = null;
                }
            }
        }

        /// <summary>An access token that is not about to expire (refreshed first when it is).</summary>
        public async Task<string> AccessTokenAsync()
        {
            var now = Session;
            if (now == null)
            {
                throw new GamePlatformException(401, "not_authenticated", "Not logged in.");
            }
            var due = now.RefreshDueAt(Options.RefreshMargin);
            if (due.HasValue && DateTimeOffset.UtcNow >= due.Value)
            {
                now = await RefreshAsync().ConfigureAwait(false);
            }
            return now.Access;
        }

        // --- REST --------------------------------------------------------------------------

        /// <summary>
        /// One REST call: JSON in and out; the answer's body (null for 204), or a
        /// <see cref="GamePlatformException"/>. With a session the access token goes along (refreshed
        /// first when due; a 401 refreshes once and tries again). Idempotent calls (GET, PUT, DELETE)
        /// that meet a network failure or a 5xx are retried with backoff and jitter, waiting at least
        /// the server's <c>Retry-After</c>.
        /// </summary>
        public async Task<JToken> RequestAsync(
            string method, string path, JToken body = null, bool auth = true, bool retry = true,
            IDictionary<string, string> query = null, CancellationToken cancel = default(CancellationToken),
            IDictionary<string, string> headers = null)
        {
            var policy = Options.Retry;
            var retries = retry && RetryPolicy.IsIdempotent(method) ? policy.Retries : 0;
            for (var attempt = 0; ; attempt++)
            {
                try
                {
                    return await RequestOnce(method, path, body, auth, query, headers, true, cancel).ConfigureAwait(false);
                }
                catch (GamePlatformException error)
                {
                    if (attempt >= retries || !(error.Status == 0 && error.Code == "network_error" || error.Status >= 500))
                    {
                        throw;
                    }
                    var wait = policy.Delay(attempt, NextRandom);
                    if (error.RetryAfter.HasValue)
                    {
                        var after = TimeSpan.FromSeconds(Math.Min(error.RetryAfter.Value, policy.MaxMs / 1000));
                        if (after > wait)
                        {
                            wait = after;
                        }
                    }
                    await Task.Delay(wait, cancel).ConfigureAwait(false);
                }
            }
        }

        async Task<JToken> RequestOnce(
            string method, string path, JToken body, bool auth, IDictionary<string, string> query, IDictionary<string, string> headers,
            bool mayRefresh, CancellationToken cancel)
        {
            var withAuth = auth && Session != null;
            var message = new HttpRequestMessage(new HttpMethod(method), Url(path, query));
            message.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
            if (headers != null)
            {
                foreach (var header in headers)
                {
                    message.Headers.TryAddWithoutValidation(header.Key, header.Value);
                }
            }
            if (body != null)
            {
                message.Content = new StringContent(body.ToString(Formatting.None), Encoding.UTF8, "application/json");
            }
            if (withAuth)
            {
                message.Headers.Authorization = new AuthenticationHeaderValue("Bearer", await AccessTokenAsync().ConfigureAwait(false));
            }
            HttpResponseMessage response;
            string text;
            using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancel))
            {
                timeout.CancelAfter(Options.RequestTimeout);
                try
                {
                    response = await http.SendAsync(message, timeout.Token).ConfigureAwait(false);
                    text = response.Content == null ? "" : await response.Content.ReadAsStringAsync().ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    if (cancel.IsCancellationRequested)
                    {
                        throw;
                    }
                    throw new GamePlatformException(0, "network_error", method + " " + path + ": no answer within " + Options.RequestTimeout.TotalSeconds + " s");
                }
                catch (HttpRequestException error)
                {
                    throw new GamePlatformException(0, "network_error", "Network error: " + error.Message);
                }
            }
            var status = (int)response.StatusCode;
            if (status == 401 && withAuth && mayRefresh)
            {
                await RefreshAsync().ConfigureAwait(false);
                return await RequestOnce(method, path, body, auth, query, headers, false, cancel).ConfigureAwait(false);
            }
            if (status == 304 || status == 204 || status == 205)
            {
                return null;
            }
            if (status < 200 || status >= 300)
            {
                string retryAfter = null;
                IEnumerable<string> values;
                if (response.Headers.TryGetValues("Retry-After", out values))
                {
                    retryAfter = values.FirstOrDefault();
                }
                throw GamePlatformException.FromHttp(status, text, retryAfter);
            }
            return string.IsNullOrEmpty(text) ? null : JToken.Parse(text);
        }

        /// <summary>An absolute URL for a path of the server, or a full URL (a page's <c>next</c>), with a query.</summary>
        public string Url(string path, IDictionary<string, string> query = null)
        {
            var absolute = path.StartsWith("http://", StringComparison.OrdinalIgnoreCase) || path.StartsWith("https://", StringComparison.OrdinalIgnoreCase);
            var url = absolute ? path : BaseUrl + (path.StartsWith("/", StringComparison.Ordinal) ? path : "/" + path);
            if (query != null && query.Count > 0)
            {
                var pairs = query.Where(p => p.Value != null).Select(p => Uri.EscapeDataString(p.Key) + "=" + Uri.EscapeDataString(p.Value));
                url += (url.Contains("?") ? "&" : "?") + string.Join("&", pairs);
            }
            return url;
        }

        public Task<JToken> GetAsync(string path, IDictionary<string, string> query = null)
        {
            return RequestAsync("GET", path, query: query);
        }

        public Task<JToken> PostAsync(string path, JToken body = null)
        {
            return RequestAsync("POST", path, body ?? new JObject());
        }

        public Task<JToken> PutAsync(string path, JToken body)
        {
            return RequestAsync("PUT", path, body);
        }

        public Task<JToken> PatchAsync(string path, JToken body)
        {
            return RequestAsync("PATCH", path, body);
        }

        public Task<JToken> DeleteAsync(string path)
        {
            return RequestAsync("DELETE", path);
        }

        /// <summary>Every item of a paginated list, following <c>next</c> for at most <paramref name="maxPages"/> pages.</summary>
        public async Task<List<JToken>> AllAsync(string path, IDictionary<string, string> query = null, int maxPages = 20)
        {
            var items = new List<JToken>();
            var page = await GetAsync(path, query).ConfigureAwait(false);
            for (var n = 1; ; n++)
            {
                var list = page as JArray;
                if (list != null)
                {
                    items.AddRange(list);
                    return items;
                }
                items.AddRange((JArray)page["results"]);
                var next = page["next"];
                if (next == null || next.Type == JTokenType.Null || n >= maxPages)
                {
                    return items;
                }
                page = await GetAsync((string)next).ConfigureAwait(false);
            }
        }

        /// <summary>The items of one page of a list route (<c>results</c>, or the answer itself when it is a list).</summary>
        public async Task<List<JToken>> ListAsync(string path, IDictionary<string, string> query = null)
        {
            return Results(await GetAsync(path, query).ConfigureAwait(false));
        }

        /// <summary>The items of an answer: its <c>results</c> when it is a page, itself when it is a list, none when empty.</summary>
        public static List<JToken> Results(JToken answer)
        {
            var list = answer as JArray ?? (answer is JObject ? answer["results"] as JArray : null);
            return list == null ? new List<JToken>() : list.ToList();
        }

        // --- accounts ------------------------------------------------------------------------

        /// <summary><c>GET /api/status/</c>: the server's health and version (no session needed).</summary>
        public Task<JToken> StatusAsync()
        {
            return RequestAsync("GET", "/api/status/", auth: false);
        }

        /// <summary><c>GET /api/me/</c>.</summary>
        public Task<JToken> MeAsync()
        {
            return GetAsync("/api/me/");
        }

        /// <summary><c>PUT /api/me/age/</c> with a birth date the player declares (<c>"2012-05-01"</c>): <c>{age_band, age_source}</c>. A declaration never raises a band already set (409 <c>age_locked</c>).</summary>
        public Task<JToken> SetBirthDateAsync(string birthDate)
        {
            return PutAsync("/api/me/age/", new JObject { { "birth_date", birthDate } });
        }

        /// <summary><c>PUT /api/me/age/</c> with the band a store gave the app: <paramref name="source"/> <c>"apple"</c> (Declared Age Range; <paramref name="appTransaction"/>: the AppTransaction's JWS, so that Apple's RESCIND_CONSENT reaches this account) or <c>"google"</c> (Play Age Signals); bands <c>under_13</c>, <c>13_15</c>, <c>16_17</c>, <c>adult</c>, <c>unknown</c>.</summary>
        public Task<JToken> SetAgeAsync(string band, string source, string appTransaction = null)
        {
            var body = new JObject { { "band", band }, { "source", source } };
            if (appTransaction != null)
            {
                body["app_transaction"] = appTransaction;
            }
            return PutAsync("/api/me/age/", body);
        }

        // --- sockets -----------------------------------------------------------------------

        /// <summary>A socket on <paramref name="path"/> (<c>/ws/lobbies/3/</c>...) that connects at once, queues what is sent before it opens and reconnects by itself.</summary>
        public Socket Socket(string path)
        {
            var socket = new Socket(this, path);
            lock (sockets)
            {
                sockets.Add(socket);
            }
            socket.Start();
            return socket;
        }

        internal void Forget(Socket socket)
        {
            lock (sockets)
            {
                sockets.Remove(socket);
            }
        }

        /// <summary>The game socket of game <paramref name="gameId"/> as a room: its view kept current, its calls.</summary>
        public GameRoom GameRoom(long gameId)
        {
            return new GameRoom(this, gameId);
        }

        /// <summary>My notifications socket (one per client, opened on first use).</summary>
        public Notifications Notifications()
        {
            lock (gate)
            {
                if (notifications == null || notifications.Socket.Closed)
                {
                    notifications = new Notifications(this);
                }
                return notifications;
            }
        }

        /// <summary>The socket URL of <paramref name="path"/> with a fresh one-time ticket (<c>POST /api/auth/ws-ticket/</c>).</summary>
        internal async Task<Uri> SocketUrlAsync(string path)
        {
            var ticket = (string)(await PostAsync("/api/auth/ws-ticket/").ConfigureAwait(false))["ticket"];
            var url = BaseUrl.Replace("https://", "wss://").Replace("http://", "ws://") + path;
            return new Uri(url + (path.Contains("?") ? "&" : "?") + "ticket=" + Uri.EscapeDataString(ticket));
        }

        void CloseSockets()
        {
            List<Socket> open;
            lock (sockets)
            {
                open = sockets.ToList();
                sockets.Clear();
            }
            foreach (var socket in open)
            {
                socket.Close();
            }
        }

        /// <summary>Closes every socket this client opened.</summary>
        public void Dispose()
        {
            CloseSockets();
            http.Dispose();
        }
    }
}
