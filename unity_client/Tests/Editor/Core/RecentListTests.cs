using NUnit.Framework;

namespace AssetGen.Client.Core.Tests
{
    [TestFixture]
    public class RecentListTests
    {
        [Test]
        public void NewestFirstWithoutDuplicatesAndCapped()
        {
            var list = new RecentList(3);
            list.Add("grass");
            list.Add("sand");
            list.Add("grass");
            list.Add("lava");
            list.Add("ice");
            CollectionAssert.AreEqual(new[] { "ice", "lava", "grass" }, list.Items);
        }

        [Test]
        public void SurvivesSerialization()
        {
            var list = new RecentList(5);
            list.Add("mossy cobblestone, wet");
            list.Add("goblin archer\nwith a bow");
            var back = RecentList.Parse(list.Serialize(), 5);
            CollectionAssert.AreEqual(list.Items, back.Items);
            Assert.AreEqual(0, RecentList.Parse(null, 5).Items.Count);
            Assert.AreEqual(1, RecentList.Parse("a" + RecentList.Separator + "b", 1).Items.Count);
        }
    }
}

namespace AssetGen.Client.Core.Tests
{
    [TestFixture]
    public class ImportRecipeTests
    {
        [Test]
        public void TexturesTileAndSpritesKeepTheirAlpha()
        {
            var texture = ImportRecipe.For(AssetType.Texture, true);
            Assert.IsFalse(texture.Sprite);
            Assert.AreEqual(WrapChoice.Repeat, texture.Wrap);
            Assert.AreEqual(WrapChoice.Clamp, ImportRecipe.For(AssetType.Texture, false).Wrap);
            var sprite = ImportRecipe.For(AssetType.Sprite, false);
            Assert.IsTrue(sprite.Sprite && sprite.AlphaFromInput);
            Assert.AreEqual(WrapChoice.Clamp, sprite.Wrap);
            Assert.AreEqual(PivotChoice.Center, sprite.Pivot);
            Assert.AreEqual(PivotChoice.BottomCenter, ImportRecipe.For(AssetType.Prop, false).Pivot);
        }

        [Test]
        public void AlbedoIsSrgbColourAndEveryDataMapIsLinear()
        {
            var albedo = ImportRecipe.For(AssetType.Texture, true, MaterialMap.Albedo);
            Assert.IsFalse(albedo.Linear || albedo.NormalMap);
            var normal = ImportRecipe.For(AssetType.Texture, true, MaterialMap.Normal);
            Assert.IsTrue(normal.Linear && normal.NormalMap);
            foreach (var map in new[] { MaterialMap.Height, MaterialMap.Roughness })
            {
                var data = ImportRecipe.For(AssetType.Texture, true, map);
                Assert.IsTrue(data.Linear, map.Name());
                Assert.IsFalse(data.NormalMap, map.Name());
            }
            foreach (var type in new[] { AssetType.Sprite, AssetType.Prop })
                Assert.IsFalse(ImportRecipe.For(type, false).Linear, type.Name());
            // Why: a normal (0.35, 0.2, 0.915) stored as RGB and read as sRGB colour tilts by tens of degrees.
            double[] n = { 0.35, 0.2, 0.915 }, read = new double[3];
            double norm = 0, dot = 0;
            for (int i = 0; i < 3; i++)
            {
                double stored = n[i] * 0.5 + 0.5;
                double decoded = stored <= 0.04045 ? stored / 12.92 : System.Math.Pow((stored + 0.055) / 1.055, 2.4);
                read[i] = decoded * 2 - 1;
                norm += read[i] * read[i];
            }
            for (int i = 0; i < 3; i++) dot += n[i] * read[i] / System.Math.Sqrt(norm);
            Assert.Greater(System.Math.Acos(System.Math.Min(1, dot)) * 180 / System.Math.PI, 20.0);
        }
    }
}
