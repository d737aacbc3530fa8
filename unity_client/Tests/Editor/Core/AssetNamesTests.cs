using System.Collections.Generic;
using NUnit.Framework;

namespace AssetGen.Client.Core.Tests
{
    [TestFixture]
    public class AssetNamesTests
    {
        [Test]
        public void NamesMatchThePythonClient()
        {
            var golden = GoldenFiles.Load("file_names.json");
            var failures = new List<string>();
            int checkedCount = 0;
            foreach (var item in MiniJson.Array(golden, "cases"))
            {
                var c = MiniJson.Object(item, "case");
                var a = MiniJson.Object(c["asset"], "asset");
                string prompt = MiniJson.String(c, "prompt");
                var asset = new AssembledAsset
                {
                    Seed = MiniJson.ULong(a, "seed"), Type = WireNames.ParseType(MiniJson.String(a, "kind")),
                    Width = MiniJson.Int(a, "width"), Height = MiniJson.Int(a, "height"),
                    Format = WireNames.ParseFormat(MiniJson.String(a, "format")), Tileable = MiniJson.Bool(a, "tileable"),
                    Model = MiniJson.String(a, "model"), ModelVersion = MiniJson.String(a, "model_version"),
                    Pipeline = MiniJson.Int(a, "pipeline"), Map = WireNames.ParseMap(MiniJson.String(a, "map")),
                    VarySeed = MiniJson.Has(a, "vary_seed") && a["vary_seed"] != null ? MiniJson.ULong(a, "vary_seed") : (ulong?)null,
                    VaryStrength = MiniJson.Has(a, "vary_strength") && a["vary_strength"] != null ? MiniJson.Double(a, "vary_strength") : (double?)null,
                    InterpolateSeed = MiniJson.Has(a, "interpolate_seed") && a["interpolate_seed"] != null ? MiniJson.ULong(a, "interpolate_seed") : (ulong?)null,
                    InterpolateT = MiniJson.Has(a, "interpolate_t") && a["interpolate_t"] != null ? MiniJson.Double(a, "interpolate_t") : (double?)null,
                };
                if (AssetNames.Slug(prompt) != MiniJson.String(c, "slug")) failures.Add(prompt + ": slug " + AssetNames.Slug(prompt));
                if (AssetNames.Stem(prompt, asset) != MiniJson.String(c, "stem")) failures.Add(prompt + ": stem " + AssetNames.Stem(prompt, asset));
                checkedCount++;
            }
            Assert.AreEqual(0, failures.Count, string.Join("\n", failures.ToArray()));
            Assert.Greater(checkedCount, 10);
        }
    }
}
