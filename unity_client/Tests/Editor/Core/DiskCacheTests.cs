using System;
using System.IO;
using NUnit.Framework;

namespace AssetGen.Client.Core.Tests
{
    [TestFixture]
    public class DiskCacheTests
    {
        string root;

        [SetUp]
        public void MakeFolder()
        {
            root = Path.Combine(Path.GetTempPath(), "assetgen-cache-test-" + Guid.NewGuid().ToString("N"));
        }

        [TearDown]
        public void RemoveFolder()
        {
            if (Directory.Exists(root)) Directory.Delete(root, true);
        }

        static AssembledAsset Asset(ulong seed, int bytes)
        {
            var data = new byte[bytes];
            for (int i = 0; i < bytes; i++) data[i] = (byte)(i * 7 + (int)seed);
            return new AssembledAsset
            {
                Seed = seed, Type = AssetType.Sprite, Width = 8, Height = 8, Format = AssetFormat.Rgba8, Channels = 4,
                Tileable = false, Model = "m", ModelVersion = "v", Sha256 = CacheKey.Sha256Hex(data), Data = data,
            };
        }

        static string KeyOf(AssembledAsset asset)
        {
            return CacheKey.ForAsset("goblin", asset);
        }

        [Test]
        public void WhatIsPutComesBackWhole()
        {
            var cache = new DiskCache(root);
            var asset = Asset(ulong.MaxValue, 256);
            AssembledAsset found;
            Assert.IsFalse(cache.TryGet(KeyOf(asset), out found));
            cache.Put(KeyOf(asset), asset);
            Assert.IsTrue(cache.TryGet(KeyOf(asset), out found));
            CollectionAssert.AreEqual(asset.Data, found.Data);
            Assert.AreEqual(ulong.MaxValue, found.Seed);
            Assert.AreEqual(AssetType.Sprite, found.Type);
            Assert.AreEqual(AssetFormat.Rgba8, found.Format);
            Assert.AreEqual("v", found.ModelVersion);
            Assert.AreEqual(KeyOf(asset), KeyOf(found));
            Assert.AreEqual(256, cache.Size());
        }

        [Test]
        public void MapsVariationsAndFramesComeBackExactly()
        {
            var cache = new DiskCache(root);
            var normal = Asset(3, 64);
            normal.Type = AssetType.Texture;
            normal.Format = AssetFormat.DdsBc7;
            normal.Map = MaterialMap.Normal;
            normal.VarySeed = ulong.MaxValue;
            normal.VaryStrength = 1e-05;
            var frame = Asset(4, 64);
            frame.InterpolateSeed = 12;
            frame.InterpolateT = 1.0 / 7;
            foreach (var asset in new[] { normal, frame })
            {
                cache.Put(KeyOf(asset), asset);
                AssembledAsset found;
                Assert.IsTrue(cache.TryGet(KeyOf(asset), out found));
                Assert.AreEqual(asset.Map, found.Map);
                Assert.AreEqual(asset.Format, found.Format);
                Assert.AreEqual(asset.VarySeed, found.VarySeed);
                Assert.AreEqual(asset.VaryStrength, found.VaryStrength);
                Assert.AreEqual(asset.InterpolateSeed, found.InterpolateSeed);
                Assert.AreEqual(asset.InterpolateT, found.InterpolateT);
                Assert.AreEqual(KeyOf(asset), KeyOf(found));
            }
            Assert.AreNotEqual(KeyOf(normal), KeyOf(Asset(3, 64)));
        }

        [Test]
        public void ACorruptEntryIsAMissAndIsRemoved()
        {
            var cache = new DiskCache(root);
            var asset = Asset(1, 64);
            string key = KeyOf(asset);
            cache.Put(key, asset);
            string data = Path.Combine(Path.Combine(root, key.Substring(0, 2)), key + ".bin");
            File.WriteAllBytes(data, new byte[64]);
            AssembledAsset found;
            Assert.IsFalse(cache.TryGet(key, out found));
            Assert.IsFalse(File.Exists(data));
        }

        [Test]
        public void KeysThatAreNotHexAreRefused()
        {
            var cache = new DiskCache(root);
            AssembledAsset found;
            Assert.Throws<ArgumentException>(() => cache.TryGet("../outside", out found));
            Assert.Throws<ArgumentException>(() => new DiskCache(""));
        }

        [Test]
        public void TrimRemovesTheLeastRecentlyUsedFirst()
        {
            var cache = new DiskCache(root, maxBytes: 250);
            var old = Asset(1, 100);
            var used = Asset(2, 100);
            var fresh = Asset(3, 100);
            cache.Put(KeyOf(old), old);
            cache.Put(KeyOf(used), used);
            cache.Put(KeyOf(fresh), fresh);
            var past = DateTime.UtcNow.AddHours(-1);
            foreach (var a in new[] { old, used, fresh })
                File.SetLastWriteTimeUtc(Path.Combine(Path.Combine(root, KeyOf(a).Substring(0, 2)), KeyOf(a) + ".bin"), past);
            File.SetLastWriteTimeUtc(Path.Combine(Path.Combine(root, KeyOf(old).Substring(0, 2)), KeyOf(old) + ".bin"), past.AddMinutes(-5));
            AssembledAsset found;
            Assert.IsTrue(cache.TryGet(KeyOf(used), out found));  // a hit makes it recent
            cache.Trim();
            Assert.IsFalse(cache.TryGet(KeyOf(old), out found));
            Assert.IsTrue(cache.TryGet(KeyOf(used), out found));
            Assert.IsTrue(cache.TryGet(KeyOf(fresh), out found));
            Assert.AreEqual(200, cache.Size());
        }
    }
}
