using System;
using System.Collections.Generic;
using Newtonsoft.Json.Linq;

namespace GamePlatform
{
    /// <summary>
    /// Every refusal the platform answers, from REST or a socket, as one exception: the contract's
    /// machine <see cref="Code"/> (<c>lobby_full</c>, <c>rate_limited</c>, <c>invalid</c>...), the HTTP
    /// <see cref="Status"/> (0 for a socket frame or a client-side failure), the field errors of a
    /// validation answer and the <see cref="RetryAfter"/> seconds the server asked for.
    /// </summary>
    public class GamePlatformException : Exception
    {
        public GamePlatformException(int status, string code, string detail)
            : this(status, code, detail, null, null, null)
        {
        }

        public GamePlatformException(
            int status, string code, string detail, IDictionary<string, string[]> fields, double? retryAfter, string reference)
            : base(Describe(code, detail, fields))
        {
            Status = status;
            Code = code ?? "error";
            Detail = detail ?? Code;
            Fields = fields ?? new Dictionary<string, string[]>();
            RetryAfter = retryAfter;
            Ref = reference;
        }

        /// <summary>The HTTP status; 0 for a socket's <c>error</c> frame or a failure on this side (<c>timeout</c>).</summary>
        public int Status { get; private set; }

        /// <summary>The contract's code (<c>invalid</c> for a validation answer, <c>timeout</c>, <c>disconnected</c>).</summary>
        public string Code { get; private set; }

        /// <summary>The human message.</summary>
        public string Detail { get; private set; }

        /// <summary>A validation answer's messages by field (empty otherwise).</summary>
        public IDictionary<string, string[]> Fields { get; private set; }

        /// <summary>Seconds to wait before trying again (<c>rate_limited</c>, <c>unavailable</c>, 503), if given.</summary>
        public double? RetryAfter { get; private set; }

        /// <summary>The <c>ref</c> of the socket frame this answers, if any.</summary>
        public string Ref { get; private set; }

        /// <summary>
        /// The error of an HTTP answer: <c>{"detail", "code"}</c>, or DRF's validation shape
        /// <c>{"field": ["message"]}</c> (code <c>invalid</c>); <paramref name="retryAfterHeader"/> is the
        /// <c>Retry-After</c> header when there is one.
        /// </summary>
        public static GamePlatformException FromHttp(int status, string body, string retryAfterHeader)
        {
            JObject json = null;
            try
            {
                json = JToken.Parse(string.IsNullOrEmpty(body) ? "null" : body) as JObject;
            }
            catch (Newtonsoft.Json.JsonException)
            {
            }
            double? retryAfter = ParseSeconds(retryAfterHeader);
            if (json == null)
            {
                return new GamePlatformException(status, DefaultCode(status), "HTTP " + status, null, retryAfter, null);
            }
            var code = (string)json["code"];
            var detail = json["detail"] != null && json["detail"].Type == JTokenType.String ? (string)json["detail"] : null;
            if (json["retry_after"] != null && json["retry_after"].Type != JTokenType.Null)
            {
                retryAfter = (double)json["retry_after"];
            }
            var fields = new Dictionary<string, string[]>();
            if (code == null && detail == null)
            {
                foreach (var property in json.Properties())
                {
                    fields[property.Name] = Messages(property.Value);
                }
                code = "invalid";
                detail = "Invalid input.";
            }
            else if (json["fields"] is JObject)
            {
                foreach (var property in ((JObject)json["fields"]).Properties())
                {
                    fields[property.Name] = Messages(property.Value);
                }
            }
            return new GamePlatformException(status, code ?? DefaultCode(status), detail ?? ("HTTP " + status), fields, retryAfter, null);
        }

        /// <summary>The error of a socket's <c>{"type": "error", "code", "message", "ref"?, "retry_after"?, "fields"?}</c> frame.</summary>
        public static GamePlatformException FromFrame(JObject frame)
        {
            var fields = new Dictionary<string, string[]>();
            var given = frame["fields"] as JObject;
            if (given != null)
            {
                foreach (var property in given.Properties())
                {
                    fields[property.Name] = Messages(property.Value);
                }
            }
            double? retryAfter = null;
            if (frame["retry_after"] != null && frame["retry_after"].Type != JTokenType.Null)
            {
                retryAfter = (double)frame["retry_after"];
            }
            var reference = frame["ref"] != null && frame["ref"].Type != JTokenType.Null ? frame["ref"].ToString() : null;
            return new GamePlatformException(0, (string)frame["code"], (string)frame["message"], fields, retryAfter, reference);
        }

        static string Describe(string code, string detail, IDictionary<string, string[]> fields)
        {
            var text = (detail ?? code ?? "error") + " (" + (code ?? "error") + ")";
            if (fields != null && fields.Count > 0)
            {
                var parts = new List<string>();
                foreach (var field in fields)
                {
                    parts.Add(field.Key + ": " + string.Join(" ", field.Value));
                }
                text += " " + string.Join("; ", parts);
            }
            return text;
        }

        static string[] Messages(JToken value)
        {
            var array = value as JArray;
            if (array == null)
            {
                return new[] { value.ToString() };
            }
            var messages = new List<string>();
            foreach (var item in array)
            {
                messages.Add(item.Type == JTokenType.String ? (string)item : item.ToString());
            }
            return messages.ToArray();
        }

        static double? ParseSeconds(string header)
        {
            double seconds;
            if (!string.IsNullOrEmpty(header) && double.TryParse(header, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out seconds))
            {
                return seconds;
            }
            return null;
        }

        static string DefaultCode(int status)
        {
            switch (status)
            {
                case 400: return "invalid";
                case 401: return "not_authenticated";
                case 403: return "permission_denied";
                case 404: return "not_found";
                case 409: return "conflict";
                case 429: return "rate_limited";
                case 503: return "overloaded";
                default: return "error";
            }
        }
    }
}
