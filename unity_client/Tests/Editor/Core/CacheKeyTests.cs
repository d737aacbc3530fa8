using System;
using System.Collections.Generic;
using System.Text;
using NUnit.Framework;

namespace AssetGen.Client.Core.Tests
{
    [TestFixture]
    public class CacheKeyTests
    {
        // The optional inputs of a vector (absent = not set), as the Python keyword arguments name them.
        static MaterialMap Map(Dictionary<string, object> i)
        {
            if (!MiniJson.Has(i, "map")) return MaterialMap.Albedo;
            try { return WireNames.ParseMap(MiniJson.String(i, "map")); }
            catch (ArgumentException) { return (MaterialMap)0; }
        }

        static ulong? OptionalULong(Dictionary<string, object> i, string field)
        {
            return MiniJson.Has(i, field) ? MiniJson.ULong(i, field) : (ulong?)null;
        }

        static double? OptionalDouble(Dictionary<string, object> i, string field)
        {
            return MiniJson.Has(i, field) ? MiniJson.Double(i, field) : (double?)null;
        }

        static string Canonical(Dictionary<string, object> i)
        {
            return CacheKey.Canonical(MiniJson.String(i, "model"), MiniJson.String(i, "model_version"), MiniJson.Int(i, "pipeline"),
                                      KindOrUnspecified(MiniJson.String(i, "kind")), MiniJson.String(i, "prompt"),
                                      MiniJson.Int(i, "width"), MiniJson.Int(i, "height"), MiniJson.ULong(i, "seed"),
                                      FormatOrInvalid(MiniJson.String(i, "format")), MiniJson.Bool(i, "tileable"), Map(i),
                                      OptionalULong(i, "vary_seed"), OptionalDouble(i, "vary_strength"),
                                      OptionalULong(i, "interpolate_seed"), OptionalDouble(i, "interpolate_t"));
        }

        static string Key(Dictionary<string, object> i)
        {
            return CacheKey.Compute(MiniJson.String(i, "model"), MiniJson.String(i, "model_version"), MiniJson.Int(i, "pipeline"),
                                    KindOrUnspecified(MiniJson.String(i, "kind")), MiniJson.String(i, "prompt"),
                                    MiniJson.Int(i, "width"), MiniJson.Int(i, "height"), MiniJson.ULong(i, "seed"),
                                    FormatOrInvalid(MiniJson.String(i, "format")), MiniJson.Bool(i, "tileable"), Map(i),
                                    OptionalULong(i, "vary_seed"), OptionalDouble(i, "vary_strength"),
                                    OptionalULong(i, "interpolate_seed"), OptionalDouble(i, "interpolate_t"));
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
            Assert.Greater(checkedCount, 25);
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
            string canonical = CacheKey.Canonical("m", "v", 2, AssetType.Texture, "grass", 64, 64, 1, AssetFormat.Png, true);
            string key = CacheKey.Compute("m", "v", 2, AssetType.Texture, "grass", 64, 64, 1, AssetFormat.Png, true);
            Assert.AreEqual(CacheKey.Sha256Hex(Encoding.UTF8.GetBytes(canonical)), key);
            Assert.IsTrue(CacheKey.IsWellFormed(key));
        }

        [Test]
        public void LoneSurrogateIsRefusedNotReplaced()
        {
            Assert.Throws<EncoderFallbackException>(() =>
                CacheKey.Compute("m", "v", 2, AssetType.Sprite, "bad \ud83d text", 64, 64, 1, AssetFormat.Png, false));
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
        public void FloatsGoInAsTheirIeeeBits()
        {
            Assert.AreEqual("3fc999999999999a", CacheKey.FloatBits(0.2));
            Assert.AreEqual("3ee4f8b588e368f1", CacheKey.FloatBits(1e-05));
            Assert.AreEqual("0000000000000000", CacheKey.FloatBits(0.0));
            Assert.AreEqual("3ff0000000000000", CacheKey.FloatBits(1.0));
        }

        static ResolvedRequest Texture(int count)
        {
            return new ResolvedRequest
            {
                Model = "m", ModelVersion = "v", Type = AssetType.Texture, Prompt = "slate", Width = 64, Height = 64,
                Count = count, Seed = 7, Format = AssetFormat.DdsBc1, Tileable = true,
                Maps = new[] { MaterialMap.Albedo, MaterialMap.Normal },
            };
        }

        static AssembledAsset AssetOf(ResolvedRequest r, ulong seed, MaterialMap map)
        {
            return new AssembledAsset
            {
                Seed = seed, Type = r.Type, Width = r.Width, Height = r.Height, Format = r.Format, Tileable = r.Tileable,
                Model = r.Model, ModelVersion = r.ModelVersion, Map = map,
            };
        }

        [Test]
        public void RequestKeysFollowTheServersPerAssetRulesForMapsVariationsAndFrames()
        {
            var plain = Texture(2);
            Assert.AreEqual(CacheKey.ForAsset("slate", AssetOf(plain, 8, MaterialMap.Normal)), CacheKey.ForRequest(plain, 1, MaterialMap.Normal));
            Assert.AreNotEqual(CacheKey.ForRequest(plain, 1, MaterialMap.Normal), CacheKey.ForRequest(plain, 1));

            var vary = Texture(3);
            vary.Vary = new VariationOptions(1000, 0.2);
            var second = AssetOf(vary, 7, MaterialMap.Albedo);  // variations keep the base seed
            second.VarySeed = 1001;
            second.VaryStrength = 0.2;
            Assert.AreEqual(CacheKey.ForAsset("slate", second), CacheKey.ForRequest(vary, 1));

            var frames = Texture(8);
            frames.Interpolate = new InterpolationOptions(12);
            var frame = AssetOf(frames, 7, MaterialMap.Albedo);
            frame.InterpolateSeed = 12;
            frame.InterpolateT = 1.0 / 7;                       // frame i of 8: t = i / 7
            Assert.AreEqual(CacheKey.ForAsset("slate", frame), CacheKey.ForRequest(frames, 1));
            frame.InterpolateT = 1.0;
            Assert.AreEqual(CacheKey.ForAsset("slate", frame), CacheKey.ForRequest(frames, 7));

            var pinned = Texture(1);
            pinned.Interpolate = new InterpolationOptions(12, 0.25);
            frame.InterpolateT = 0.25;
            Assert.AreEqual(CacheKey.ForAsset("slate", frame), CacheKey.ForRequest(pinned, 0));
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
    
        [Test]
        public void ThePipelineVersionIsPartOfTheKeyAndZeroMeansAnOlderServer()
        {
            var r = new ResolvedRequest { Model = "m", ModelVersion = "v", Type = AssetType.Prop, Prompt = "sword", Width = 32,
                                          Height = 32, Count = 1, Seed = 5, Format = AssetFormat.Png, Tileable = false };
            r.Pipeline = 2;
            string two = CacheKey.ForRequest(r, 0);
            r.Pipeline = 3;
            Assert.AreNotEqual(two, CacheKey.ForRequest(r, 0));
            r.Pipeline = 0;
            string old = CacheKey.ForRequest(r, 0);
            r.Pipeline = 1;
            Assert.AreEqual(old, CacheKey.ForRequest(r, 0));
            Assert.Throws<ArgumentException>(() => CacheKey.Compute("m", "v", 0, AssetType.Prop, "sword", 32, 32, 5, AssetFormat.Png, false));
        }
}
}
