using System;
using NUnit.Framework;

namespace AssetGen.Client.Core.Tests
{
    [TestFixture]
    public class RetryPolicyTests
    {
        [Test]
        public void OnlyWhatTheServerMeansAsTryLaterIsRetried()
        {
            var policy = new RetryPolicy();
            Assert.IsTrue(policy.ShouldRetry(1, StatusCodes.ResourceExhausted, false, 250, true));   // queue full, with a hint
            Assert.IsTrue(policy.ShouldRetry(1, StatusCodes.Unavailable, false, 1000, true));        // warming up
            Assert.IsTrue(policy.ShouldRetry(1, StatusCodes.Unavailable, false, 0, false));          // never answered
            Assert.IsFalse(policy.ShouldRetry(1, StatusCodes.ResourceExhausted, false, 0, true));    // "larger than max": no hint
            Assert.IsFalse(policy.ShouldRetry(1, StatusCodes.ResourceExhausted, false, 0, false));
            Assert.IsFalse(policy.ShouldRetry(1, StatusCodes.Unavailable, false, 0, true));
            Assert.IsFalse(policy.ShouldRetry(1, StatusCodes.InvalidArgument, false, 0, true));
            Assert.IsFalse(policy.ShouldRetry(1, StatusCodes.NotFound, false, 0, true));
            Assert.IsFalse(policy.ShouldRetry(1, StatusCodes.DeadlineExceeded, false, 0, true));
            Assert.IsFalse(policy.ShouldRetry(1, StatusCodes.Cancelled, false, 0, true));
            Assert.AreEqual(0, RetryPolicy.ParseHint(null));
            Assert.AreEqual(0, RetryPolicy.ParseHint("-5"));
            Assert.AreEqual(471, RetryPolicy.ParseHint("471"));
            Assert.AreEqual(471, policy.Delay(1, 471, new Random(1)).TotalMilliseconds, 1e-9);
        }

        [Test]
        public void AStreamThatDeliveredIsNotRetried()
        {
            Assert.IsFalse(new RetryPolicy().ShouldRetry(1, StatusCodes.Unavailable, true, 1000, true));
        }

        [Test]
        public void AttemptsStopAtMaxAttempts()
        {
            var policy = new RetryPolicy { MaxAttempts = 3 };
            Assert.IsTrue(policy.ShouldRetry(2, StatusCodes.Unavailable, false, 0, false));
            Assert.IsFalse(policy.ShouldRetry(3, StatusCodes.Unavailable, false, 0, false));
            Assert.IsFalse(RetryPolicy.None.ShouldRetry(1, StatusCodes.Unavailable, false, 0, false));
        }

        [Test]
        public void BackoffGrowsExponentiallyUpToTheCap()
        {
            var policy = new RetryPolicy { InitialBackoffSeconds = 0.25, Multiplier = 2, MaxBackoffSeconds = 1.5, JitterFraction = 0 };
            Assert.AreEqual(0.25, policy.Backoff(1, 0.9).TotalSeconds, 1e-9);
            Assert.AreEqual(0.5, policy.Backoff(2, 0.9).TotalSeconds, 1e-9);
            Assert.AreEqual(1.0, policy.Backoff(3, 0.9).TotalSeconds, 1e-9);
            Assert.AreEqual(1.5, policy.Backoff(4, 0.9).TotalSeconds, 1e-9);
            Assert.AreEqual(1.5, policy.Backoff(4000, 0.9).TotalSeconds, 1e-9);
        }

        [Test]
        public void JitterShortensTheWaitByAtMostItsFraction()
        {
            var policy = new RetryPolicy { InitialBackoffSeconds = 1, Multiplier = 2, MaxBackoffSeconds = 10, JitterFraction = 0.5 };
            Assert.AreEqual(2.0, policy.Backoff(2, 0.0).TotalSeconds, 1e-9);
            Assert.AreEqual(1.5, policy.Backoff(2, 0.5).TotalSeconds, 1e-9);
            var random = new Random(42);
            for (int i = 0; i < 200; i++)
            {
                double s = policy.Backoff(2, random).TotalSeconds;
                Assert.That(s > 1.0 - 1e-9 && s <= 2.0, "backoff " + s + " outside (1, 2]");
            }
        }

        [Test]
        public void NonsenseSettingsAreRefused()
        {
            Assert.Throws<ArgumentException>(() => new RetryPolicy { MaxAttempts = 0 }.Validate());
            Assert.Throws<ArgumentException>(() => new RetryPolicy { JitterFraction = 1.5 }.Validate());
            Assert.Throws<ArgumentException>(() => new RetryPolicy { MaxBackoffSeconds = 0.1, InitialBackoffSeconds = 1 }.Validate());
            new RetryPolicy().Validate();
        }
    }
}
