using System.Collections.Generic;
using System.Threading.Tasks;
using Newtonsoft.Json.Linq;

namespace GamePlatform
{
    /// <summary>The friends graph and presence (<c>/api/friends/</c>, <c>/ws/friends/status/</c>).</summary>
    public sealed class FriendsApi
    {
        readonly Client client;

        internal FriendsApi(Client client)
        {
            this.client = client;
        }

        /// <summary>My friends, <c>[{user, online, since, last_seen}]</c>: presence included.</summary>
        public Task<List<JToken>> ListAsync()
        {
            return client.ListAsync("/api/friends/");
        }

        /// <summary>
        /// A friend request to <paramref name="userId"/> (201 the request); 409 when one is pending or we
        /// are friends, 403 <c>blocked</c>; a request to someone who already asked me accepts theirs.
        /// </summary>
        public Task<JToken> SendRequestAsync(long userId)
        {
            return client.PostAsync("/api/friends/requests/", new JObject { { "user_id", userId } });
        }

        /// <summary>The pending requests sent to me (<c>incoming</c>) or by me (<c>outgoing</c>).</summary>
        public Task<List<JToken>> RequestsAsync(string direction = "incoming")
        {
            return client.ListAsync("/api/friends/requests/", new Dictionary<string, string> { { "direction", direction } });
        }

        public Task<JToken> AcceptRequestAsync(long requestId)
        {
            return client.PostAsync("/api/friends/requests/" + requestId + "/accept/");
        }

        public Task<JToken> DeclineRequestAsync(long requestId)
        {
            return client.PostAsync("/api/friends/requests/" + requestId + "/decline/");
        }

        /// <summary>Withdraws a request I sent.</summary>
        public Task<JToken> CancelRequestAsync(long requestId)
        {
            return client.DeleteAsync("/api/friends/requests/" + requestId + "/");
        }

        /// <summary>Unfriends <paramref name="userId"/>.</summary>
        public Task<JToken> RemoveAsync(long userId)
        {
            return client.DeleteAsync("/api/friends/" + userId + "/");
        }

        /// <summary>Blocks <paramref name="userId"/> (blocking also unfriends).</summary>
        public Task<JToken> BlockAsync(long userId)
        {
            return client.PostAsync("/api/friends/blocks/", new JObject { { "user_id", userId } });
        }

        public Task<JToken> UnblockAsync(long userId)
        {
            return client.DeleteAsync("/api/friends/blocks/" + userId + "/");
        }

        /// <summary>The presence socket: <c>presence_snapshot {friends: [{user_id, online}]}</c> on connect, then <c>presence {user_id, status}</c>.</summary>
        public Socket PresenceSocket()
        {
            return client.Socket("/ws/friends/status/");
        }
    }

    /// <summary>Direct messages between friends (<c>/api/dm/</c>, <c>/ws/dm/{user_id}/</c>); others: 403 <c>not_friends</c> / <c>blocked</c>.</summary>
    public sealed class DirectMessagesApi
    {
        readonly Client client;

        internal DirectMessagesApi(Client client)
        {
            this.client = client;
        }

        /// <summary>My conversations, <c>[{user, last_message, unread_count}]</c>.</summary>
        public Task<List<JToken>> ConversationsAsync()
        {
            return client.ListAsync("/api/dm/");
        }

        /// <summary>The newest page of the conversation with <paramref name="userId"/>, oldest first: <c>[{id, sender_id, recipient_id, content, created_at}]</c>.</summary>
        public Task<List<JToken>> HistoryAsync(long userId, int pageSize = 50)
        {
            return client.ListAsync("/api/dm/" + userId + "/messages/", new Dictionary<string, string> { { "page_size", pageSize.ToString() } });
        }

        /// <summary>Sends <paramref name="content"/> to <paramref name="userId"/>; answers the message.</summary>
        public Task<JToken> SendAsync(long userId, string content)
        {
            return client.PostAsync("/api/dm/" + userId + "/messages/", new JObject { { "content", content } });
        }

        /// <summary>Marks the conversation with <paramref name="userId"/> read.</summary>
        public Task<JToken> MarkReadAsync(long userId)
        {
            return client.PostAsync("/api/dm/" + userId + "/read/");
        }

        /// <summary>The conversation's socket: <c>dm_message {message}</c> frames in; <see cref="Socket.Send"/> a <c>dm_message {content}</c> to write.</summary>
        public Socket Socket(long userId)
        {
            return client.Socket("/ws/dm/" + userId + "/");
        }
    }
}
