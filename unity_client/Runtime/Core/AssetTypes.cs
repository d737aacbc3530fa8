// The asset kinds, formats, material maps and priorities of assetgen.v1, as plain enums with the lowercase names
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
        DdsBc1 = 3,   // DDS (DXT1 header), full mip chain; sides must be multiples of 4
        DdsBc3 = 4,   // DDS (DXT5 header), premultiplied alpha for sprites and props
        DdsBc7 = 5,   // DDS with a DX10 header (sRGB for albedo, linear for data maps)
    }

    /// <summary>Which map of a texture image an asset is. Numbers equal AssetGen.V1.MaterialMap's
    /// (its UNSPECIFIED = 0 means Albedo on the wire).</summary>
    public enum MaterialMap
    {
        Albedo = 1,     // the generated colours
        Normal = 2,     // tangent space, +Y up (Unity's convention), RGB = xyz * 0.5 + 0.5
        Height = 3,     // grey, 0 = low
        Roughness = 4,  // grey, 255 = rough
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
                case AssetFormat.DdsBc1: return "dds_bc1";
                case AssetFormat.DdsBc3: return "dds_bc3";
                case AssetFormat.DdsBc7: return "dds_bc7";
                default: throw new ArgumentException("format " + format + " has no name; use " + FormatChoices);
            }
        }

        public static string Name(this MaterialMap map)
        {
            switch (map)
            {
                case MaterialMap.Albedo: return "albedo";
                case MaterialMap.Normal: return "normal";
                case MaterialMap.Height: return "height";
                case MaterialMap.Roughness: return "roughness";
                default: throw new ArgumentException("map " + map + " has no name; use " + MapChoices);
            }
        }

        public const string FormatChoices = "png, rgba8, dds_bc1, dds_bc3, dds_bc7";
        public const string MapChoices = "albedo, normal, height, roughness";

        public static bool IsKnown(this AssetFormat format)
        {
            return format >= AssetFormat.Png && format <= AssetFormat.DdsBc7;
        }

        public static bool IsKnown(this MaterialMap map)
        {
            return map >= MaterialMap.Albedo && map <= MaterialMap.Roughness;
        }

        /// <summary>Block-compressed DDS: sides must be multiples of 4; Unity imports the file, not raw rows.</summary>
        public static bool IsDds(this AssetFormat format)
        {
            return format == AssetFormat.DdsBc1 || format == AssetFormat.DdsBc3 || format == AssetFormat.DdsBc7;
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
                case "dds_bc1": return AssetFormat.DdsBc1;
                case "dds_bc3": return AssetFormat.DdsBc3;
                case "dds_bc7": return AssetFormat.DdsBc7;
                default: throw new ArgumentException("format '" + name + "' is unknown; choose one of: " + FormatChoices);
            }
        }

        public static MaterialMap ParseMap(string name)
        {
            switch (name)
            {
                case "albedo": return MaterialMap.Albedo;
                case "normal": return MaterialMap.Normal;
                case "height": return MaterialMap.Height;
                case "roughness": return MaterialMap.Roughness;
                default: throw new ArgumentException("map '" + name + "' is unknown; choose one of: " + MapChoices);
            }
        }

        /// <summary>Sprites and props have real alpha; textures are opaque.</summary>
        public static bool HasAlpha(this AssetType type)
        {
            return type == AssetType.Sprite || type == AssetType.Prop;
        }
    }
}
