// On-disk cache of generated assets keyed by CacheKey (the asset is a function of the key's
// inputs, so a hit is the same bytes the server would send). Plain System.IO: it runs on a worker
// thread, never on Unity's main thread.
//
//     <root>/<first 2 key chars>/<key>.bin    the encoded asset (PNG, raw RGBA8 or DDS, as received)
//     <root>/<first 2 key chars>/<key>.json   its metadata, with the sha256 checked on every read
//
// Files are written to a temp name and moved into place, so a crash or two writers (editor and
// player) leave either no entry or a whole one. A corrupt entry is deleted and read as a miss.
// Trim() removes the least recently used entries (a hit refreshes the time) past MaxBytes.
using System;
using System.Collections.Generic;
using System.IO;
using System.Text;

namespace AssetGen.Client.Core
{
    public sealed class DiskCache
    {
        public readonly string Root;
        public readonly long MaxBytes;

        public DiskCache(string root, long maxBytes = ClientDefaults.CacheMaxBytes)
        {
            if (string.IsNullOrEmpty(root)) throw new ArgumentException("cache root folder is empty; pick a writable folder, e.g. Application.temporaryCachePath");
            if (maxBytes <= 0) throw new ArgumentException("cache MaxBytes " + maxBytes + " must be positive");
            Root = root;
            MaxBytes = maxBytes;
        }

        public bool TryGet(string key, out AssembledAsset asset)
        {
            asset = null;
            string data = DataPath(key), meta = MetaPath(key);
            if (!File.Exists(data) || !File.Exists(meta)) return false;
            try
            {
                var info = MiniJson.Object(MiniJson.Parse(File.ReadAllText(meta, Encoding.UTF8)), "cache metadata");
                byte[] bytes = File.ReadAllBytes(data);
                var found = new AssembledAsset
                {
                    Seed = MiniJson.ULong(info, "seed"),
                    Type = WireNames.ParseType(MiniJson.String(info, "kind")),
                    Width = MiniJson.Int(info, "width"),
                    Height = MiniJson.Int(info, "height"),
                    Format = WireNames.ParseFormat(MiniJson.String(info, "format")),
                    Channels = MiniJson.Int(info, "channels"),
                    Tileable = MiniJson.Bool(info, "tileable"),
                    Model = MiniJson.String(info, "model"),
                    ModelVersion = MiniJson.String(info, "model_version"),
                    Pipeline = MiniJson.Has(info, "pipeline") ? MiniJson.Int(info, "pipeline") : 0,
                    Sha256 = MiniJson.String(info, "sha256"),
                    Map = MiniJson.Has(info, "map") ? WireNames.ParseMap(MiniJson.String(info, "map")) : MaterialMap.Albedo,
                    VarySeed = MiniJson.Has(info, "vary_seed") ? MiniJson.ULong(info, "vary_seed") : (ulong?)null,
                    VaryStrength = MiniJson.Has(info, "vary_strength_bits") ? MiniJson.BitsDouble(info, "vary_strength_bits") : (double?)null,
                    InterpolateSeed = MiniJson.Has(info, "interpolate_seed") ? MiniJson.ULong(info, "interpolate_seed") : (ulong?)null,
                    InterpolateT = MiniJson.Has(info, "interpolate_t_bits") ? MiniJson.BitsDouble(info, "interpolate_t_bits") : (double?)null,
                    Data = bytes,
                };
                if (CacheKey.Sha256Hex(bytes) != found.Sha256) throw new FormatException("sha256 mismatch");
                var now = DateTime.UtcNow;
                File.SetLastWriteTimeUtc(data, now);
                asset = found;
                return true;
            }
            catch (Exception e)
            {
                if (!(e is IOException || e is FormatException || e is ArgumentException || e is UnauthorizedAccessException)) throw;
                Delete(key);
                return false;
            }
        }

