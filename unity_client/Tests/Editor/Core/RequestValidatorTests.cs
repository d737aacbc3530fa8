using System;
using NUnit.Framework;

namespace AssetGen.Client.Core.Tests
{
    [TestFixture]
    public class RequestValidatorTests
    {
        static ModelDescription Model()
        {
            var model = new ModelDescription { Name = "assetgen-small", Version = "v1", MaxCount = 64, MaxPromptChars = 512 };
            model.Kinds[AssetType.Texture] = new KindDescription { NativeSize = 64, Sizes = new[] { 32, 64, 128 }, Channels = 3, Tileable = true };
            model.Kinds[AssetType.Sprite] = new KindDescription { NativeSize = 64, Sizes = new[] { 32, 64 }, Channels = 4, Tileable = false };
            return model;
        }

        static string Refusal(AssetRequest request, ModelDescription model = null)
        {
            return Assert.Throws<AssetRequestException>(() => RequestValidator.Validate(request, model)).Message;
        }

        [Test]
        public void PromptMustSaySomething()
        {
            StringAssert.Contains("prompt is empty", Refusal(new AssetRequest("", AssetType.Texture)));
            StringAssert.Contains("prompt is empty", Refusal(new AssetRequest(" \t\n", AssetType.Texture)));
            StringAssert.Contains("prompt is empty", Refusal(new AssetRequest { Prompt = null }));
        }

        [Test]
        public void PromptIsAtMost512CharactersCountedLikePython()
        {
            RequestValidator.Validate(new AssetRequest(new string('a', 512), AssetType.Texture));
            StringAssert.Contains("shorten it to at most 512", Refusal(new AssetRequest(new string('a', 513), AssetType.Texture)));
            var rocks = new System.Text.StringBuilder();
            for (int i = 0; i < 512; i++) rocks.Append("\ud83e\udea8");  // 1024 UTF-16 units, 512 code points
            RequestValidator.Validate(new AssetRequest(rocks.ToString(), AssetType.Texture));
            Assert.AreEqual(512, RequestValidator.CodePointCount(rocks.ToString()));
        }

        [Test]
        public void CountIsOneTo64AndZeroMeansOne()
        {
            RequestValidator.Validate(new AssetRequest("x", AssetType.Texture) { Count = 0 });
            RequestValidator.Validate(new AssetRequest("x", AssetType.Texture) { Count = 64 });
            StringAssert.Contains("ask for 1..64", Refusal(new AssetRequest("x", AssetType.Texture) { Count = 65 }));
            StringAssert.Contains("ask for 1..64", Refusal(new AssetRequest("x", AssetType.Texture) { Count = -1 }));
            var small = Model();
            small.MaxCount = 8;
            StringAssert.Contains("ask for 1..8", Refusal(new AssetRequest("x", AssetType.Texture) { Count = 9 }, small));
        }

        [Test]
        public void KindAndFormatMustBeKnown()
        {
            StringAssert.Contains("kind", Refusal(new AssetRequest("x", AssetType.Unspecified)));
            StringAssert.Contains("format", Refusal(new AssetRequest("x", AssetType.Texture) { Format = (AssetFormat)7 }));
            StringAssert.Contains("it makes: texture, sprite", Refusal(new AssetRequest("x", AssetType.Prop), Model()));
        }

        [Test]
        public void OnlyKindsThatTileMayAskForTiling()
        {
            RequestValidator.Validate(new AssetRequest("x", AssetType.Texture) { Tileable = true });
            RequestValidator.Validate(new AssetRequest("x", AssetType.Sprite) { Tileable = false });
            StringAssert.Contains("sprites cannot tile", Refusal(new AssetRequest("x", AssetType.Sprite) { Tileable = true }));
            StringAssert.Contains("on model 'assetgen-small'", Refusal(new AssetRequest("x", AssetType.Sprite) { Tileable = true }, Model()));
        }

