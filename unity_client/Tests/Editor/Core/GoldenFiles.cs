// Finds tests/golden/ of the assetgen repository: the vectors the Python tests read too.
// The pytest runner sets ASSETGEN_GOLDEN_DIR; in Unity the folder is found by walking up from the
// project when the project sits inside the repository, else the golden tests are ignored with a
// message saying how to point at it.
using System;
using System.Collections.Generic;
using System.IO;
using System.Text;
using NUnit.Framework;

namespace AssetGen.Client.Core.Tests
{
    static class GoldenFiles
    {
        public const string Variable = "ASSETGEN_GOLDEN_DIR";

        public static Dictionary<string, object> Load(string name)
        {
            string folder = Find(name);
            if (folder == null)
                Assert.Ignore("golden vectors not found: set " + Variable + " to <assetgen repo>/tests/golden");
            return MiniJson.Object(MiniJson.Parse(File.ReadAllText(Path.Combine(folder, name), Encoding.UTF8)), name);
        }

        static string Find(string name)
        {
            string configured = Environment.GetEnvironmentVariable(Variable);
            if (!string.IsNullOrEmpty(configured))
            {
                if (!File.Exists(Path.Combine(configured, name)))
                    Assert.Fail(Variable + "=" + configured + " has no " + name);
                return configured;
            }
            var starts = new[] { Environment.CurrentDirectory, AppDomain.CurrentDomain.BaseDirectory };
            foreach (var start in starts)
            {
                var dir = new DirectoryInfo(start);
                while (dir != null)
                {
                    string candidate = Path.Combine(Path.Combine(dir.FullName, "tests"), "golden");
                    if (File.Exists(Path.Combine(candidate, name))) return candidate;
                    dir = dir.Parent;
                }
            }
            return null;
        }
    }
}
