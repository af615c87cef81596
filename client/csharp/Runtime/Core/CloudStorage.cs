using System.Collections.Generic;
using System.Globalization;
using System.Threading.Tasks;
using Newtonsoft.Json.Linq;

namespace GamePlatform
{
    /// <summary>
    /// Per-user cloud storage (<c>/api/storage/{collection}/{key}/</c>): JSON objects of at most 16 KiB,
    /// <c>{collection, key, value, version, read, updated_at}</c>, readable by their owner or by
    /// everyone (<c>read</c> <c>public</c>). A write given the <c>version</c> it read fails with 412
    /// <c>version_conflict</c> when another write came first.
    /// </summary>
    public sealed class StorageApi
    {
        readonly Client client;

        internal StorageApi(Client client)
        {
            this.client = client;
        }

        /// <summary>An object of mine, or another user's public one (<paramref name="userId"/>); 404 when there is none.</summary>
        public Task<JToken> GetAsync(string collection, string key, long? userId = null)
        {
            return client.GetAsync(PathOf(collection, key), ByUser(userId));
        }

        /// <summary>
        /// Writes an object whole; answers it with its new <c>version</c>. <paramref name="version"/>:
        /// only if it is still at that version; <paramref name="createOnly"/>: only if there is none
        /// (both 412 <c>version_conflict</c> otherwise).
        /// </summary>
        public Task<JToken> PutAsync(string collection, string key, JToken value, string read = "owner", long? version = null, bool createOnly = false)
        {
            var headers = new Dictionary<string, string>();
            if (version.HasValue)
            {
                headers["If-Match"] = "\"" + version.Value.ToString(CultureInfo.InvariantCulture) + "\"";
            }
            if (createOnly)
            {
                headers["If-None-Match"] = "*";
            }
            var body = new JObject { { "value", value ?? JValue.CreateNull() }, { "read", read } };
            return client.RequestAsync("PUT", PathOf(collection, key), body, headers: headers);
        }

        /// <summary>Deletes an object (only if still at <paramref name="version"/>, when given).</summary>
        public Task<JToken> DeleteAsync(string collection, string key, long? version = null)
        {
            var headers = new Dictionary<string, string>();
            if (version.HasValue)
            {
                headers["If-Match"] = "\"" + version.Value.ToString(CultureInfo.InvariantCulture) + "\"";
            }
            return client.RequestAsync("DELETE", PathOf(collection, key), headers: headers);
        }

        /// <summary>My objects of a collection by key, or another user's public ones (first page).</summary>
        public Task<List<JToken>> ListAsync(string collection, long? userId = null)
        {
            return client.ListAsync("/api/storage/" + System.Uri.EscapeDataString(collection) + "/", ByUser(userId));
        }

        static string PathOf(string collection, string key)
        {
            return "/api/storage/" + System.Uri.EscapeDataString(collection) + "/" + System.Uri.EscapeDataString(key) + "/";
        }

        static IDictionary<string, string> ByUser(long? userId)
        {
            return userId.HasValue ? new Dictionary<string, string> { { "user_id", userId.Value.ToString(CultureInfo.InvariantCulture) } } : null;
        }
    }
}
