// When and how long to wait before trying a call again. Retried: a refusal the server means as
// "try later" (it carries a retry-after-ms hint: the trailing metadata of a call, or
// TagError.retry_after_ms), after the hint; and UNAVAILABLE from a server that never answered
// (no trailing metadata: connection refused or lost), after the backoff. Everything else is an
// answer: a RESOURCE_EXHAUSTED without a hint (gRPC's own "message larger than max") can never
// succeed as it is. A stream that already delivered an asset is never retried as a whole: that
// would deliver it twice. The same rule as the Python client's retry.is_retryable.
//
// Backoff before retry n (1-based): base = min(MaxBackoff, InitialBackoff * Multiplier^(n-1)),
// then jitter: delay = base * (1 - JitterFraction * u) with u uniform in [0, 1). JitterFraction 1
// is "full jitter", 0 none; the default 0.5 spreads clients that failed together (a server
// restart) without ever retrying at once.
using System;

namespace AssetGen.Client.Core
{
    public static class StatusCodes
    {
        public const int Cancelled = 1;
        public const int InvalidArgument = 3;
        public const int DeadlineExceeded = 4;
        public const int NotFound = 5;
        public const int AlreadyExists = 6;
        public const int ResourceExhausted = 8;
        public const int Unavailable = 14;
    }

    [Serializable]
    public sealed class RetryPolicy
    {
        public int MaxAttempts = 4;                   // first try included
        public double InitialBackoffSeconds = 0.25;
        public double MaxBackoffSeconds = 8.0;
        public double Multiplier = 2.0;
        public double JitterFraction = 0.5;           // 0 = none, 1 = full jitter

        public static RetryPolicy None { get { return new RetryPolicy { MaxAttempts = 1 }; } }

        /// <summary>Throws with what to change when a value makes no sense.</summary>
        public void Validate()
        {
            if (MaxAttempts < 1) throw new ArgumentException("MaxAttempts " + MaxAttempts + " must be at least 1 (1 = no retries)");
            if (InitialBackoffSeconds < 0) throw new ArgumentException("InitialBackoffSeconds must not be negative");
            if (MaxBackoffSeconds < InitialBackoffSeconds) throw new ArgumentException("MaxBackoffSeconds must be at least InitialBackoffSeconds");
            if (Multiplier < 1) throw new ArgumentException("Multiplier " + Multiplier + " must be at least 1");
            if (JitterFraction < 0 || JitterFraction > 1) throw new ArgumentException("JitterFraction " + JitterFraction + " must be in 0..1");
        }

        /// <summary>A failure worth retrying: the server sent a hint (<paramref name="retryAfterMs"/> &gt; 0), or
        /// the call is UNAVAILABLE and the server never answered (<paramref name="serverAnswered"/> false:
        /// no trailing metadata).</summary>
        public static bool IsRetryable(int statusCode, int retryAfterMs, bool serverAnswered)
        {
            return retryAfterMs > 0 || (statusCode == StatusCodes.Unavailable && !serverAnswered);
        }

        /// <summary>After attempt <paramref name="attempt"/> (1-based) failed: try again?</summary>
        public bool ShouldRetry(int attempt, int statusCode, bool deliveredAny, int retryAfterMs, bool serverAnswered)
        {
            return !deliveredAny && attempt < MaxAttempts && IsRetryable(statusCode, retryAfterMs, serverAnswered);
        }

        /// <summary>The server's hint when it sent one, else the backoff for retry <paramref name="retry"/>.</summary>
        public TimeSpan Delay(int retry, int retryAfterMs, Random random)
        {
            return retryAfterMs > 0 ? TimeSpan.FromMilliseconds(retryAfterMs) : Backoff(retry, random);
        }

        /// <summary>The `retry-after-ms` value as sent (decimal digits), or 0 when absent or malformed.</summary>
        public static int ParseHint(string value)
        {
            int ms;
            return !string.IsNullOrEmpty(value) && int.TryParse(value, System.Globalization.NumberStyles.None,
                                                                System.Globalization.CultureInfo.InvariantCulture, out ms) ? ms : 0;
        }

        /// <summary>The wait before retry <paramref name="retry"/> (1-based) for a jitter draw <paramref name="unit"/> in [0, 1).</summary>
        public TimeSpan Backoff(int retry, double unit)
        {
            if (retry < 1) throw new ArgumentException("retry counts from 1");
            if (unit < 0 || unit >= 1) throw new ArgumentException("unit must be in [0, 1)");
            double seconds = InitialBackoffSeconds * Math.Pow(Multiplier, retry - 1);
            if (seconds > MaxBackoffSeconds || double.IsInfinity(seconds)) seconds = MaxBackoffSeconds;
            seconds *= 1.0 - JitterFraction * unit;
            return TimeSpan.FromSeconds(seconds);
        }

        public TimeSpan Backoff(int retry, Random random)
        {
            return Backoff(retry, random.NextDouble());
        }
    }
}
