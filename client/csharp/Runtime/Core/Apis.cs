using System.Collections.Generic;
using System.Threading.Tasks;
using Newtonsoft.Json.Linq;

namespace GamePlatform
{
    /// <summary>The matchmaking queue (<c>/api/matchmaking/</c>).</summary>
    public sealed class MatchmakingApi
    {
        readonly Client client;

        internal MatchmakingApi(Client client)
        {
            this.client = client;
        }

        /// <summary>The mode I am queued for through <see cref="JoinAsync"/>, or null (matched, left or never queued).</summary>
        public string QueuedMode { get; internal set; }

        /// <summary><c>{status: "queued", mode, position}</c> or <c>{status: "matched", game_id}</c>.</summary>
        public async Task<JToken> JoinAsync(string mode = "tictactoe")
        {
            var answer = await client.PostAsync("/api/matchmaking/join/", new JObject { { "mode", mode } }).ConfigureAwait(false);
            QueuedMode = (string)answer["status"] == "queued" ? mode : null;
            return answer;
        }

        public async Task<JToken> LeaveAsync()
        {
            var answer = await client.PostAsync("/api/matchmaking/leave/").ConfigureAwait(false);
            QueuedMode = null;
            return answer;
        }

        public Task<JToken> StatusAsync()
        {
            return client.GetAsync("/api/matchmaking/status/");
        }

        /// <summary>Queues for <paramref name="mode"/> and answers the game id of my match (through my notifications socket).</summary>
        public Task<long> FindMatchAsync(string mode = "tictactoe", System.TimeSpan? timeout = null)
        {
            return client.Notifications().FindMatchAsync(mode, timeout);
        }
    }

    /// <summary>Games, their modes and replays (<c>/api/games/</c>, <c>/api/game/</c>).</summary>
    public sealed class GamesApi
    {
        readonly Client client;

        internal GamesApi(Client client)
        {
            this.client = client;
        }

        public Task<JToken> GetAsync(long gameId)
        {
            return client.GetAsync("/api/games/" + gameId + "/");
        }

        public Task<List<JToken>> ModesAsync()
        {
            return client.AllAsync("/api/game/modes/");
        }

        /// <summary>A finished game's replay: <c>{game_id, mode, mode_version, seed, players, inputs, result}</c> (409 <c>replay_unavailable</c> when the mode's code changed).</summary>
        public Task<JToken> ReplayAsync(long gameId)
        {
            return client.GetAsync("/api/games/" + gameId + "/replay/");
        }

        /// <summary>
        /// What a spectator saw of a finished game, tick by tick (or turn by turn) from
        /// <paramref name="from"/> to <paramref name="to"/>: a page, <c>{results: [{tick, view}], next}</c>,
        /// at most 600 frames; <see cref="Client.Results"/> reads its frames.
        /// </summary>
        public Task<JToken> ReplayFramesAsync(long gameId, long from = 0, long? to = null)
        {
            var query = new Dictionary<string, string> { { "from", from.ToString(System.Globalization.CultureInfo.InvariantCulture) } };
            if (to.HasValue)
            {
                query["to"] = to.Value.ToString(System.Globalization.CultureInfo.InvariantCulture);
            }
            return client.GetAsync("/api/games/" + gameId + "/replay/frames/", query);
        }
    }

    /// <summary>Lobbies and their chat (<c>/api/lobbies/</c>, <c>/ws/lobbies/{id}/</c>).</summary>
    public sealed class LobbiesApi
    {
        readonly Client client;

        internal LobbiesApi(Client client)
        {
            this.client = client;
        }

        /// <summary>A new lobby (premium players only: 403 <c>premium_required</c> otherwise).</summary>
        public Task<JToken> CreateAsync(string name, int maxParticipants = 8)
        {
            return client.PostAsync("/api/lobbies/", new JObject { { "name", name }, { "max_participants", maxParticipants } });
        }

        public Task<JToken> JoinAsync(long lobbyId)
        {
            return client.PostAsync("/api/lobbies/" + lobbyId + "/join/");
        }

