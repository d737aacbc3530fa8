// One generation request as the game builds it, before it becomes a GenerateRequest.
// Zero and null mean what they mean on the wire: width/height 0 = the kind's native size,
// Seed null = the server picks one (and then nothing can be cached before the answer),
// Tileable null = the kind's default, Model "" = the server's default model.
using System;

namespace AssetGen.Client.Core
{
    public sealed class AssetRequest
    {
        public string Prompt = "";
        public AssetType Type = AssetType.Texture;
        public int Width;              // 0 = native
        public int Height;             // 0 = native
        public int Count = 1;          // 1..64; asset i gets Seed + i
        public ulong? Seed;
        public AssetFormat Format = AssetFormat.Rgba8;  // the game's default: no PNG decode on load
        public bool? Tileable;
        public string Model = "";
        public AssetPriority Priority = AssetPriority.Interactive;
        public MaterialMap[] Maps;     // textures: the maps streamed for every image, in order; null/empty = albedo only
        public VariationOptions Vary;  // "more like Seed": asset i uses Vary.Seed + i (needs a Seed to be reproducible)
        public InterpolationOptions Interpolate;  // frames from Seed (t = 0) to Interpolate.SeedB (t = 1); not with Vary

        public AssetRequest() { }

        public AssetRequest(string prompt, AssetType type, int size = 0, ulong? seed = null)
        {
            Prompt = prompt;
            Type = type;
            Width = size;
            Height = size;
            Seed = seed;
        }

        public AssetRequest Clone()
        {
            var copy = (AssetRequest)MemberwiseClone();
            if (Maps != null) copy.Maps = (MaterialMap[])Maps.Clone();
            if (Vary != null) copy.Vary = new VariationOptions(Vary.Seed, Vary.Strength);
            if (Interpolate != null) copy.Interpolate = new InterpolationOptions(Interpolate.SeedB, Interpolate.T);
            return copy;
        }

        /// <summary>The maps every image streams as: Maps, or just the albedo.</summary>
        public MaterialMap[] EffectiveMaps()
        {
            return Maps != null && Maps.Length > 0 ? Maps : new[] { MaterialMap.Albedo };
        }

        /// <summary>The seed of asset <paramref name="index"/> of this request (wraps like the server's uint64).</summary>
        public ulong SeedOf(int index)
        {
            if (!Seed.HasValue)
                throw new InvalidOperationException("the request has no seed; the server picks one and returns it with each asset");
            return unchecked(Seed.Value + (ulong)index);
        }

        public override string ToString()
        {
            return Type.Name() + " '" + Prompt + "' " + Width + "x" + Height + " x" + Count +
                   (Seed.HasValue ? " seed " + Seed.Value : " seed random");
        }
    }

    /// <summary>Variations: each asset is a small step away from the request's seed.</summary>
    public sealed class VariationOptions
    {
        public ulong Seed;               // asset i: Seed + i
        public double Strength = 0.2;    // (0, 1]: 0.1-0.3 = close cousins, 1 = the variation seed's own image

        public VariationOptions() { }

        public VariationOptions(ulong seed, double strength)
        {
            Seed = seed;
            Strength = strength;
        }
    }

    /// <summary>Interpolation: Count frames from the request's seed to SeedB, or one frame pinned at T.</summary>
    public sealed class InterpolationOptions
    {
        public ulong SeedB;
        public double? T;                // [0, 1]; null = Count frames from t = 0 to 1

        public InterpolationOptions() { }

        public InterpolationOptions(ulong seedB, double? t = null)
        {
            SeedB = seedB;
            T = t;
        }
    }

    /// <summary>What a model can make (from ListModels); resolves 0/null fields to concrete ones.</summary>
    public sealed class ModelDescription
    {
        public string Name = "";
        public string Version = "";
        public int Pipeline;               // the pixel pipeline version its assets carry (0 = an older server: 1)
        public int MaxCount = ClientDefaults.MaxCount;
        public int MaxPromptChars = ClientDefaults.MaxPromptChars;
        public int ChunkSize = ClientDefaults.ChunkSize;
        public readonly System.Collections.Generic.Dictionary<AssetType, KindDescription> Kinds =
            new System.Collections.Generic.Dictionary<AssetType, KindDescription>();
    }

    public sealed class KindDescription
    {
        public int NativeSize = ClientDefaults.NativeSize;
        public int[] Sizes = new int[0];   // allowed widths and heights (any pair)
        public int Channels;               // 3 opaque, 4 RGBA
        public bool Tileable;              // can tile; for textures it is the default
    }
}
