// The HTTP/JSON transport's wire format, engine-free (mono-tested): the client reaches the service
// this way where native gRPC cannot run (WebGL builds). A GenerateRequest in protobuf's canonical
// JSON (enum names, 64-bit numbers as decimal strings) is POSTed to /v1/generate; the reply is
// NDJSON: one {"asset": ...} line per asset (the Asset message, data in base64, fields at their
// default left out), then {"status": {"code": "OK"}} or an {"error": {...}} line. Errors before
// streaming come as an HTTP status with the same {"error": {...}} body. The server side is
// plugin_service/service/http_api.py; tests/golden/http_generate.ndjson is checked by both.
using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;

namespace AssetGen.Client.Core
{
    public enum Transport { Grpc, HttpJson }

    /// <summary>One NDJSON line: an asset, the final status, or an error.</summary>
    public sealed class HttpEvent
    {
        public AssetChunk Asset;      // a whole asset (Offset 0, TotalSize = Data.Length)
        public bool Done;             // {"status": {"code": "OK"}}
        public string ErrorCode;      // e.g. "RESOURCE_EXHAUSTED"
        public string ErrorMessage;
        public int RetryAfterMs;      // > 0: the server means "try later"
    }

    public static class HttpJson
    {
        public const string GeneratePath = "/v1/generate";
        public const string ModelsPath = "/v1/models";

        /// <summary>WebGL has no native gRPC (no full-duplex HTTP/2 from a browser): HTTP/JSON there, gRPC elsewhere.</summary>
        public static Transport Choose(bool isWebGL)
        {
            return isWebGL ? Transport.HttpJson : Transport.Grpc;
        }

        public static string RequestJson(AssetRequest request)
        {
            var body = new Dictionary<string, object>
            {
                { "prompt", request.Prompt ?? "" },
                { "kind", "ASSET_KIND_" + request.Type.Name().ToUpperInvariant() },
                { "count", (ulong)(request.Count == 0 ? 1 : request.Count) },
                { "format", "OUTPUT_FORMAT_" + request.Format.Name().ToUpperInvariant() },
                { "priority", request.Priority == AssetPriority.Background ? "PRIORITY_BACKGROUND" : "PRIORITY_INTERACTIVE" },
            };
            if (!string.IsNullOrEmpty(request.Model)) body["model"] = request.Model;
            if (request.Width > 0) body["width"] = (ulong)request.Width;
            if (request.Height > 0) body["height"] = (ulong)request.Height;
            if (request.Seed.HasValue) body["seed"] = request.Seed.Value.ToString(CultureInfo.InvariantCulture);
            if (request.Tileable.HasValue) body["tileable"] = request.Tileable.Value;
            if (request.Maps != null && request.Maps.Length > 0)
            {
                var maps = new List<object>();
                foreach (var map in request.Maps) maps.Add("MATERIAL_MAP_" + map.Name().ToUpperInvariant());
                body["maps"] = maps;
            }
            if (request.Vary != null)
                body["vary"] = new Dictionary<string, object>
                {
                    { "seed", request.Vary.Seed.ToString(CultureInfo.InvariantCulture) }, { "strength", request.Vary.Strength },
                };
            else if (request.Interpolate != null)
            {
                var interpolate = new Dictionary<string, object> { { "seedB", request.Interpolate.SeedB.ToString(CultureInfo.InvariantCulture) } };
                if (request.Interpolate.T.HasValue) interpolate["t"] = request.Interpolate.T.Value;
                body["interpolate"] = interpolate;
            }
            return MiniJson.Serialize(body);
        }

        /// <summary>One NDJSON line -> an event; FormatException for a line that is none of the three.</summary>
        public static HttpEvent ParseLine(string line)
        {
            var obj = MiniJson.Object(MiniJson.Parse(line), "NDJSON line");
            if (obj.ContainsKey("asset")) return new HttpEvent { Asset = ParseAsset(MiniJson.Object(obj["asset"], "asset")) };
            if (obj.ContainsKey("status")) return new HttpEvent { Done = true };
            if (obj.ContainsKey("error")) return ParseError(obj);
            throw new FormatException("an NDJSON line with neither asset, status nor error");
        }

