using System.Collections.Generic;

namespace GamePlatform
{
    /// <summary>What a socket's close code means (every code of the contract, and the standard ones a connection meets).</summary>
    public enum CloseKind
    {
        Normal,
        GoingAway,
        Abnormal,
        PolicyViolation,
        TooLarge,
        ServerError,
        ServiceRestart,
        TryAgainLater,
        UnsupportedVersion,
        Unauthenticated,
        Forbidden,
        NotFound,
        Replaced,
        Unknown,
    }

    /// <summary>
    /// Why a socket closed, and whether coming back can help. Under daphne the server sends 1008 /
    /// 1009 / 1012 / 1013 as 4008 / 4009 / 4012 / 4013: both read the same here. 1012 is a server
    /// stopping for a deploy: its games move to the other servers, and the socket comes back.
    /// </summary>
    public sealed class CloseReason
    {
        sealed class Meaning
        {
            public CloseKind Kind;
            public bool Reconnect;
            public string Description;

            public Meaning(CloseKind kind, bool reconnect, string description)
            {
                Kind = kind;
                Reconnect = reconnect;
                Description = description;
            }
        }

        static readonly Meaning Flooding = new Meaning(CloseKind.PolicyViolation, true, "policy violation (flooding)");
        static readonly Meaning Large = new Meaning(CloseKind.TooLarge, true, "a frame was too large");
        static readonly Meaning Restart = new Meaning(CloseKind.ServiceRestart, true, "the server is restarting (a deploy): reconnect, to another server");
        static readonly Meaning Later = new Meaning(CloseKind.TryAgainLater, true, "a service the server needs is unavailable: try again later");

        static readonly Dictionary<int, Meaning> Codes = new Dictionary<int, Meaning>
        {
            { 1000, new Meaning(CloseKind.Normal, false, "closed normally") },
            { 1001, new Meaning(CloseKind.GoingAway, true, "the server is going away (a restart, a deploy)") },
            { 1006, new Meaning(CloseKind.Abnormal, true, "the connection dropped without a close frame") },
            { 1008, Flooding },
            { 1009, Large },
            { 1011, new Meaning(CloseKind.ServerError, true, "the server met an unexpected error") },
            { 1012, Restart },
            { 1013, Later },
            { 4008, Flooding },
            { 4009, Large },
            { 4012, Restart },
            { 4013, Later },
            { 4400, new Meaning(CloseKind.UnsupportedVersion, false, "unsupported protocol version") },
            { 4401, new Meaning(CloseKind.Unauthenticated, true, "not authenticated, or the access token expired") },
            { 4403, new Meaning(CloseKind.Forbidden, false, "not allowed (not a member, banned, kicked, blocked)") },
            { 4404, new Meaning(CloseKind.NotFound, false, "no such room") },
            { 4409, new Meaning(CloseKind.Replaced, false, "replaced by a newer connection") },
        };

        CloseReason(int code, string reason, bool byClient, Meaning meaning, GamePlatformException error)
            : this(code, reason, byClient, meaning, error, !byClient && meaning.Reconnect)
        {
        }

        CloseReason(int code, string reason, bool byClient, Meaning meaning, GamePlatformException error, bool reconnect)
        {
            Code = code;
            Reason = reason ?? "";
            ByClient = byClient;
            Kind = meaning.Kind;
            Description = meaning.Description;
            Reconnect = reconnect;
            Error = error;
        }

        /// <summary>The close code received (1006 when the connection dropped without one).</summary>
        public int Code { get; private set; }

        public CloseKind Kind { get; private set; }

        /// <summary>The reason text the server sent, if any.</summary>
        public string Reason { get; private set; }

        /// <summary>True when the socket comes back by itself (it is not closed for good).</summary>
        public bool Reconnect { get; private set; }

        /// <summary>True when this client closed it.</summary>
        public bool ByClient { get; private set; }

        /// <summary>What the code means, in words.</summary>
        public string Description { get; private set; }

        /// <summary>The <c>error</c> frame the server sent right before closing (<c>account_suspended</c> before a 4403), or null.</summary>
        public GamePlatformException Error { get; private set; }

        /// <summary>What <paramref name="code"/> means; an unknown code is taken as a drop worth reconnecting after.</summary>
        public static CloseReason For(int code, string reason = "", bool byClient = false, GamePlatformException error = null)
        {
            Meaning meaning;
            if (!Codes.TryGetValue(code, out meaning))
            {
                meaning = new Meaning(CloseKind.Unknown, true, "close code " + code);
            }
            return new CloseReason(code, reason, byClient, meaning, error);
        }

        /// <summary>
        /// The reason of a socket the client gave up on after a close with <paramref name="code"/>
        /// (a 4401 whose session could not be refreshed): it does not come back; <paramref name="error"/> says why.
        /// </summary>
        public static CloseReason Final(int code, string reason, GamePlatformException error)
        {
            var reconnecting = For(code);
            var meaning = new Meaning(reconnecting.Kind, false, reconnecting.Description);
            return new CloseReason(code, reason, false, meaning, error, false);
        }

        public override string ToString()
        {
            return Code + " " + Kind + ": " + Description;
        }
    }
}