        [Test]
        public void SizesComeFromTheModel()
        {
            RequestValidator.Validate(new AssetRequest("x", AssetType.Texture, 128), Model());
            RequestValidator.Validate(new AssetRequest("x", AssetType.Texture) { Width = 32, Height = 128 }, Model());
            StringAssert.Contains("one of: 32, 64 (0 = native 64)", Refusal(new AssetRequest("x", AssetType.Sprite, 128), Model()));
            RequestValidator.Validate(new AssetRequest("x", AssetType.Sprite, 999));  // no model known: the server decides
        }

        [Test]
        public void ResolveMakesEveryValueConcrete()
        {
            var resolved = RequestValidator.Resolve(new AssetRequest("grass", AssetType.Texture) { Seed = 5 }, Model());
            Assert.AreEqual(64, resolved.Width);
            Assert.AreEqual(64, resolved.Height);
            Assert.AreEqual(1, resolved.Count);
            Assert.IsTrue(resolved.Tileable);
            Assert.AreEqual("assetgen-small", resolved.Model);
            Assert.AreEqual("v1", resolved.ModelVersion);
            var sprite = RequestValidator.Resolve(new AssetRequest("goblin", AssetType.Sprite, 32), Model());
            Assert.IsFalse(sprite.Tileable);
            Assert.AreEqual(32, sprite.Width);
        }

        [Test]
        public void DdsSidesAreMultiplesOfFour()
        {
            RequestValidator.Validate(new AssetRequest("x", AssetType.Texture, 64) { Format = AssetFormat.DdsBc7 }, Model());
            RequestValidator.Validate(new AssetRequest("x", AssetType.Sprite) { Format = AssetFormat.DdsBc3 }, Model());  // native 64
            var odd = Model();
            odd.Kinds[AssetType.Texture].Sizes = new[] { 30, 64 };
            StringAssert.Contains("multiples of 4, got 30x64",
                                  Refusal(new AssetRequest("x", AssetType.Texture) { Width = 30, Height = 64, Format = AssetFormat.DdsBc1 }, odd));
            Assert.AreEqual("dds_bc1", AssetFormat.DdsBc1.Name());
            Assert.AreEqual(AssetFormat.DdsBc7, WireNames.ParseFormat("dds_bc7"));
        }

        [Test]
        public void MapsAreForTexturesKnownAndListedOnce()
        {
            var maps = new[] { MaterialMap.Albedo, MaterialMap.Normal, MaterialMap.Height, MaterialMap.Roughness };
            RequestValidator.Validate(new AssetRequest("x", AssetType.Texture) { Maps = maps }, Model());
            RequestValidator.Validate(new AssetRequest("x", AssetType.Sprite) { Maps = new[] { MaterialMap.Albedo } });
            StringAssert.Contains("material maps are for textures",
                                  Refusal(new AssetRequest("x", AssetType.Sprite) { Maps = new[] { MaterialMap.Normal } }));
            StringAssert.Contains("twice", Refusal(new AssetRequest("x", AssetType.Texture) { Maps = new[] { MaterialMap.Height, MaterialMap.Height } }));
            StringAssert.Contains("choose from: albedo, normal", Refusal(new AssetRequest("x", AssetType.Texture) { Maps = new[] { (MaterialMap)9 } }));
            var resolved = RequestValidator.Resolve(new AssetRequest("x", AssetType.Texture) { Seed = 1, Maps = maps }, Model());
            CollectionAssert.AreEqual(maps, resolved.Maps);
            CollectionAssert.AreEqual(new[] { MaterialMap.Albedo }, RequestValidator.Resolve(new AssetRequest("x", AssetType.Texture), Model()).Maps);
        }

