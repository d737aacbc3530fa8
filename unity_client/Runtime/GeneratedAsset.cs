// One asset as the game receives it: the whole encoded bytes and metadata (Core's AssembledAsset),
// the prompt it answers and whether it came from the disk cache. ToTexture/ToSprite build Unity
// objects and must run on the main thread (an await in a MonoBehaviour resumes there).
using AssetGen.Client.Core;
using UnityEngine;

namespace AssetGen.Client
{
    public sealed class GeneratedAsset
    {
        public readonly AssembledAsset Asset;
        public readonly string Prompt;
        public readonly bool FromCache;
        byte[] preparedRaw;  // flipped rows, made on the worker thread that received the asset

        public GeneratedAsset(AssembledAsset asset, string prompt, bool fromCache)
        {
            Asset = asset;
            Prompt = prompt;
            FromCache = fromCache;
        }

        public AssetType Type { get { return Asset.Type; } }
        public ulong Seed { get { return Asset.Seed; } }
        public int Width { get { return Asset.Width; } }
        public int Height { get { return Asset.Height; } }
        public AssetFormat Format { get { return Asset.Format; } }
        public MaterialMap Map { get { return Asset.Map; } }   // Albedo unless the request asked for maps
        public byte[] Data { get { return Asset.Data; } }      // the encoded bytes (PNG, raw RGBA8 or a .dds file)
        public string CacheKey { get { return Core.CacheKey.ForAsset(Prompt, Asset); } }

        /// <summary>Do the CPU work of ToTexture (the row flip) now, off the main thread.</summary>
        public void Prepare()
        {
            if (preparedRaw == null) preparedRaw = TextureFactory.PrepareRaw(Asset);
        }

        public Texture2D ToTexture(FilterMode filter = FilterMode.Bilinear, bool keepReadable = false)
        {
            return TextureFactory.CreateTexture(Asset, preparedRaw, filter, keepReadable, Name);
        }

        public Sprite ToSprite(Vector2 pivot, float pixelsPerUnit = ClientDefaults.PixelsPerUnit, FilterMode filter = FilterMode.Bilinear)
        {
            return TextureFactory.CreateSprite(ToTexture(filter), pivot, pixelsPerUnit);
        }

        /// <summary>The file stem a saved copy gets: readable, stable, unique (Core/AssetNames.cs).</summary>
        public string Name
        {
            get { return AssetNames.Stem(Prompt, Asset); }
        }

        public override string ToString()
        {
            return "'" + Prompt + "' " + Asset + (FromCache ? " (cache)" : "");
        }
    }
}
