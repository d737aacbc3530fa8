using System;
using System.Collections.Generic;
using System.IO;
using System.Text;
using NUnit.Framework;

namespace AssetGen.Client.Core.Tests
{
    [TestFixture]
    public class HttpJsonTests
    {
        static bool DeepEqual(object a, object b)
        {
            var da = a as Dictionary<string, object>;
            var db = b as Dictionary<string, object>;
            if (da != null || db != null)
            {
                if (da == null || db == null || da.Count != db.Count) return false;
                foreach (var pair in da)
                    if (!db.ContainsKey(pair.Key) || !DeepEqual(pair.Value, db[pair.Key])) return false;
                return true;
            }
            var la = a as List<object>;
            var lb = b as List<object>;
            if (la != null || lb != null)
            {
                if (la == null || lb == null || la.Count != lb.Count) return false;
                for (int i = 0; i < la.Count; i++) if (!DeepEqual(la[i], lb[i])) return false;
                return true;
            }
            if (a is double || b is double) return Convert.ToDouble(a) == Convert.ToDouble(b);
            return Equals(a, b);
        }

        static AssetRequest FromGolden(Dictionary<string, object> r)
        {
            var request = new AssetRequest(MiniJson.String(r, "prompt"), WireNames.ParseType(MiniJson.String(r, "kind")));
            if (r.ContainsKey("count")) request.Count = MiniJson.Int(r, "count");
            if (r.ContainsKey("seed")) request.Seed = MiniJson.ULong(r, "seed");
            request.Format = r.ContainsKey("format") ? WireNames.ParseFormat(MiniJson.String(r, "format")) : AssetFormat.Png;
            if (r.ContainsKey("priority") && MiniJson.String(r, "priority") == "background") request.Priority = AssetPriority.Background;
            if (r.ContainsKey("size")) { request.Width = MiniJson.Int(r, "size"); request.Height = request.Width; }
            if (r.ContainsKey("tileable")) request.Tileable = MiniJson.Bool(r, "tileable");
            if (r.ContainsKey("model")) request.Model = MiniJson.String(r, "model");
            if (r.ContainsKey("maps"))
            {
                var maps = MiniJson.Array(r, "maps");
                request.Maps = new MaterialMap[maps.Count];
                for (int i = 0; i < maps.Count; i++) request.Maps[i] = WireNames.ParseMap((string)maps[i]);
            }
            if (r.ContainsKey("vary_seed")) request.Vary = new VariationOptions(MiniJson.ULong(r, "vary_seed"), MiniJson.Double(r, "strength"));
            if (r.ContainsKey("interpolate_seed"))
                request.Interpolate = new InterpolationOptions(MiniJson.ULong(r, "interpolate_seed"),
                                                               r.ContainsKey("interpolate_t") ? MiniJson.Double(r, "interpolate_t") : (double?)null);
            return request;
        }

        [Test]
        public void RequestsAreTheServersCanonicalJson()
        {
            var golden = GoldenFiles.Load("http_requests.json");
            int checkedCount = 0;
            foreach (var item in MiniJson.Array(golden, "cases"))
            {
                var c = MiniJson.Object(item, "case");
                string json = HttpJson.RequestJson(FromGolden(MiniJson.Object(c["request"], "request")));
                Assert.IsTrue(DeepEqual(MiniJson.Parse(json), c["json"]), MiniJson.String(c, "name") + ": " + json);
                checkedCount++;
            }
            Assert.AreEqual(5, checkedCount);
        }

        [Test]
        public void NdjsonRepliesParseToWholeAssetsThenTheStatus()
        {
            var golden = GoldenFiles.Load("http_generate.json");
            string folder = Environment.GetEnvironmentVariable(GoldenFiles.Variable);
            string body = File.ReadAllText(Path.Combine(folder, "http_generate.ndjson"), Encoding.UTF8);
            var events = HttpJson.ParseBody(body);
            var expect = MiniJson.Array(golden, "assets");
            Assert.AreEqual(expect.Count + 2, events.Count);
            var assembler = new ChunkAssembler();
            for (int i = 0; i < expect.Count; i++)
            {
                var e = MiniJson.Object(expect[i], "asset");
                var asset = assembler.Add(events[i].Asset);      // whole, hash-checked
                Assert.IsNotNull(asset);
                Assert.AreEqual(MiniJson.Int(e, "index"), asset.Index);
                Assert.AreEqual(ulong.Parse(MiniJson.String(e, "seed")), asset.Seed);
                Assert.AreEqual(MiniJson.String(e, "kind"), asset.Type.Name());
                Assert.AreEqual(MiniJson.String(e, "format"), asset.Format.Name());
                Assert.AreEqual(MiniJson.String(e, "map"), asset.Map.Name());
                Assert.AreEqual(MiniJson.Int(e, "size"), asset.Data.Length);
                Assert.AreEqual(MiniJson.Int(e, "pipeline"), asset.Pipeline);
                Assert.AreEqual(MiniJson.Bool(e, "tileable"), asset.Tileable);
                Assert.AreEqual(MiniJson.String(e, "model_version"), asset.ModelVersion);
                if (e["vary_seed"] != null) Assert.AreEqual(ulong.Parse((string)e["vary_seed"]), asset.VarySeed.Value);
                if (e["interpolate_seed"] != null) Assert.AreEqual(ulong.Parse((string)e["interpolate_seed"]), asset.InterpolateSeed.Value);
            }
            Assert.IsTrue(events[expect.Count].Done);
            var error = events[expect.Count + 1];
            Assert.AreEqual("RESOURCE_EXHAUSTED", error.ErrorCode);
            Assert.AreEqual(250, error.RetryAfterMs);
        }

        [Test]
        public void WebGlUsesHttpJsonAndEverythingElseGrpc()
        {
            Assert.AreEqual(Transport.HttpJson, HttpJson.Choose(true));
            Assert.AreEqual(Transport.Grpc, HttpJson.Choose(false));
            Assert.Throws<FormatException>(() => HttpJson.ParseLine("{\"other\": 1}"));
        }
    }
}
