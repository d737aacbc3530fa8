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
            return (AssetRequest)MemberwiseClone();
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

    /// <summary>What a model can make (from ListModels); resolves 0/null fields to concrete ones.</summary>
    public sealed class ModelDescription
    {
        public string Name = "";
        public string Version = "";
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
