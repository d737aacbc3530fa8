// Connection settings as an asset (Assets > Create > AssetGen > Connection Settings), so a
// scene, the editor window and a build can point at different servers without code changes.
// Put one named "AssetGenSettings" in a Resources folder to make it the default.
using System;
using System.Collections.Generic;
using AssetGen.Client.Core;
using UnityEngine;

namespace AssetGen.Client
{
    [CreateAssetMenu(menuName = "AssetGen/Connection Settings", fileName = "AssetGenSettings")]
    public sealed class AssetGenSettings : ScriptableObject
    {
        public const string ResourceName = "AssetGenSettings";

        [Header("Server")]
        [Tooltip("host:port of the assetgen server, e.g. 127.0.0.1:50051 or assets.example.com:443")]
        public string address = "127.0.0.1:50051";
        [Tooltip("https (TLS) instead of plaintext HTTP/2 (h2c). Use TLS for anything off the machine.")]
        public bool useTls;
        [Tooltip("Sent as 'authorization: Bearer <token>'. Do not ship real secrets inside a game build.")]
        public string token = "";
        [Tooltip("WebGL builds: the server's HTTP/JSON address (assetgen serve --http-port), e.g. http://127.0.0.1:8080")]
        public string httpAddress = "http://127.0.0.1:8080";
        [Tooltip("PEM root certificates for a private CA (empty = the handler's defaults)")]
        [TextArea(2, 6)] public string rootCertificatesPem = "";
        [Tooltip("Development only: accept any server certificate")]
        public bool skipCertificateVerification;

        [Header("Requests")]
        [Tooltip("Empty = the server's default model")]
        public string model = "";
        [Min(1)] public float requestTimeoutSeconds = 60f;
        public RetryPolicy retry = new RetryPolicy();

        [Header("Cache")]
        public bool cacheEnabled = true;
        [Min(1)] public int cacheMaxMegabytes = (int)(ClientDefaults.CacheMaxBytes >> 20);

        [Header("Textures")]
        public FilterMode filterMode = FilterMode.Bilinear;
        [Min(1)] public float pixelsPerUnit = ClientDefaults.PixelsPerUnit;

        /// <summary>"http://host:port" or "https://host:port", as GrpcChannel.ForAddress wants it.</summary>
        public string Uri
        {
            get
            {
                string a = (address ?? "").Trim();
                if (a.StartsWith("http://", StringComparison.Ordinal) || a.StartsWith("https://", StringComparison.Ordinal)) return a;
                return (useTls ? "https://" : "http://") + a;
            }
        }

        /// <summary>The HTTP/JSON API's base URI (WebGL's transport).</summary>
        public string HttpUri
        {
            get
            {
                string a = (httpAddress ?? "").Trim();
                return a.StartsWith("http://", StringComparison.Ordinal) || a.StartsWith("https://", StringComparison.Ordinal) ? a : "http://" + a;
            }
        }

        public string CacheFolder
        {
            get { return System.IO.Path.Combine(Application.temporaryCachePath, ClientDefaults.CacheFolderName); }
        }

        /// <summary>Problems with these settings, each saying what to change; empty when usable.</summary>
        public List<string> Problems()
        {
            var problems = new List<string>();
            string a = (address ?? "").Trim();
            if (a.Length == 0) problems.Add("address is empty: set host:port of the assetgen server, e.g. 127.0.0.1:50051");
            else if (a.StartsWith("https://", StringComparison.Ordinal) && !useTls)
                problems.Add("address starts with https:// but useTls is off: turn useTls on or use host:port");
            if (!string.IsNullOrEmpty(token) && !useTls && !IsLoopback(a))
                problems.Add("a token would travel in plain text: turn useTls on for a server off this machine");
            if (requestTimeoutSeconds <= 0) problems.Add("requestTimeoutSeconds must be positive");
            try { retry.Validate(); }
            catch (ArgumentException e) { problems.Add("retry: " + e.Message); }
            return problems;
        }

        public void Validate()
        {
            var problems = Problems();
            if (problems.Count > 0)
                throw new ArgumentException("AssetGenSettings '" + name + "': " + string.Join("; ", problems.ToArray()));
        }

        /// <summary>The "AssetGenSettings" asset from a Resources folder, else defaults (loopback, no TLS).</summary>
        public static AssetGenSettings LoadDefault()
        {
            var settings = Resources.Load<AssetGenSettings>(ResourceName);
            return settings != null ? settings : CreateInstance<AssetGenSettings>();
        }

        public static AssetGenSettings ForAddress(string address)
        {
            var settings = CreateInstance<AssetGenSettings>();
            settings.address = address;
            settings.useTls = address.StartsWith("https://", StringComparison.Ordinal);
            return settings;
        }

        static bool IsLoopback(string address)
        {
            string host = address.Replace("http://", "");
            return host.StartsWith("127.", StringComparison.Ordinal) || host.StartsWith("localhost", StringComparison.Ordinal) ||
                   host.StartsWith("[::1]", StringComparison.Ordinal);
        }
    }
}
