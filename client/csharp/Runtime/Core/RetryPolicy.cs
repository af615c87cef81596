using System;

namespace GamePlatform
{
    /// <summary>
    /// Backoff for retries and reconnections: exponential from <see cref="BaseMs"/>, capped at
    /// <see cref="MaxMs"/>, with jitter on part of it so that many clients dropped at once do not
    /// come back at once.
    /// </summary>
    public sealed class RetryPolicy
    {
        public RetryPolicy(int retries, double baseMs, double maxMs, double jitter)
        {
            Retries = retries;
            BaseMs = baseMs;
            MaxMs = maxMs;
            Jitter = jitter;
        }

        /// <summary>REST calls: 3 retries of an idempotent call, from 250 ms up to 8 s, half of it jitter.</summary>
        public static readonly RetryPolicy Default = new RetryPolicy(3, 250, 8000, 0.5);

        /// <summary>Sockets: for ever, from 500 ms up to 15 s, half of it jitter.</summary>
        public static readonly RetryPolicy Reconnect = new RetryPolicy(int.MaxValue, 500, 15000, 0.5);

        /// <summary>Attempts after the first one (REST calls); sockets keep trying whatever this says.</summary>
        public int Retries { get; private set; }

        /// <summary>The ceiling of the first delay, in milliseconds.</summary>
        public double BaseMs { get; private set; }

        /// <summary>The largest ceiling, in milliseconds.</summary>
        public double MaxMs { get; private set; }

        /// <summary>The share of each ceiling drawn at random: 0 none, 1 "full jitter".</summary>
        public double Jitter { get; private set; }

        /// <summary>The delay before retry number <paramref name="attempt"/> (0 for the first retry).</summary>
        public TimeSpan Delay(int attempt, Func<double> random)
        {
            var ceiling = Math.Min(MaxMs, BaseMs * Math.Pow(2, Math.Min(attempt, 30)));
            var jitter = Math.Min(1, Math.Max(0, Jitter));
            return TimeSpan.FromMilliseconds(ceiling * (1 - jitter) + random() * ceiling * jitter);
        }

        /// <summary>Methods that may be sent twice with the effect of once (RFC 9110): only these are retried.</summary>
        public static bool IsIdempotent(string method)
        {
            switch (method.ToUpperInvariant())
            {
                case "GET":
                case "HEAD":
                case "OPTIONS":
                case "PUT":
                case "DELETE":
                    return true;
                default:
                    return false;
            }
        }
    }
}
