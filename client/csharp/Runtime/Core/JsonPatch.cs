using System;
using System.Collections.Generic;
using System.Text.RegularExpressions;
using Newtonsoft.Json.Linq;

namespace GamePlatform
{
    /// <summary>A JSON Patch that does not fit the document it is applied to.</summary>
    public class PatchException : Exception
    {
        public PatchException(string message) : base(message)
        {
        }
    }

    /// <summary>
    /// RFC 6902 JSON Patch, applied to a copy: what turns a game room's view into the next one
    /// (<c>state_patch {ops}</c>). All six operations; a patch that does not fit throws
    /// <see cref="PatchException"/> and leaves the document as it was.
    /// </summary>
    public static class JsonPatch
    {
        static readonly Regex Index = new Regex(@"^(0|[1-9][0-9]*)$");

        /// <summary><paramref name="document"/> with <paramref name="ops"/> applied, as a new document.</summary>
        public static JToken Apply(JToken document, JArray ops)
        {
            var root = document == null ? JValue.CreateNull() : document.DeepClone();
            foreach (var token in ops)
            {
                var op = token as JObject;
                if (op == null)
                {
                    throw new PatchException("an operation is not an object");
                }
                root = ApplyOne(root, op);
            }
            return root;
        }

        static JToken ApplyOne(JToken root, JObject op)
        {
            var name = (string)op["op"];
            var path = (string)op["path"];
            if (path == null)
            {
                throw new PatchException(name + " without path");
            }
            switch (name)
            {
                case "add":
                    return Put(root, path, Value(op), true);
                case "replace":
                    return Put(root, path, Value(op), false);
                case "remove":
                    return Remove(root, path);
                case "move":
                {
                    var from = From(op);
                    if (path.StartsWith(from + "/", StringComparison.Ordinal))
                    {
                        throw new PatchException("cannot move " + from + " into itself");
                    }
                    var value = Get(root, from).DeepClone();
                    return Put(Remove(root, from), path, value, true);
                }
                case "copy":
                    return Put(root, path, Get(root, From(op)).DeepClone(), true);
                case "test":
                    if (!JToken.DeepEquals(Get(root, path), Value(op)))
                    {
                        throw new PatchException("test failed at " + path);
                    }
                    return root;
                default:
                    throw new PatchException("unknown op " + name);
            }
        }

        static JToken Value(JObject op)
        {
            JToken value;
            if (!op.TryGetValue("value", out value))
            {
                throw new PatchException((string)op["op"] + " without value");
            }
            return value.DeepClone();
        }

        static string From(JObject op)
        {
            var from = op["from"];
            if (from == null || from.Type != JTokenType.String)
            {
                throw new PatchException((string)op["op"] + " without from");
            }
            return (string)from;
        }

        static List<string> Tokens(string path)
        {
            var tokens = new List<string>();
            if (path == "")
            {
                return tokens;
            }
            if (!path.StartsWith("/", StringComparison.Ordinal))
            {
                throw new PatchException("bad pointer " + path);
            }
            foreach (var part in path.Substring(1).Split('/'))
            {
                tokens.Add(part.Replace("~1", "/").Replace("~0", "~"));
            }
            return tokens;
        }

        static int At(JArray list, string token, bool end)
        {
            if (end && token == "-")
            {
                return list.Count;
            }
            if (!Index.IsMatch(token))
            {
                throw new PatchException("bad index " + token);
            }
            int at;
            if (!int.TryParse(token, out at) || at > list.Count || (at == list.Count && !end))
            {
                throw new PatchException("index " + token + " out of range");
            }
            return at;
        }

        static JContainer ParentOf(JToken root, string path, out string last)
        {
            var parts = Tokens(path);
            last = parts[parts.Count - 1];
            parts.RemoveAt(parts.Count - 1);
            var node = root;
            foreach (var token in parts)
            {
                var list = node as JArray;
                var map = node as JObject;
                if (list != null)
                {
                    node = list[At(list, token, false)];
                }
                else if (map != null && map.TryGetValue(token, out node))
                {
                }
                else
                {
                    node = null;
                }
            }
            if (!(node is JArray) && !(node is JObject))
            {
                throw new PatchException("no container at " + path);
            }
            return (JContainer)node;
        }

        static JToken Get(JToken root, string path)
        {
            if (path == "")
            {
                return root;
            }
            string key;
            var parent = ParentOf(root, path, out key);
            var list = parent as JArray;
            if (list != null)
            {
                return list[At(list, key, false)];
            }
            JToken value;
            if (!((JObject)parent).TryGetValue(key, out value))
            {
                throw new PatchException("nothing at " + path);
            }
            return value;
        }

        static JToken Put(JToken root, string path, JToken value, bool add)
        {
            if (path == "")
            {
                return value;
            }
            string key;
            var parent = ParentOf(root, path, out key);
            var list = parent as JArray;
            if (list != null)
            {
                var at = At(list, key, add);
                if (add)
                {
                    list.Insert(at, value);
                }
                else
                {
                    list[at] = value;
                }
                return root;
            }
            var map = (JObject)parent;
            if (!add && map.Property(key) == null)
            {
                throw new PatchException("nothing at " + path);
            }
            map[key] = value;
            return root;
        }

        static JToken Remove(JToken root, string path)
        {
            if (path == "")
            {
                throw new PatchException("cannot remove the whole document");
            }
            string key;
            var parent = ParentOf(root, path, out key);
            var list = parent as JArray;
            if (list != null)
            {
                list.RemoveAt(At(list, key, false));
                return root;
            }
            if (!((JObject)parent).Remove(key))
            {
                throw new PatchException("nothing at " + path);
            }
            return root;
        }
    }
}
