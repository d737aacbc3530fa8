// Chunk reassembly: the C# twin of ChunkAssembler in plugin_service/client/assets.py (same rules,
// same golden vectors in tests/golden/chunked_asset.json).
//
// Assets above Limits.chunk_size come in several Asset messages with the same (tag, index) in
// offset order; every chunk repeats the metadata. Chunks of one asset arrive in order (a gRPC
// stream keeps order) but chunks of different assets interleave in a Session, so partial assets
// are keyed by (tag, index, map). A gap, an overlap, changed metadata, too many bytes or a sha256 that
// does not match the announced one is a ChunkException: the stream broke the contract.
using System;
using System.Collections.Generic;

namespace AssetGen.Client.Core
{
    public sealed class ChunkException : Exception
    {
        public ChunkException(string message) : base(message) { }
    }

    /// <summary>One Asset message, without the proto types (Runtime maps AssetGen.V1.Asset to it).</summary>
    public sealed class AssetChunk
    {
        public string Tag = "";
        public int Index;
        public ulong Seed;
        public AssetType Type;
        public int Width;
        public int Height;
        public AssetFormat Format = AssetFormat.Png;
        public int Channels;
        public bool Tileable;
        public string Model = "";
        public string ModelVersion = "";
        public int Pipeline;              // the server's pixel pipeline version (0 = a server too old to send one)
        public string Sha256 = "";
        public MaterialMap Map = MaterialMap.Albedo;  // which map of the image (maps of one image share Index)
        public ulong? VarySeed;           // variations: this asset's own variation seed ...
        public double? VaryStrength;      // ... and the request's strength
        public ulong? InterpolateSeed;    // interpolation frames: the end seed ...
        public double? InterpolateT;      // ... and this frame's t
        public ulong TotalSize;
        public ulong Offset;
        public byte[] Data = new byte[0];
    }

    /// <summary>A whole asset: metadata plus the encoded bytes (PNG, raw RGBA8 rows top to bottom, or a DDS file).</summary>
    public sealed class AssembledAsset
    {
        public string Tag = "";
        public int Index;
        public ulong Seed;
        public AssetType Type;
        public int Width;
        public int Height;
        public AssetFormat Format;
        public int Channels;
        public bool Tileable;
        public string Model = "";
        public string ModelVersion = "";
        public int Pipeline;              // the server's pixel pipeline version (part of the cache key)
        public string Sha256 = "";
        public MaterialMap Map = MaterialMap.Albedo;  // which map of the image (maps of one image share Index)
        public ulong? VarySeed;           // variations: this asset's own variation seed ...
        public double? VaryStrength;      // ... and the request's strength
        public ulong? InterpolateSeed;    // interpolation frames: the end seed ...
        public double? InterpolateT;      // ... and this frame's t
        public byte[] Data = new byte[0];

        public override string ToString()
        {
            return Type.Name() + (Map != MaterialMap.Albedo ? " " + Map.Name() : "") + " " + Width + "x" + Height + " " +
                   Format.Name() + " seed " + Seed + " (" + Data.Length + " bytes)";
        }
    }

    public sealed class ChunkAssembler
    {
        sealed class Partial
        {
            public AssetChunk First;
            public byte[] Buffer;
            public int Filled;
        }

        readonly Dictionary<string, Partial> partial = new Dictionary<string, Partial>();

        /// <summary>Assets whose first chunk arrived but not their last.</summary>
        public int Pending { get { return partial.Count; } }

        /// <summary>Feed every chunk; returns the asset when its last chunk arrives, else null.</summary>
        public AssembledAsset Add(AssetChunk chunk)
        {
            if (chunk == null) throw new ArgumentNullException("chunk");
            // The maps of one image share its index, so the map is part of the asset's identity.
            string id = "(" + chunk.Tag + ", " + chunk.Index + (chunk.Map != MaterialMap.Albedo ? ", " + chunk.Map.Name() : "") + ")";
            string key = chunk.Tag + "\u0000" + chunk.Index + "\u0000" + (int)chunk.Map;
            byte[] data = chunk.Data ?? new byte[0];
            Partial part;
            if (!partial.TryGetValue(key, out part))
            {
                if (chunk.Offset != 0)
                    throw new ChunkException("asset " + id + " starts at offset " + chunk.Offset + ", expected 0 (first chunk lost?)");
                if (chunk.TotalSize > int.MaxValue)
                    throw new ChunkException("asset " + id + ": total_size " + chunk.TotalSize + " is too large for one buffer");
                part = new Partial { First = chunk, Buffer = new byte[(int)chunk.TotalSize], Filled = 0 };
            }
            else if (chunk.Offset != (ulong)part.Filled)
                throw new ChunkException("asset " + id + ": chunk at offset " + chunk.Offset + ", expected " + part.Filled);
            else if (chunk.TotalSize != part.First.TotalSize || chunk.Sha256 != part.First.Sha256)
                throw new ChunkException("asset " + id + ": chunk metadata changed mid-asset");

            long received = (long)part.Filled + data.Length;
            if (received > (long)chunk.TotalSize)
            {
                partial.Remove(key);
                throw new ChunkException("asset " + id + ": " + received + " bytes received, more than total_size " + chunk.TotalSize);
            }
            Buffer.BlockCopy(data, 0, part.Buffer, part.Filled, data.Length);
            part.Filled = (int)received;
            if (received < (long)chunk.TotalSize)
            {
                partial[key] = part;
                return null;
            }
            partial.Remove(key);
            string digest = CacheKey.Sha256Hex(part.Buffer);
            if (digest != chunk.Sha256)
                throw new ChunkException("asset " + id + ": sha256 " + digest + " does not match the announced " + chunk.Sha256);
            return new AssembledAsset
            {
                Tag = chunk.Tag, Index = chunk.Index, Seed = chunk.Seed, Type = chunk.Type, Width = chunk.Width,
                Height = chunk.Height, Format = chunk.Format, Channels = chunk.Channels, Tileable = chunk.Tileable,
                Model = chunk.Model, ModelVersion = chunk.ModelVersion, Pipeline = chunk.Pipeline, Sha256 = chunk.Sha256, Data = part.Buffer,
                Map = chunk.Map, VarySeed = chunk.VarySeed, VaryStrength = chunk.VaryStrength,
                InterpolateSeed = chunk.InterpolateSeed, InterpolateT = chunk.InterpolateT,
            };
        }

        /// <summary>Drop the partial assets of a tag (it failed or was cancelled).</summary>
        public void Forget(string tag)
        {
            var prefix = tag + "\u0000";
            var drop = new List<string>();
            foreach (var key in partial.Keys) if (key.StartsWith(prefix, StringComparison.Ordinal)) drop.Add(key);
            foreach (var key in drop) partial.Remove(key);
        }
    }
}
