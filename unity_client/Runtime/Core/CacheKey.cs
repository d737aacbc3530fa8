// The deterministic cache key of one asset: the same function as the Python client's
// plugin_service/client/cache_key.py, checked against tests/golden/cache_keys.json by both suites.
//
// Canonical form, version 2 (UTF-8, every line ends with "\n", fields in this order):
//
//     assetgen-cache-key/v2
//     model=<S>
//     model_version=<S>
//     pipeline=<decimal, >= 1>                       the asset's (or ListModels') pipeline version
//     kind=texture|sprite|prop
//     prompt=<S>
//     width=<decimal>
//     height=<decimal>
//     seed=<decimal, 0..2^64-1>
//     format=png|rgba8|dds_bc1|dds_bc3|dds_bc7
//     tileable=true|false
//
// then, only when set (so the key of a plain albedo asset is what it was before they existed):
//
//     map=normal|height|roughness                    (omitted for the albedo)
//     vary_seed=<decimal>                            variations: this asset's variation seed
//     vary_strength=<16 lowercase hex digits>        the IEEE-754 binary64 bits of the strength
//     interpolate_seed=<decimal>                     interpolation frames: the end seed
//     interpolate_t=<16 lowercase hex digits>        the IEEE-754 binary64 bits of this frame's t
//
// Floats go in as their bits, not as decimal text: Python's repr and C#'s "R" differ (1e-05 vs 1E-05).
// <S> is "<number of UTF-8 bytes>:<the text>", so no text (a prompt with a newline or "=" in it)
// reads as another field. The prompt loses leading and trailing ASCII whitespace (space, tab, LF,
// VT, FF, CR) first: the server strips at least that much, so prompts that give the same pixels
// may get different keys (a miss) but never the other way round. Every value is concrete: the
// model's real name and version, the pipeline version (0 reported = 1), the real size (not 0), the asset's own seed (request seed + i),
// the resolved tileable flag. The key is the lowercase hex sha256 of the canonical string.
using System;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace AssetGen.Client.Core
{
    public static class CacheKey
    {
        public const string VersionTag = "assetgen-cache-key/v2";
        public const int LegacyPipeline = 1;  // what a server that reports no pipeline version (0) ran

        /// <summary>The pipeline version an asset or ListModels reports, with 0 (an older server) read as 1.</summary>
        public static int ReportedPipeline(int value) { return value > 0 ? value : LegacyPipeline; }
        static readonly char[] AsciiWhitespace = { ' ', '\t', '\n', '\u000b', '\u000c', '\r' };
        // Throws on lone surrogates instead of silently writing U+FFFD (Python's encode refuses them too).
        static readonly UTF8Encoding StrictUtf8 = new UTF8Encoding(false, true);

        public static string Canonical(string model, string modelVersion, int pipeline, AssetType type, string prompt, int width, int height,
                                       ulong seed, AssetFormat format, bool tileable, MaterialMap map = MaterialMap.Albedo,
                                       ulong? varySeed = null, double? varyStrength = null,
                                       ulong? interpolateSeed = null, double? interpolateT = null)
        {
            string trimmed = (prompt ?? "").Trim(AsciiWhitespace);
            var problems = new System.Collections.Generic.List<string>();
            if (string.IsNullOrEmpty(model)) problems.Add("model is empty: use the model's real name (ListModels' default_model)");
            if (string.IsNullOrEmpty(modelVersion)) problems.Add("model_version is empty: use the version ListModels or the asset reports");
            if (pipeline < 1) problems.Add("pipeline " + pipeline + " must be a positive integer: the version the asset or ListModels reports (0 = a server too old to report one)");
            if (type != AssetType.Texture && type != AssetType.Sprite && type != AssetType.Prop) problems.Add("kind " + type + " is not one of texture, sprite, prop");
            if (trimmed.Length == 0) problems.Add("prompt is empty");
            if (width <= 0) problems.Add("width " + width + " must be positive (resolve 0 to the native size)");
            if (height <= 0) problems.Add("height " + height + " must be positive (resolve 0 to the native size)");
            if (!format.IsKnown()) problems.Add("format " + format + " is not one of " + WireNames.FormatChoices);
            if (!map.IsKnown()) problems.Add("map " + map + " is not one of " + WireNames.MapChoices);
            if (varySeed.HasValue != varyStrength.HasValue) problems.Add("vary_seed and vary_strength go together");
            if (interpolateSeed.HasValue != interpolateT.HasValue)
                problems.Add("interpolate_seed and interpolate_t go together (use the frame's own t)");
            if (problems.Count > 0) throw new ArgumentException("cannot make a cache key: " + string.Join("; ", problems.ToArray()));

            var text = new StringBuilder();
            text.Append(VersionTag).Append('\n');
            text.Append("model=").Append(Sized(model)).Append('\n');
            text.Append("model_version=").Append(Sized(modelVersion)).Append('\n');
            text.Append("pipeline=").Append(pipeline.ToString(CultureInfo.InvariantCulture)).Append('\n');
            text.Append("kind=").Append(type.Name()).Append('\n');
            text.Append("prompt=").Append(Sized(trimmed)).Append('\n');
            text.Append("width=").Append(width.ToString(CultureInfo.InvariantCulture)).Append('\n');
            text.Append("height=").Append(height.ToString(CultureInfo.InvariantCulture)).Append('\n');
            text.Append("seed=").Append(seed.ToString(CultureInfo.InvariantCulture)).Append('\n');
            text.Append("format=").Append(format.Name()).Append('\n');
            text.Append("tileable=").Append(tileable ? "true" : "false").Append('\n');
            if (map != MaterialMap.Albedo) text.Append("map=").Append(map.Name()).Append('\n');
            if (varySeed.HasValue)
            {
                text.Append("vary_seed=").Append(varySeed.Value.ToString(CultureInfo.InvariantCulture)).Append('\n');
                text.Append("vary_strength=").Append(FloatBits(varyStrength.Value)).Append('\n');
            }
            if (interpolateSeed.HasValue)
            {
                text.Append("interpolate_seed=").Append(interpolateSeed.Value.ToString(CultureInfo.InvariantCulture)).Append('\n');
                text.Append("interpolate_t=").Append(FloatBits(interpolateT.Value)).Append('\n');
            }
            return text.ToString();
        }

        public static string Compute(string model, string modelVersion, int pipeline, AssetType type, string prompt, int width, int height,
                                     ulong seed, AssetFormat format, bool tileable, MaterialMap map = MaterialMap.Albedo,
                                     ulong? varySeed = null, double? varyStrength = null,
                                     ulong? interpolateSeed = null, double? interpolateT = null)
        {
            return Sha256Hex(StrictUtf8.GetBytes(Canonical(model, modelVersion, pipeline, type, prompt, width, height, seed, format, tileable,
                                                           map, varySeed, varyStrength, interpolateSeed, interpolateT)));
        }

        /// <summary>The key of map <paramref name="map"/> of asset <paramref name="index"/> of a resolved request
        /// with a seed: the server's own per-asset rules (seed + i; variations: base seed, variation seed + i;
        /// frames: base seed, t = i / (count - 1) unless the request pins t).</summary>
        public static string ForRequest(ResolvedRequest request, int index, MaterialMap map = MaterialMap.Albedo)
        {
            if (!request.Seed.HasValue) throw new ArgumentException("a request without a seed has no key until the server picks one");
            ulong seed = request.Seed.Value;
            ulong? varySeed = null, interpolateSeed = null;
            double? varyStrength = null, interpolateT = null;
            if (request.Vary != null)
            {
                varySeed = unchecked(request.Vary.Seed + (ulong)index);
                varyStrength = request.Vary.Strength;
            }
            else if (request.Interpolate != null)
            {
                interpolateSeed = request.Interpolate.SeedB;
                interpolateT = request.Interpolate.T.HasValue ? request.Interpolate.T.Value
                             : request.Count > 1 ? (double)index / (request.Count - 1) : 0.0;
            }
            else
            {
                seed = unchecked(seed + (ulong)index);
            }
            return Compute(request.Model, request.ModelVersion, ReportedPipeline(request.Pipeline), request.Type, request.Prompt, request.Width, request.Height,
                           seed, request.Format, request.Tileable, map, varySeed, varyStrength, interpolateSeed, interpolateT);
        }

        /// <summary>The key of an asset the server sent back for <paramref name="prompt"/>.</summary>
        public static string ForAsset(string prompt, AssembledAsset asset)
        {
            return Compute(asset.Model, asset.ModelVersion, ReportedPipeline(asset.Pipeline), asset.Type, prompt, asset.Width, asset.Height,
                           asset.Seed, asset.Format, asset.Tileable, asset.Map, asset.VarySeed, asset.VaryStrength,
                           asset.InterpolateSeed, asset.InterpolateT);
        }

        /// <summary>The IEEE-754 binary64 bits as 16 lowercase hex digits (Python: struct.pack(">d", x).hex()).</summary>
        public static string FloatBits(double value)
        {
            return unchecked((ulong)BitConverter.DoubleToInt64Bits(value)).ToString("x16", CultureInfo.InvariantCulture);
        }

        /// <summary>True for 64 lowercase hex characters: safe as a file name.</summary>
        public static bool IsWellFormed(string key)
        {
            if (key == null || key.Length != 64) return false;
            foreach (char c in key)
                if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
            return true;
        }

        public static string Sha256Hex(byte[] data)
        {
            using (var sha = SHA256.Create())
            {
                byte[] digest = sha.ComputeHash(data);
                var hex = new StringBuilder(64);
                foreach (byte b in digest) hex.Append(b.ToString("x2", CultureInfo.InvariantCulture));
                return hex.ToString();
            }
        }

        static string Sized(string value)
        {
            return StrictUtf8.GetByteCount(value).ToString(CultureInfo.InvariantCulture) + ":" + value;
        }
    }
}
