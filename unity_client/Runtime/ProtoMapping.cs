// The only place that converts between the generated assetgen.v1 messages and the Core types,
// so the rest of the package (and the Core tests) never see protobuf.
using System.Collections.Generic;
using AssetGen.Client.Core;
using Proto = global::AssetGen.V1;

namespace AssetGen.Client
{
    static class ProtoMapping
    {
        public static Proto.GenerateRequest ToProto(AssetRequest request)
        {
            var proto = new Proto.GenerateRequest
            {
                Model = request.Model ?? "",
                Kind = (Proto.AssetKind)(int)request.Type,
                Prompt = request.Prompt ?? "",
                Width = (uint)request.Width,
                Height = (uint)request.Height,
                Count = (uint)(request.Count == 0 ? 1 : request.Count),
                Format = (Proto.OutputFormat)(int)request.Format,
                Priority = (Proto.Priority)(int)request.Priority,
            };
            if (request.Seed.HasValue) proto.Seed = request.Seed.Value;
            if (request.Tileable.HasValue) proto.Tileable = request.Tileable.Value;
            if (request.Maps != null)
                foreach (var map in request.Maps) proto.Maps.Add((Proto.MaterialMap)(int)map);
            if (request.Vary != null)
                proto.Vary = new Proto.Variation { Seed = request.Vary.Seed, Strength = request.Vary.Strength };
            else if (request.Interpolate != null)
            {
                proto.Interpolate = new Proto.Interpolation { SeedB = request.Interpolate.SeedB };
                if (request.Interpolate.T.HasValue) proto.Interpolate.T = request.Interpolate.T.Value;
            }
            return proto;
        }

        public static AssetChunk ToChunk(Proto.Asset asset)
        {
            return new AssetChunk
            {
                Tag = asset.Tag,
                Index = (int)asset.Index,
                Seed = asset.Seed,
                Type = (AssetType)(int)asset.Kind,
                Width = (int)asset.Width,
                Height = (int)asset.Height,
                // UNSPECIFIED means PNG on the wire (and so does a newer server's format this client cannot name).
                Format = ((AssetFormat)(int)asset.Format).IsKnown() ? (AssetFormat)(int)asset.Format : AssetFormat.Png,
                Channels = (int)asset.Channels,
                Tileable = asset.Tileable,
                Model = asset.Model,
                ModelVersion = asset.ModelVersion,
                Pipeline = (int)asset.Pipeline,
                Sha256 = asset.Sha256,
                TotalSize = asset.TotalSize,
                Offset = asset.Offset,
                Data = asset.Data.ToByteArray(),
                // UNSPECIFIED means the albedo.
                Map = asset.Map == Proto.MaterialMap.Unspecified ? MaterialMap.Albedo : (MaterialMap)(int)asset.Map,
                VarySeed = asset.Vary != null ? asset.Vary.Seed : (ulong?)null,
                VaryStrength = asset.Vary != null ? asset.Vary.Strength : (double?)null,
                InterpolateSeed = asset.Interpolate != null ? asset.Interpolate.SeedB : (ulong?)null,
                InterpolateT = asset.Interpolate != null ? asset.Interpolate.T : (double?)null,
            };
        }

        public static ModelDescription ToModel(Proto.ModelInfo info)
        {
            var model = new ModelDescription { Name = info.Name, Version = info.Version, Pipeline = (int)info.Pipeline };
            if (info.Limits != null)
            {
                if (info.Limits.MaxCount > 0) model.MaxCount = (int)info.Limits.MaxCount;
                if (info.Limits.MaxPromptChars > 0) model.MaxPromptChars = (int)info.Limits.MaxPromptChars;
                if (info.Limits.ChunkSize > 0) model.ChunkSize = (int)info.Limits.ChunkSize;
            }
            foreach (var kind in info.Kinds)
            {
                var type = (AssetType)(int)kind.Kind;
                if (type != AssetType.Texture && type != AssetType.Sprite && type != AssetType.Prop) continue;  // a newer server's kind
                var sizes = new List<int>();
                foreach (var size in kind.Sizes) sizes.Add((int)size);
                model.Kinds[type] = new KindDescription
                {
                    NativeSize = (int)kind.NativeSize, Sizes = sizes.ToArray(), Channels = (int)kind.Channels, Tileable = kind.Tileable,
                };
            }
            return model;
        }

        /// <summary>The model a request goes to: its own name, else the server's default.</summary>
        public static ModelDescription Pick(Proto.ListModelsResponse response, string requested)
        {
            string name = string.IsNullOrEmpty(requested) ? response.DefaultModel : requested;
            foreach (var info in response.Models)
                if (info.Name == name) return ToModel(info);
            return null;
        }
    }
}
