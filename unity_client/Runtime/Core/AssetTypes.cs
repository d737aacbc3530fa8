// The asset kinds, formats and priorities of assetgen.v1, as plain enums with the lowercase names
// the Python client, the sidecars and the cache key use ("texture", "rgba8").
// The generated proto enums (AssetGen.V1.AssetKind, ...) stay in Runtime; this assembly has no
// Google.Protobuf reference so it builds and tests with nothing but the .NET base library.
using System;

namespace AssetGen.Client.Core
{
    /// <summary>What to make. Numbers equal AssetGen.V1.AssetKind's.</summary>
    public enum AssetType
    {
        Unspecified = 0,
        Texture = 1,  // opaque, tileable by default
        Sprite = 2,   // RGBA with a transparent background
        Prop = 3,     // RGBA object with a transparent background
    }

    /// <summary>How the pixels travel. Numbers equal AssetGen.V1.OutputFormat's.</summary>
    public enum AssetFormat
    {
        Png = 1,      // textures RGB, sprites and props RGBA (straight alpha)
        Rgba8 = 2,    // raw rows top to bottom, 4 bytes per pixel: loads without a decode
    }

    /// <summary>Numbers equal AssetGen.V1.Priority's.</summary>
    public enum AssetPriority
    {
        Interactive = 1,  // someone is waiting: batched first
        Background = 2,   // prefetch: runs when no interactive work is ready
    }

    public static class WireNames
    {
        public static string Name(this AssetType type)
        {
            switch (type)
            {
                case AssetType.Texture: return "texture";
                case AssetType.Sprite: return "sprite";
                case AssetType.Prop: return "prop";
                default: throw new ArgumentException("asset type " + type + " has no name; use Texture, Sprite or Prop");
            }
        }

        public static string Name(this AssetFormat format)
        {
            switch (format)
            {
                case AssetFormat.Png: return "png";
                case AssetFormat.Rgba8: return "rgba8";
                default: throw new ArgumentException("format " + format + " has no name; use Png or Rgba8");
            }
        }

        public static AssetType ParseType(string name)
        {
            switch (name)
            {
                case "texture": return AssetType.Texture;
                case "sprite": return AssetType.Sprite;
                case "prop": return AssetType.Prop;
                default: throw new ArgumentException("kind '" + name + "' is unknown; choose one of: texture, sprite, prop");
            }
        }

        public static AssetFormat ParseFormat(string name)
        {
            switch (name)
            {
                case "png": return AssetFormat.Png;
                case "rgba8":
                case "rgba": return AssetFormat.Rgba8;
                default: throw new ArgumentException("format '" + name + "' is unknown; choose one of: png, rgba8");
            }
        }

        /// <summary>Sprites and props have real alpha; textures are opaque.</summary>
        public static bool HasAlpha(this AssetType type)
        {
            return type == AssetType.Sprite || type == AssetType.Prop;
        }
    }
}