        [Test]
        public void VariationsAndInterpolationAreBoundedAndExclusive()
        {
            RequestValidator.Validate(new AssetRequest("x", AssetType.Sprite) { Seed = 7, Count = 4, Vary = new VariationOptions(100, 0.2) });
            RequestValidator.Validate(new AssetRequest("x", AssetType.Prop) { Seed = 11, Count = 8, Interpolate = new InterpolationOptions(12) });
            RequestValidator.Validate(new AssetRequest("x", AssetType.Prop) { Seed = 11, Interpolate = new InterpolationOptions(12, 1.0) });
            StringAssert.Contains("exclusive", Refusal(new AssetRequest("x", AssetType.Prop)
                { Vary = new VariationOptions(1, 0.2), Interpolate = new InterpolationOptions(2) }));
            StringAssert.Contains("use (0, 1]", Refusal(new AssetRequest("x", AssetType.Prop) { Vary = new VariationOptions(1, 0.0) }));
            StringAssert.Contains("use (0, 1]", Refusal(new AssetRequest("x", AssetType.Prop) { Vary = new VariationOptions(1, double.NaN) }));
            StringAssert.Contains("use [0, 1]", Refusal(new AssetRequest("x", AssetType.Prop) { Interpolate = new InterpolationOptions(2, 1.5) }));
            StringAssert.Contains("pins one frame", Refusal(new AssetRequest("x", AssetType.Prop) { Count = 3, Interpolate = new InterpolationOptions(2, 0.5) }));
            var original = new AssetRequest("x", AssetType.Texture) { Maps = new[] { MaterialMap.Normal }, Vary = new VariationOptions(1, 0.5) };
            var copy = original.Clone();
            copy.Maps[0] = MaterialMap.Height;
            copy.Vary.Strength = 0.1;
            Assert.AreEqual(MaterialMap.Normal, original.Maps[0]);
            Assert.AreEqual(0.5, original.Vary.Strength);
        }

        [Test]
        public void SeedOfIndexWrapsLikeUInt64()
        {
            var request = new AssetRequest("x", AssetType.Texture) { Seed = ulong.MaxValue };
            Assert.AreEqual(0UL, request.SeedOf(1));
            Assert.Throws<InvalidOperationException>(() => new AssetRequest("x", AssetType.Texture).SeedOf(0));
        }
    
        [Test]
        public void InvisiblePromptsAreRefusedByTheServersList()
        {
            var golden = GoldenFiles.Load("invisible_prompts.json");
            var ranges = MiniJson.Array(golden, "ranges");
            Assert.AreEqual(ranges.Count, RequestValidator.InvisibleRanges.GetLength(0));
            for (int i = 0; i < ranges.Count; i++)
            {
                var pair = (System.Collections.Generic.List<object>)ranges[i];
                Assert.AreEqual(Convert.ToInt32((string)pair[0], 16), RequestValidator.InvisibleRanges[i, 0], "range " + i);
                Assert.AreEqual(Convert.ToInt32((string)pair[1], 16), RequestValidator.InvisibleRanges[i, 1], "range " + i);
            }
            int checkedCount = 0;
            foreach (var item in MiniJson.Array(golden, "cases"))
            {
                var c = MiniJson.Object(item, "case");
                string prompt = MiniJson.String(c, "prompt");
                int first;
                Assert.AreEqual(MiniJson.Bool(c, "visible"), RequestValidator.HasVisibleText(prompt, out first), "prompt of " + prompt.Length + " UTF-16 units");
                if (MiniJson.Bool(c, "visible")) RequestValidator.Validate(new AssetRequest(prompt, AssetType.Texture));
                else Assert.Throws<AssetRequestException>(() => RequestValidator.Validate(new AssetRequest(prompt, AssetType.Texture)));
                checkedCount++;
            }
            Assert.Greater(checkedCount, 10);
            StringAssert.Contains("U+200B", Refusal(new AssetRequest("\u200b", AssetType.Texture)));
        }

        [Test]
        public void Bc1CannotCarryACutOut()
        {
            foreach (var type in new[] { AssetType.Sprite, AssetType.Prop })
            {
                string message = Refusal(new AssetRequest("goblin archer", type) { Format = AssetFormat.DdsBc1 });
                StringAssert.Contains("dds_bc3", message);
                StringAssert.Contains("dds_bc7", message);
                RequestValidator.Validate(new AssetRequest("goblin archer", type) { Format = AssetFormat.DdsBc3 });
            }
            RequestValidator.Validate(new AssetRequest("cobblestone", AssetType.Texture) { Format = AssetFormat.DdsBc1 });
            StringAssert.Contains("no alpha", Refusal(new AssetRequest("goblin archer", AssetType.Sprite) { Format = AssetFormat.DdsBc1 }, Model()));
        }
}
}
