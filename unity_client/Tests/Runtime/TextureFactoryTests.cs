// Play-mode tests of the Unity side (Test Runner, PlayMode tab): row order, wrap modes, sprites,
// the main-thread rule and channel shutdown. No server is needed.
using System;
using AssetGen.Client.Core;
using NUnit.Framework;
using UnityEngine;

namespace AssetGen.Client.Tests
{
    public class TextureFactoryTests
    {
        // 2x2 RGBA8 as the wire sends it, top row first: red, green / blue, white.
        static AssembledAsset TwoByTwo(AssetType type, bool tileable, AssetFormat format = AssetFormat.Rgba8, byte[] data = null)
        {
            data = data ?? new byte[] { 255, 0, 0, 255, 0, 255, 0, 255, 0, 0, 255, 255, 255, 255, 255, 255 };
            return new AssembledAsset
            {
                Type = type, Width = 2, Height = 2, Format = format, Channels = 4, Tileable = tileable, Model = "m",
                ModelVersion = "v", Sha256 = CacheKey.Sha256Hex(data), Data = data,
            };
        }

        [Test]
        public void RawRowsLoadTopRowAtTheTop()
        {
            var texture = TextureFactory.CreateTexture(TwoByTwo(AssetType.Texture, true), keepReadable: true);
            Assert.AreEqual(TextureFormat.RGBA32, texture.format);
            Assert.AreEqual(Color.red, texture.GetPixel(0, 1));    // Unity's y grows upwards
            Assert.AreEqual(Color.green, texture.GetPixel(1, 1));
            Assert.AreEqual(Color.blue, texture.GetPixel(0, 0));
            Assert.AreEqual(TextureWrapMode.Repeat, texture.wrapMode);
            UnityEngine.Object.Destroy(texture);
        }

        [Test]
        public void PngDecodesToTheSamePixels()
        {
            var raw = TextureFactory.CreateTexture(TwoByTwo(AssetType.Texture, true), keepReadable: true);
            byte[] png = ImageConversion.EncodeToPNG(raw);
            var decoded = TextureFactory.CreateTexture(TwoByTwo(AssetType.Texture, true, AssetFormat.Png, png), keepReadable: true);
            Assert.AreEqual(raw.GetPixels32()[0], decoded.GetPixels32()[0]);
            Assert.AreEqual(Color.red, decoded.GetPixel(0, 1));
            UnityEngine.Object.Destroy(raw);
            UnityEngine.Object.Destroy(decoded);
        }

        [Test]
        public void SpritesClampAndKeepTheirPivot()
        {
            var texture = TextureFactory.CreateTexture(TwoByTwo(AssetType.Sprite, false));
            var sprite = TextureFactory.CreateSprite(texture, new Vector2(0.5f, 0f), 2f);
            Assert.AreEqual(TextureWrapMode.Clamp, texture.wrapMode);
            Assert.AreEqual(new Vector2(1f, 0f), sprite.pivot);   // pixels: bottom centre of 2x2
            Assert.AreEqual(1f, sprite.bounds.size.x, 1e-5);       // 2 px at 2 px per unit
            UnityEngine.Object.Destroy(sprite);
            UnityEngine.Object.Destroy(texture);
        }

        [Test]
        public void TexturesAreMadeOnTheMainThreadOnly()
        {
            Assert.IsTrue(MainThread.IsMainThread);
            var error = System.Threading.Tasks.Task.Run(() =>
            {
                try { TextureFactory.CreateTexture(TwoByTwo(AssetType.Texture, true)); return null; }
                catch (InvalidOperationException e) { return e; }
            }).Result;
            Assert.IsNotNull(error);
        }

        sealed class Probe : IDisposable
        {
            public int Disposed;
            public void Dispose() { Disposed++; }
        }

        [Test]
        public void PlayModeClientsCloseWhenPlayModeEnds()
        {
            var playMode = new Probe();
            var editor = new Probe();
            ChannelLifetime.Register(playMode, true);
            ChannelLifetime.Register(editor, false);
            ChannelLifetime.ClosePlayModeClients();
            Assert.AreEqual(1, playMode.Disposed);
            Assert.AreEqual(0, editor.Disposed);
            ChannelLifetime.Unregister(editor);
        }

        [Test]
        public void SettingsSayWhatToChange()
        {
            var settings = ScriptableObject.CreateInstance<AssetGenSettings>();
            settings.address = "";
            StringAssert.Contains("address is empty", string.Join("; ", settings.Problems().ToArray()));
            settings.address = "assets.example.com:443";
            settings.token = "secret";
            StringAssert.Contains("turn useTls on", string.Join("; ", settings.Problems().ToArray()));
            settings.useTls = true;
            Assert.AreEqual(0, settings.Problems().Count);
            Assert.AreEqual("https://assets.example.com:443", settings.Uri);
            UnityEngine.Object.Destroy(settings);
        }
    }
}