        public void Put(string key, AssembledAsset asset)
        {
            if (asset == null) throw new ArgumentNullException("asset");
            string data = DataPath(key);
            if (File.Exists(data) && File.Exists(MetaPath(key))) return;  // same key, same bytes
            Directory.CreateDirectory(Path.GetDirectoryName(data));
            var info = new Dictionary<string, object>
            {
                { "key_version", CacheKey.VersionTag },
                { "model", asset.Model },
                { "model_version", asset.ModelVersion },
                { "pipeline", CacheKey.ReportedPipeline(asset.Pipeline) },
                { "kind", asset.Type.Name() },
                { "width", asset.Width },
                { "height", asset.Height },
                { "seed", asset.Seed },
                { "format", asset.Format.Name() },
                { "channels", asset.Channels },
                { "tileable", asset.Tileable },
                { "sha256", asset.Sha256 },
                { "map", asset.Map.Name() },
            };
            // Floats as their bits (as in the cache key), so a hit gives back exactly the asset's values.
            if (asset.VarySeed.HasValue) info["vary_seed"] = asset.VarySeed.Value;
            if (asset.VaryStrength.HasValue) info["vary_strength_bits"] = CacheKey.FloatBits(asset.VaryStrength.Value);
            if (asset.InterpolateSeed.HasValue) info["interpolate_seed"] = asset.InterpolateSeed.Value;
            if (asset.InterpolateT.HasValue) info["interpolate_t_bits"] = CacheKey.FloatBits(asset.InterpolateT.Value);
            WriteAtomically(MetaPath(key), Encoding.UTF8.GetBytes(MiniJson.Serialize(info)));
            WriteAtomically(data, asset.Data);
        }

        public void Delete(string key)
        {
            TryDelete(DataPath(key));
            TryDelete(MetaPath(key));
        }

        /// <summary>Bytes of all cached asset data.</summary>
        public long Size()
        {
            long total = 0;
            foreach (var file in DataFiles()) total += file.Length;
            return total;
        }

        /// <summary>Delete least recently used entries until the data fits in MaxBytes.</summary>
        public void Trim()
        {
            var files = DataFiles();
            long total = 0;
            foreach (var file in files) total += file.Length;
            if (total <= MaxBytes) return;
            files.Sort((a, b) => a.LastWriteTimeUtc.CompareTo(b.LastWriteTimeUtc));
            foreach (var file in files)
            {
                if (total <= MaxBytes) break;
                string key = Path.GetFileNameWithoutExtension(file.Name);
                total -= file.Length;
                Delete(key);
            }
        }

        public void Clear()
        {
            if (Directory.Exists(Root))
                foreach (var file in DataFiles()) Delete(Path.GetFileNameWithoutExtension(file.Name));
        }

        List<FileInfo> DataFiles()
        {
            var files = new List<FileInfo>();
            if (!Directory.Exists(Root)) return files;
            foreach (var path in Directory.GetFiles(Root, "*.bin", SearchOption.AllDirectories))
                if (CacheKey.IsWellFormed(Path.GetFileNameWithoutExtension(path))) files.Add(new FileInfo(path));
            return files;
        }

        string DataPath(string key) { return Path.Combine(Folder(key), key + ".bin"); }

        string MetaPath(string key) { return Path.Combine(Folder(key), key + ".json"); }

        string Folder(string key)
        {
            if (!CacheKey.IsWellFormed(key)) throw new ArgumentException("'" + key + "' is not a cache key (64 lowercase hex characters)");
            return Path.Combine(Root, key.Substring(0, 2));
        }

        static void WriteAtomically(string path, byte[] bytes)
        {
            string temp = path + "." + Guid.NewGuid().ToString("N") + ".tmp";
            File.WriteAllBytes(temp, bytes);
            try
            {
                if (File.Exists(path)) File.Delete(path);
                File.Move(temp, path);
            }
            catch (IOException)
            {
                TryDelete(temp);  // another writer won the race with the same bytes
            }
        }

        static void TryDelete(string path)
        {
            try { if (File.Exists(path)) File.Delete(path); }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
        }
    }
}
