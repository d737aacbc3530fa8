// Editor tests that need Unity (run them in the Test Runner's EditMode tab). The engine-free
// logic is tested in Core/ (these tests also run under mono in the repo's pytest).
using System.IO;
using AssetGen.Client.Core;
using NUnit.Framework;
using UnityEditor;
using UnityEngine;

namespace AssetGen.Client.Editor.Tests
{
    public class AssetSaverTests
    {
        const string Folder = "Assets/AssetGenSaverTest";

        [TearDown]
        public void RemoveFolder()
        {
            AssetDatabase.DeleteAsset(Folder);
        }

        static GeneratedAsset Rgba(AssetType type, bool tileable)
        {
            var data = new byte[4 * 4 * 4];
            for (int i = 0; i < data.Length; i += 4) { data[i] = 200; data[i + 3] = (byte)(type.HasAlpha() ? (i % 8 == 0 ? 0 : 255) : 255); }
            var asset = new AssembledAsset
            {
                Seed = 9, Type = type, Width = 4, Height = 4, Format = AssetFormat.Rgba8, Channels = 4, Tileable = tileable,
                Model = "m", ModelVersion = "v", Sha256 = CacheKey.Sha256Hex(data), Data = data,
            };
            return new GeneratedAsset(asset, "test " + type.Name(), false);
        }

        [Test]
        public void TexturesAreSavedTileable()
        {
            var asset = Rgba(AssetType.Texture, true);
            var preview = asset.ToTexture(FilterMode.Point, keepReadable: true);
            string path = AssetSaver.Save(asset, preview, Folder, 100);
            var importer = (TextureImporter)AssetImporter.GetAtPath(path);
            Assert.AreEqual(TextureImporterType.Default, importer.textureType);
            Assert.AreEqual(TextureWrapMode.Repeat, importer.wrapMode);
            StringAssert.Contains("\"seed\":9", importer.userData);
            Object.DestroyImmediate(preview);
        }

        [Test]
        public void PropsAreSavedAsSpritesWithAlphaAndAGroundPivot()
        {
            var asset = Rgba(AssetType.Prop, false);
            var preview = asset.ToTexture(FilterMode.Point, keepReadable: true);
            string path = AssetSaver.Save(asset, preview, Folder, 32);
            var importer = (TextureImporter)AssetImporter.GetAtPath(path);
            Assert.AreEqual(TextureImporterType.Sprite, importer.textureType);
            Assert.AreEqual(TextureImporterAlphaSource.FromInput, importer.alphaSource);
            Assert.IsTrue(importer.alphaIsTransparency);
            Assert.AreEqual(32f, importer.spritePixelsPerUnit);
            Assert.IsNotNull(AssetDatabase.LoadAssetAtPath<Sprite>(path));
            Object.DestroyImmediate(preview);
        }

        [Test]
        public void FoldersOutsideAssetsAreRefused()
        {
            var asset = Rgba(AssetType.Sprite, false);
            Assert.Throws<System.ArgumentException>(() => AssetSaver.Save(asset, null, "Library/x", 100));
        }

        [Test]
        public void HistoryRemembersPromptsAndSeeds()
        {
            string prompts = EditorPrefs.GetString(PromptHistory.PromptsKey, ""), seeds = EditorPrefs.GetString(PromptHistory.SeedsKey, "");
            try
            {
                PromptHistory.Clear();
                PromptHistory.Load().Remember("  mossy cobblestone ", 42);
                var loaded = PromptHistory.Load();
                Assert.AreEqual("mossy cobblestone", loaded.Prompts[0]);
                Assert.AreEqual("42", loaded.Seeds[0]);
            }
            finally
            {
                EditorPrefs.SetString(PromptHistory.PromptsKey, prompts);
                EditorPrefs.SetString(PromptHistory.SeedsKey, seeds);
            }
        }
    }
}
