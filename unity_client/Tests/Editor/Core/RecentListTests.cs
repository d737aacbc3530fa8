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
    }
}
