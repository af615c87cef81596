using System;
using System.Collections.Generic;
using System.IO;
using System.Text;
using Newtonsoft.Json.Linq;

namespace GamePlatform
{
    /// <summary>Where a session's tokens are kept between runs (<see cref="MemoryStorage"/>, <see cref="FileStorage"/>, Unity's PlayerPrefs...).</summary>
    public interface ISessionStorage
    {
        string Get(string key);

        void Set(string key, string value);

        void Remove(string key);
    }

    /// <summary>A storage that lives as long as the process.</summary>
    public sealed class MemoryStorage : ISessionStorage
    {
        readonly Dictionary<string, string> items = new Dictionary<string, string>();

        public string Get(string key)
        {
            string value;
            lock (items)
            {
                return items.TryGetValue(key, out value) ? value : null;
            }
        }

        public void Set(string key, string value)
        {
            lock (items)
            {
                items[key] = value;
            }
        }

        public void Remove(string key)
        {
            lock (items)
            {
                items.Remove(key);
            }
        }
    }

    /// <summary>A storage in a directory, one file a key (a desktop game's or a bot's session survives a restart).</summary>
    public sealed class FileStorage : ISessionStorage
    {
        readonly string directory;

        public FileStorage(string directory)
        {
            this.directory = directory;
            Directory.CreateDirectory(directory);
        }

        string PathOf(string key)
        {
            return Path.Combine(directory, key.Replace('/', '_') + ".json");
        }

        public string Get(string key)
        {
            var path = PathOf(key);
            return File.Exists(path) ? File.ReadAllText(path, Encoding.UTF8) : null;
        }

        public void Set(string key, string value)
        {
            var path = PathOf(key);
            var temporary = path + ".tmp";
            File.WriteAllText(temporary, value, Encoding.UTF8);
            if (File.Exists(path))
            {
                File.Delete(path);
            }
            File.Move(temporary, path);
        }

        public void Remove(string key)
        {
            var path = PathOf(key);
            if (File.Exists(path))
            {
                File.Delete(path);
            }
        }
    }

    /// <summary>An access token and a refresh token (JWTs).</summary>
    public sealed class Tokens
    {
        public Tokens(string access, string refresh)
        {
            Access = access;
            Refresh = refresh;
        }

        public string Access { get; private set; }

        public string Refresh { get; private set; }

        /// <summary>The browser SDK's shape (<c>{access, refresh}</c>) under this key: one session format for every SDK.</summary>
        public const string StorageKey = "gameplatform.auth";

        public static Tokens Read(ISessionStorage storage, string key)
        {
            try
            {
                var value = JToken.Parse(storage.Get(key) ?? "null") as JObject;
                if (value != null && value["access"] != null && value["access"].Type == JTokenType.String
                    && value["refresh"] != null && value["refresh"].Type == JTokenType.String)
                {
                    return new Tokens((string)value["access"], (string)value["refresh"]);
                }
            }
            catch (Newtonsoft.Json.JsonException)
            {
                // A value another program wrote: no session.
            }
            return null;
        }

        public static void Write(ISessionStorage storage, string key, Tokens tokens)
        {
            if (tokens == null)
            {
                storage.Remove(key);
            }
            else
            {
                storage.Set(key, new JObject { { "access", tokens.Access }, { "refresh", tokens.Refresh } }.ToString(Newtonsoft.Json.Formatting.None));
            }
        }

        /// <summary>A JWT's claims, unverified (the server verifies); null when it is not a JWT.</summary>
        public static JObject Claims(string token)
        {
            try
            {
                var part = token.Split('.')[1].Replace('-', '+').Replace('_', '/');
                part += new string('=', (4 - part.Length % 4) % 4);
                return JToken.Parse(Encoding.UTF8.GetString(Convert.FromBase64String(part))) as JObject;
            }
            catch (Exception)
            {
                return null;
            }
        }

        /// <summary>The user id the access token is for (its <c>user_id</c> claim), or null.</summary>
        public long? UserId
        {
            get
            {
                var claims = Claims(Access);
                var id = claims == null ? null : claims["user_id"];
                if (id == null || (id.Type != JTokenType.Integer && id.Type != JTokenType.String))
                {
                    return null;
                }
                long value;
                return long.TryParse(id.ToString(), out value) ? value : (long?)null;
            }
        }

        /// <summary>
        /// When to refresh the access token: <paramref name="margin"/> before it expires, or a quarter
        /// of its lifetime before for tokens that live less than four margins; null without <c>exp</c>.
        /// </summary>
        public DateTimeOffset? RefreshDueAt(TimeSpan margin)
        {
            var claims = Claims(Access);
            if (claims == null || claims["exp"] == null || claims["exp"].Type != JTokenType.Integer && claims["exp"].Type != JTokenType.Float)
            {
                return null;
            }
            var exp = (double)claims["exp"];
            var lifetime = claims["iat"] != null && (claims["iat"].Type == JTokenType.Integer || claims["iat"].Type == JTokenType.Float)
                ? exp - (double)claims["iat"]
                : margin.TotalSeconds * 4;
            var seconds = exp - Math.Min(margin.TotalSeconds, lifetime / 4);
            return DateTimeOffset.FromUnixTimeMilliseconds((long)(seconds * 1000));
        }
    }
}
