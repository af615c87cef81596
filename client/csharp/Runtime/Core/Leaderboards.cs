using System.Collections.Generic;
using System.Threading.Tasks;
using Newtonsoft.Json.Linq;

namespace GamePlatform
{
    /// <summary>Leaderboards (<c>/api/leaderboards/</c>) and the ratings of a mode (<c>/api/leaderboard/</c>).</summary>
    public sealed class LeaderboardsApi
    {
        readonly Client client;

        internal LeaderboardsApi(Client client)
        {
            this.client = client;
        }

        /// <summary>Every board that is not a tournament's, by id (all the pages).</summary>
        public Task<List<JToken>> ListAsync()
        {
            return client.AllAsync("/api/leaderboards/", new Dictionary<string, string> { { "page_size", "200" } });
        }

        public Task<JToken> GetAsync(string boardId)
        {
            return client.GetAsync("/api/leaderboards/" + Slug(boardId) + "/");
        }

        /// <summary>
        /// A new board (staff in the role <c>liveops</c> or <c>admin</c> only: 403 <c>admin_only</c>);
        /// <paramref name="sort"/> <c>desc</c>/<c>asc</c>, <paramref name="op"/> <c>best</c>/<c>set</c>/<c>incr</c>,
        /// <paramref name="reset"/> a 5-field cron (UTC) or null.
        /// </summary>
        public Task<JToken> CreateAsync(
            string boardId, string sort = "desc", string op = "best", string reset = null, bool authoritative = false, JObject metadata = null)
        {
            var body = new JObject
            {
                { "id", boardId }, { "sort", sort }, { "operator", op }, { "reset", reset }, { "authoritative", authoritative },
                { "metadata", metadata ?? new JObject() },
            };
            return client.PostAsync("/api/leaderboards/", body);
        }

        /// <summary>My record after the board's operator: <c>{rank, user, score, metadata, reached_at, updated_at}</c> (403 <c>authoritative</c> on a board only the server writes).</summary>
        public Task<JToken> WriteRecordAsync(string boardId, long score, JObject metadata = null)
        {
            return client.PostAsync("/api/leaderboards/" + Slug(boardId) + "/records/", new JObject { { "score", score }, { "metadata", metadata ?? new JObject() } });
        }

        /// <summary>
        /// The top <paramref name="limit"/> rows, or those around my record; <paramref name="period"/>
        /// <c>previous</c> reads the archive of the last reset: <c>[{rank, user, score, metadata, updated_at}]</c>.
        /// </summary>
        public Task<List<JToken>> RecordsAsync(string boardId, bool aroundMe = false, int limit = 20, string period = null)
        {
            var query = new Dictionary<string, string> { { "limit", limit.ToString() }, { "around_me", aroundMe ? "1" : "0" }, { "period", period } };
            return client.ListAsync("/api/leaderboards/" + Slug(boardId) + "/records/", query);
        }

        /// <summary>The rating ladder of a mode: <c>[{rank, user, rating, wins, losses, draws}]</c> (first page).</summary>
        public Task<List<JToken>> RatingsAsync(string mode = "tictactoe")
        {
            return client.ListAsync("/api/leaderboard/", new Dictionary<string, string> { { "mode", mode } });
        }

        internal static string Slug(string id)
        {
            return System.Uri.EscapeDataString(id);
        }
    }

    /// <summary>Tournaments (<c>/api/tournaments/</c>): time-boxed leaderboards with an entry fee and rewards.</summary>
    public sealed class TournamentsApi
    {
        readonly Client client;

        internal TournamentsApi(Client client)
        {
            this.client = client;
        }

        /// <summary>Every tournament, the latest to start first (all the pages).</summary>
        public Task<List<JToken>> ListAsync()
        {
            return client.AllAsync("/api/tournaments/", new Dictionary<string, string> { { "page_size", "200" } });
        }

        public Task<JToken> GetAsync(string tournamentId)
        {
            return client.GetAsync("/api/tournaments/" + LeaderboardsApi.Slug(tournamentId) + "/");
        }

        /// <summary>Staff only; <paramref name="fields"/>: title, sort, operator, max_entries, entry_fee, rewards (ISO 8601 <paramref name="start"/> and <paramref name="end"/>).</summary>
        public Task<JToken> CreateAsync(string tournamentId, string start, string end, JObject fields = null)
        {
            var body = fields == null ? new JObject() : (JObject)fields.DeepClone();
            body["id"] = tournamentId;
            body["start"] = start;
            body["end"] = end;
            return client.PostAsync("/api/tournaments/", body);
        }

        /// <summary>Pays the entry fee once (402 <c>insufficient_funds</c>); my records then go to its board (<see cref="LeaderboardsApi.WriteRecordAsync"/>).</summary>
        public Task<JToken> JoinAsync(string tournamentId)
        {
            return client.PostAsync("/api/tournaments/" + LeaderboardsApi.Slug(tournamentId) + "/join/");
        }
    }
}