        /// <summary>An {"error": {...}} body (an HTTP error reply, or the last NDJSON line).</summary>
        public static HttpEvent ParseError(Dictionary<string, object> obj)
        {
            var error = MiniJson.Object(obj["error"], "error");
            return new HttpEvent
            {
                ErrorCode = MiniJson.String(error, "code"),
                ErrorMessage = error.ContainsKey("message") ? MiniJson.String(error, "message") : "",
                RetryAfterMs = error.ContainsKey("retryAfterMs") ? MiniJson.Int(error, "retryAfterMs") : 0,
            };
        }

        public static List<HttpEvent> ParseBody(string ndjson)
        {
            var events = new List<HttpEvent>();
            foreach (var line in ndjson.Split('\n'))
                if (line.Trim().Length > 0) events.Add(ParseLine(line));
            return events;
        }

        static AssetChunk ParseAsset(Dictionary<string, object> a)
        {
            byte[] data = Convert.FromBase64String(Str(a, "data", ""));
            var chunk = new AssetChunk
            {
                Tag = Str(a, "tag", ""),
                Index = Num(a, "index"),
                Seed = ULongString(a, "seed"),
                Type = WireNames.ParseType(Enum(a, "kind", "ASSET_KIND_")),
                Width = Num(a, "width"),
                Height = Num(a, "height"),
                Format = a.ContainsKey("format") ? WireNames.ParseFormat(Enum(a, "format", "OUTPUT_FORMAT_")) : AssetFormat.Png,
                Channels = Num(a, "channels"),
                Tileable = a.ContainsKey("tileable") && MiniJson.Bool(a, "tileable"),
                Model = Str(a, "model", ""),
                ModelVersion = Str(a, "modelVersion", ""),
                Pipeline = Num(a, "pipeline"),
                Sha256 = Str(a, "sha256", ""),
                Map = a.ContainsKey("map") ? WireNames.ParseMap(Enum(a, "map", "MATERIAL_MAP_")) : MaterialMap.Albedo,
                TotalSize = (ulong)data.Length,
                Offset = 0,
                Data = data,
            };
            if (a.ContainsKey("vary"))
            {
                var vary = MiniJson.Object(a["vary"], "vary");
                chunk.VarySeed = ULongString(vary, "seed");
                chunk.VaryStrength = vary.ContainsKey("strength") ? MiniJson.Double(vary, "strength") : 0.0;
            }
            if (a.ContainsKey("interpolate"))
            {
                var interpolate = MiniJson.Object(a["interpolate"], "interpolate");
                chunk.InterpolateSeed = ULongString(interpolate, "seedB");
                chunk.InterpolateT = interpolate.ContainsKey("t") ? MiniJson.Double(interpolate, "t") : 0.0;
            }
            return chunk;
        }

        // Canonical JSON leaves out fields at their default value (0, "", false).
        static string Str(Dictionary<string, object> obj, string field, string fallback)
        {
            return obj.ContainsKey(field) ? MiniJson.String(obj, field) : fallback;
        }

        static int Num(Dictionary<string, object> obj, string field)
        {
            return obj.ContainsKey(field) ? MiniJson.Int(obj, field) : 0;
        }

        static ulong ULongString(Dictionary<string, object> obj, string field)
        {
            if (!obj.ContainsKey(field)) return 0;
            object value = obj[field];
            if (value is string) return ulong.Parse((string)value, NumberStyles.None, CultureInfo.InvariantCulture);
            return MiniJson.ULong(obj, field);
        }

        static string Enum(Dictionary<string, object> obj, string field, string prefix)
        {
            string name = MiniJson.String(obj, field);
            if (!name.StartsWith(prefix, StringComparison.Ordinal)) throw new FormatException(field + " " + name + " is not a " + prefix + "* name");
            return name.Substring(prefix.Length).ToLowerInvariant();
        }
    }
}
