using System;
using System.Collections.Generic;
using NUnit.Framework;

namespace AssetGen.Client.Core.Tests
{
    [TestFixture]
    public class MiniJsonTests
    {
        [Test]
        public void RoundTripKeepsStringsAndLargeIntegers()
        {
            var value = new Dictionary<string, object>
            {
                { "seed", ulong.MaxValue }, { "neg", -3L }, { "text", "a \"quoted\"\nline\u0001 🪨" }, { "ok", true },
                { "none", null }, { "list", new List<object> { 1UL, 2.5, "x" } },
            };
            var back = MiniJson.Object(MiniJson.Parse(MiniJson.Serialize(value)), "value");
            Assert.AreEqual(ulong.MaxValue, MiniJson.ULong(back, "seed"));
            Assert.AreEqual(-3L, back["neg"]);
            Assert.AreEqual(value["text"], MiniJson.String(back, "text"));
            Assert.IsTrue(MiniJson.Bool(back, "ok"));
            Assert.IsNull(back["none"]);
            Assert.AreEqual(2.5, ((List<object>)back["list"])[1]);
        }

        [Test]
        public void UnicodeEscapesAndBrokenTextAreHandled()
        {
            Assert.AreEqual("é", MiniJson.Parse("\"\\u00e9\""));
            Assert.Throws<FormatException>(() => MiniJson.Parse("{\"a\": 1"));
            Assert.Throws<FormatException>(() => MiniJson.Parse("[1, 2] x"));
            Assert.Throws<FormatException>(() => MiniJson.Int(MiniJson.Object(MiniJson.Parse("{\"a\": \"1\"}"), "o"), "a"));
        }
    }
}
