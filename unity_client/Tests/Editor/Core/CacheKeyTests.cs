using System;
using System.Collections.Generic;
using System.Text;
using NUnit.Framework;

namespace AssetGen.Client.Core.Tests
{
    [TestFixture]
    public class CacheKeyTests
    {
        static string Canonical(Dictionary<string, object> i)
        {
            return CacheKey.Canonical(MiniJson.String(i, "model"), MiniJson.String(i, "model_version"),
                                      KindOrUnspecified(MiniJson.String(i, "kind")), MiniJson.String(i, "prompt"),
                                      MiniJson.Int(i, "width"), MiniJson.Int(i, "height"), MiniJson.ULong(i, "seed"),
                                      FormatOrInvalid(MiniJson.String(i, "format")), MiniJson.Bool(i, "tileable"));
        }

        static string Key(Dictionary<string, object> i)
        {
            return CacheKey.Compute(MiniJson.String(i, "model"), MiniJson.String(i, "model_version"),
                                    KindOrUnspecified(MiniJson.String(i, "kind")), MiniJson.String(i, "prompt"),
                                    MiniJson.Int(i, "width"), MiniJson.Int(i, "height"), MiniJson.ULong(i, "seed"),
                                    FormatOrInvalid(MiniJson.String(i, "format")), MiniJson.Bool(i, "tileable"));
        }

        static AssetType KindOrUnspecified(string name)
        {
            try { return WireNames.ParseType(name); }
            catch (ArgumentException) { return AssetType.Unspecified; }
        }

        static AssetFormat FormatOrInvalid(string name)
        {
            try { return WireNames.ParseFormat(name); }
            catch (ArgumentException) { return (AssetFormat)0; }
        }

        [Test]
        public void GoldenVectorsMatchThePythonClient()
        {
            var golden = GoldenFiles.Load("cache_keys.json");
            var failures = new List<string>();
            int checkedCount = 0;
            foreach (var item in MiniJson.Array(golden, "vectors"))
            {
                var vector = MiniJson.Object(item, "vector");
                var inputs = MiniJson.Object(vector["inputs"], "inputs");
                string name = MiniJson.String(vector, "name");
                if (Canonical(inputs) != MiniJson.String(vector, "canonical")) failures.Add(name + ": canonical string differs");
                if (Key(inputs) != MiniJson.String(vector, "key")) failures.Add(name + ": key differs");
                checkedCount++;
            }
            Assert.AreEqual(0, failures.Count, string.Join("\n", failures.ToArray()));
            Assert.Greater(checkedCount, 10);
        }

        [Test]
        public void InputsThatAreNotConcreteAreRefused()
        {
            var golden = GoldenFiles.Load("cache_keys.json");
            foreach (var item in MiniJson.Array(golden, "invalid"))
            {
                var vector = MiniJson.Object(item, "vector");
                var inputs = MiniJson.Object(vector["inputs"], "inputs");
                var error = Assert.Throws<ArgumentException>(() => Key(inputs), MiniJson.String(vector, "name"));
                StringAssert.StartsWith("cannot make a cache key", error.Message);
            }
        }

        [Test]
        public void KeyIsLowercaseHexSha256OfTheCanonicalString()
        {
            string canonical = CacheKey.Canonical("m", "v", AssetType.Texture, "grass", 64, 64, 1, AssetFormat.Png, true);
            string key = CacheKey.Compute("m", "v", AssetType.Texture, "grass", 64, 64, 1, AssetFormat.Png, true);
            Assert.AreEqual(CacheKey.Sha256Hex(Encoding.UTF8.GetBytes(canonical)), key);
            Assert.IsTrue(CacheKey.IsWellFormed(key));
        }

        [Test]
        public void LoneSurrogateIsRefusedNotReplaced()
        {
            Assert.Throws<EncoderFallbackException>(() =>
                CacheKey.Compute("m", "v", AssetType.Sprite, "bad \ud83d text", 64, 64, 1, AssetFormat.Png, false));
        }

        [Test]
        public void RequestKeysUseSeedPlusIndexAndMatchTheAssetsKey()
        {
            var request = new ResolvedRequest
            {
                Model = "m", ModelVersion = "v", Type = AssetType.Prop, Prompt = "sword", Width = 32, Height = 32,
                Count = 2, Seed = ulong.MaxValue, Format = AssetFormat.Rgba8, Tileable = false,
            };
            var second = new AssembledAsset
            {
                Index = 1, Seed = 0, Type = AssetType.Prop, Width = 32, Height = 32, Format = AssetFormat.Rgba8,
                Tileable = false, Model = "m", ModelVersion = "v",
            };
            Assert.AreEqual(CacheKey.ForAsset("sword", second), CacheKey.ForRequest(request, 1), "uint64 seed wraps like the server's");
            Assert.AreNotEqual(CacheKey.ForRequest(request, 0), CacheKey.ForRequest(request, 1));
        }

        [Test]
        public void RequestWithoutSeedHasNoKey()
        {
            var request = new ResolvedRequest { Model = "m", ModelVersion = "v", Type = AssetType.Texture, Prompt = "x", Width = 1, Height = 1 };
            Assert.Throws<ArgumentException>(() => CacheKey.ForRequest(request, 0));
        }

        [Test]
        public void MalformedKeysAreRecognised()
        {
            Assert.IsFalse(CacheKey.IsWellFormed(null));
            Assert.IsFalse(CacheKey.IsWellFormed("../../etc/passwd"));
            Assert.IsFalse(CacheKey.IsWellFormed(new string('A', 64)));
            Assert.IsTrue(CacheKey.IsWellFormed(new string('a', 64)));
        }
    }
}