        public Task<JToken> LeaveAsync(long lobbyId)
        {
            return client.PostAsync("/api/lobbies/" + lobbyId + "/leave/");
        }

        /// <summary>The lobby's socket: <c>chat_message</c> frames in, <see cref="Socket.Send"/> a <c>chat_message</c> to speak.</summary>
        public Socket Socket(long lobbyId)
        {
            return client.Socket("/ws/lobbies/" + lobbyId + "/");
        }
    }

    /// <summary>Groups and their chat (<c>/api/groups/</c>, <c>/ws/groups/{id}/</c>).</summary>
    public sealed class GroupsApi
    {
        readonly Client client;

        internal GroupsApi(Client client)
        {
            this.client = client;
        }

        /// <summary>A new group; its creator is its <c>superadmin</c>.</summary>
        public Task<JToken> CreateAsync(string name, string description = "", bool open = true, int maxMembers = 100)
        {
            var body = new JObject { { "name", name }, { "description", description }, { "open", open }, { "max_members", maxMembers } };
            return client.PostAsync("/api/groups/", body);
        }

        /// <summary>An open group: a member at once; a closed one: a join request its admins accept.</summary>
        public Task<JToken> JoinAsync(long groupId)
        {
            return client.PostAsync("/api/groups/" + groupId + "/join/");
        }

        public Task<JToken> LeaveAsync(long groupId)
        {
            return client.PostAsync("/api/groups/" + groupId + "/leave/");
        }

        /// <summary>The group's chat socket (members only): <c>chat_message</c> frames in, <see cref="Socket.Send"/> a <c>chat_message</c> to speak.</summary>
        public Socket Socket(long groupId)
        {
            return client.Socket("/ws/groups/" + groupId + "/");
        }
    }

    /// <summary>
    /// Live operations (<c>/api/liveops/</c>): the flags the studio sets for me, read with
    /// <see cref="Flag{T}"/> and a default; <see cref="TrackAsync"/> sends analytics events.
    /// </summary>
    public sealed class LiveOps
    {
        readonly Client client;
        JObject answer = new JObject();

        internal LiveOps(Client client)
        {
            this.client = client;
        }

        /// <summary>The last answer of <c>GET /api/liveops/</c> (empty before the first refresh).</summary>
        public JObject Answer
        {
            get { return answer; }
        }

        /// <summary><c>GET /api/liveops/</c>: my flags, experiments, live events and unread messages, now.</summary>
        public async Task<JObject> RefreshAsync()
        {
            answer = (JObject)await client.GetAsync("/api/liveops/").ConfigureAwait(false);
            return answer;
        }

        /// <summary>A flag's value for me, or <paramref name="fallback"/> when it is unknown or of another type.</summary>
        public T Flag<T>(string name, T fallback)
        {
            var flags = answer["flags"] as JObject;
            JToken value;
            if (flags == null || !flags.TryGetValue(name, out value) || value.Type == JTokenType.Null)
            {
                return fallback;
            }
            try
            {
                return value.ToObject<T>();
            }
            catch (System.Exception)
            {
                return fallback;
            }
        }

        /// <summary>
        /// <c>POST /api/liveops/events/</c>: one analytics event (its <paramref name="value"/> and
        /// <paramref name="metadata"/>), with an id of its own: sent again, it counts once. Answers
        /// <c>{accepted, duplicates}</c>.
        /// </summary>
        public Task<JToken> TrackAsync(string name, double? value = null, JObject metadata = null)
        {
            var item = new JObject
            {
                { "id", System.Guid.NewGuid().ToString("N") },
                { "name", name },
                { "timestamp", System.DateTime.UtcNow.ToString("o", System.Globalization.CultureInfo.InvariantCulture) },
            };
            if (value.HasValue)
            {
                item["value"] = value.Value;
            }
            if (metadata != null)
            {
                item["metadata"] = metadata;
            }
            return client.RequestAsync("POST", "/api/liveops/events/", new JObject { { "events", new JArray { item } } });
        }
    }
}
