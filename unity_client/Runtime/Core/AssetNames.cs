// File names of saved assets: readable, stable and unique. The same function as the Python
// client's plugin_service/client/files.py (asset_stem), checked against tests/golden/file_names.json.
//
//     <slug>_s<seed>[_v<variation seed>][_to<end seed>_t<t, 4 decimals>][_<map>]_<first 8 hex of the cache key>
//
// The slug keeps letters and numbers of any script, lower-cased, with every run of anything else
// as one '-', at most 48 code points ("asset" when nothing is left). The cache key part makes two
// different assets (another prompt, size, model, pipeline, format) never share a name, and the
// same asset always get the same one.
using System.Globalization;
using System.Text;

namespace AssetGen.Client.Core
{
    public static class AssetNames
    {
        public const int MaxSlug = 48;   // code points
        public const int KeyChars = 8;

        public static string Slug(string prompt)
        {
            string lower = (prompt ?? "").ToLowerInvariant();
            var text = new StringBuilder();
            int codePoints = 0;
            bool dash = false;
            for (int i = 0; i < lower.Length; i++)
            {
                bool pair = char.IsSurrogatePair(lower, i);
                bool keep = char.IsLetter(lower, i) || char.IsNumber(lower, i);
                if (keep)
                {
                    if (dash && text.Length > 0) { text.Append('-'); codePoints++; }
                    text.Append(lower[i]);
                    if (pair) text.Append(lower[i + 1]);
                    codePoints++;
                    dash = false;
                }
                else
                {
                    dash = true;
                }
                if (pair) i++;
            }
            string slug = Truncate(text.ToString(), MaxSlug).TrimEnd('-');
            return slug.Length == 0 ? "asset" : slug;
        }

        public static string Stem(string prompt, AssembledAsset asset)
        {
            var name = new StringBuilder(Slug(prompt));
            name.Append("_s").Append(asset.Seed.ToString(CultureInfo.InvariantCulture));
            if (asset.VarySeed.HasValue) name.Append("_v").Append(asset.VarySeed.Value.ToString(CultureInfo.InvariantCulture));
            if (asset.InterpolateSeed.HasValue)
                name.Append("_to").Append(asset.InterpolateSeed.Value.ToString(CultureInfo.InvariantCulture))
                    .Append("_t").Append((asset.InterpolateT ?? 0.0).ToString("F4", CultureInfo.InvariantCulture));
            if (asset.Map != MaterialMap.Albedo) name.Append('_').Append(asset.Map.Name());
            name.Append('_').Append(CacheKey.ForAsset(prompt, asset).Substring(0, KeyChars));
            return name.ToString();
        }

        static string Truncate(string text, int codePoints)
        {
            int count = 0;
            for (int i = 0; i < text.Length; i++)
            {
                if (count == codePoints) return text.Substring(0, i);
                if (char.IsSurrogatePair(text, i)) i++;
                count++;
            }
            return text;
        }
    }
}
