using System;
using System.Collections.Generic;
using NUnit.Framework;

namespace AssetGen.Client.Core.Tests
{
    [TestFixture]
    public class ChunkAssemblerTests
    {
        static AssetChunk Chunk(Dictionary<string, object> m)
        {
            return new AssetChunk
            {
                Tag = MiniJson.String(m, "tag"), Index = MiniJson.Int(m, "index"), Seed = MiniJson.ULong(m, "seed"),
                Type = WireNames.ParseType(MiniJson.String(m, "kind")), Width = MiniJson.Int(m, "width"),
                Height = MiniJson.Int(m, "height"), Format = WireNames.ParseFormat(MiniJson.String(m, "format")),
                Channels = MiniJson.Int(m, "channels"), Tileable = MiniJson.Bool(m, "tileable"),
                Model = MiniJson.String(m, "model"), ModelVersion = MiniJson.String(m, "model_version"), Pipeline = MiniJson.Int(m, "pipeline"),
                Sha256 = MiniJson.String(m, "sha256"), TotalSize = MiniJson.ULong(m, "total_size"),
                Offset = MiniJson.ULong(m, "offset"), Data = Convert.FromBase64String(MiniJson.String(m, "data_b64")),
            };
        }

        [Test]
        public void GoldenCasesMatchThePythonClient()
        {
            var golden = GoldenFiles.Load("chunked_asset.json");
            int cases = 0;
            foreach (var item in MiniJson.Array(golden, "cases"))
            {
                var c = MiniJson.Object(item, "case");
                string name = MiniJson.String(c, "name");
                string prompt = MiniJson.String(c, "prompt");
                var messages = MiniJson.Array(c, "messages");
                var expected = MiniJson.Array(c, "expect");
                int errorAt = MiniJson.Has(c, "error_at") ? MiniJson.Int(c, "error_at") : -1;
                var assembler = new ChunkAssembler();
                int next = 0;
                for (int i = 0; i < messages.Count; i++)
                {
                    var chunk = Chunk(MiniJson.Object(messages[i], "message"));
                    if (i == errorAt)
                    {
                        Assert.Throws<ChunkException>(() => assembler.Add(chunk), name);
                        break;
                    }
                    var asset = assembler.Add(chunk);
                    if (asset == null) continue;
                    Assert.Less(next, expected.Count, name + ": an unexpected asset completed at message " + i);
                    var e = MiniJson.Object(expected[next++], "expect");
                    Assert.AreEqual(MiniJson.Int(e, "after_message"), i, name + ": completed at the wrong message");
                    Assert.AreEqual(MiniJson.String(e, "tag"), asset.Tag, name);
                    Assert.AreEqual(MiniJson.Int(e, "index"), asset.Index, name);
                    Assert.AreEqual(MiniJson.ULong(e, "seed"), asset.Seed, name);
                    Assert.AreEqual(MiniJson.String(e, "kind"), asset.Type.Name(), name);
                    Assert.AreEqual(MiniJson.String(e, "format"), asset.Format.Name(), name);
                    Assert.AreEqual(MiniJson.Int(e, "width"), asset.Width, name);
                    Assert.AreEqual(MiniJson.Int(e, "height"), asset.Height, name);
                    Assert.AreEqual(MiniJson.Int(e, "channels"), asset.Channels, name);
                    Assert.AreEqual(MiniJson.Bool(e, "tileable"), asset.Tileable, name);
                    Assert.AreEqual(MiniJson.String(e, "sha256"), asset.Sha256, name);
                    Assert.AreEqual(MiniJson.Int(e, "size"), asset.Data.Length, name);
                    CollectionAssert.AreEqual(Convert.FromBase64String(MiniJson.String(e, "data_b64")), asset.Data, name);
                    Assert.AreEqual(MiniJson.String(e, "cache_key"), CacheKey.ForAsset(prompt, asset), name + ": cache key");
                }
                if (errorAt < 0)
                {
                    Assert.AreEqual(expected.Count, next, name + ": assets missing");
                    Assert.AreEqual(0, assembler.Pending, name + ": partial assets left over");
                }
                cases++;
            }
            Assert.Greater(cases, 5);
        }

        [Test]
        public void TheMapsOfOneImageAreSeparateAssetsAndKeepTheirMetadata()
        {
            var assembler = new ChunkAssembler();
            var albedo = new byte[] { 1, 2, 3, 4 };
            var normal = new byte[] { 5, 6, 7, 8 };
            string albedoSha = CacheKey.Sha256Hex(albedo), normalSha = CacheKey.Sha256Hex(normal);
            // Same tag and index, chunks interleaved: keyed by map too, as the Python client does.
            Assert.IsNull(assembler.Add(new AssetChunk { Index = 2, TotalSize = 4, Sha256 = albedoSha, Data = new byte[] { 1, 2 } }));
            Assert.IsNull(assembler.Add(new AssetChunk { Index = 2, Map = MaterialMap.Normal, TotalSize = 4, Sha256 = normalSha,
                                                         Data = new byte[] { 5, 6 }, VarySeed = 9, VaryStrength = 0.25 }));
            var first = assembler.Add(new AssetChunk { Index = 2, TotalSize = 4, Offset = 2, Sha256 = albedoSha, Data = new byte[] { 3, 4 } });
            var second = assembler.Add(new AssetChunk { Index = 2, Map = MaterialMap.Normal, TotalSize = 4, Offset = 2, Sha256 = normalSha,
                                                        Data = new byte[] { 7, 8 }, VarySeed = 9, VaryStrength = 0.25,
                                                        Format = AssetFormat.DdsBc1 });
            Assert.AreEqual(MaterialMap.Albedo, first.Map);
            CollectionAssert.AreEqual(albedo, first.Data);
            Assert.AreEqual(MaterialMap.Normal, second.Map);
            CollectionAssert.AreEqual(normal, second.Data);
            Assert.AreEqual(9UL, second.VarySeed);
            Assert.AreEqual(0.25, second.VaryStrength);
            Assert.IsNull(second.InterpolateT);
            Assert.AreEqual(AssetFormat.DdsBc1, second.Format);
            Assert.AreEqual(0, assembler.Pending);
        }

        [Test]
        public void ForgetDropsOnlyThePartialAssetsOfOneTag()
        {
            var assembler = new ChunkAssembler();
            var data = new byte[] { 1, 2, 3, 4 };
            string sha = CacheKey.Sha256Hex(data);
            assembler.Add(new AssetChunk { Tag = "a", Index = 0, TotalSize = 4, Sha256 = sha, Data = new byte[] { 1, 2 } });
            assembler.Add(new AssetChunk { Tag = "ab", Index = 0, TotalSize = 4, Sha256 = sha, Data = new byte[] { 1, 2 } });
            assembler.Forget("a");
            Assert.AreEqual(1, assembler.Pending);
            var done = assembler.Add(new AssetChunk { Tag = "ab", Index = 0, TotalSize = 4, Offset = 2, Sha256 = sha, Data = new byte[] { 3, 4 } });
            Assert.IsNotNull(done);
            CollectionAssert.AreEqual(data, done.Data);
        }
    }
}
