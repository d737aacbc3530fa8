// The game's client: one gRPC channel (Grpc.Net.Client over Cysharp's YetAnotherHttpHandler, which
// brings HTTP/2 to Unity on desktop and mobile), textures and sprites from prompts, a stream that
// yields each asset as it arrives, sessions for many requests, and an on-disk cache.
//
//     using var client = new AssetGenClient(settings);
//     Texture2D tex = await client.GenerateTextureAsync("mossy cobblestone", 256);
//
// Threads: network, reassembly, row flips and cache I/O run on worker threads; textures and
// sprites are created on the main thread (MainThread). Awaiting from a MonoBehaviour resumes on
// the main thread as usual. Lifetime: Dispose closes the channel; clients made in play mode are
// also closed when play mode ends, and editor ones before a script reload (ChannelLifetime).
using System;
using System.Collections.Generic;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;
using AssetGen.Client.Core;
using Cysharp.Net.Http;
using Grpc.Core;
using Grpc.Net.Client;
using UnityEngine;
using Proto = global::AssetGen.V1;

namespace AssetGen.Client
{
    public sealed class AssetGenClient : IDisposable
    {
        public readonly AssetGenSettings Settings;
        readonly YetAnotherHttpHandler handler;
        readonly GrpcChannel channel;
        internal readonly Proto.AssetGen.AssetGenClient Calls;
        internal readonly DiskCache Cache;  // null when disabled
        readonly CancellationTokenSource lifetime = new CancellationTokenSource();
        readonly List<AssetGenSession> sessions = new List<AssetGenSession>();
        readonly object gate = new object();
        readonly System.Random jitter = new System.Random();
        Task<Proto.ListModelsResponse> models;
        int stores;
        bool disposed;

        public AssetGenClient(AssetGenSettings settings = null)
        {
            Settings = settings != null ? settings : AssetGenSettings.LoadDefault();
            Settings.Validate();
            // WebGL has no native gRPC (HttpJsonTransport is used there): no channel to open.
            if (HttpJson.Choose(Application.platform == RuntimePlatform.WebGLPlayer) == Transport.Grpc)
            {
                handler = new YetAnotherHttpHandler
                {
                    Http2Only = true, SkipCertificateVerification = Settings.skipCertificateVerification,
                    Http2KeepAliveInterval = ClientDefaults.KeepAliveInterval, Http2KeepAliveTimeout = ClientDefaults.KeepAliveTimeout,
                    Http2KeepAliveWhileIdle = true,
                };
                if (!string.IsNullOrEmpty(Settings.rootCertificatesPem)) handler.RootCertificates = Settings.rootCertificatesPem;
                channel = GrpcChannel.ForAddress(Settings.Uri, new GrpcChannelOptions { HttpHandler = handler, DisposeHttpClient = true });
                Calls = new Proto.AssetGen.AssetGenClient(channel);
            }
            if (Settings.cacheEnabled) Cache = new DiskCache(Settings.CacheFolder, (long)Settings.cacheMaxMegabytes << 20);
            ChannelLifetime.Register(this, Application.isPlaying);
        }

        public AssetGenClient(string address) : this(AssetGenSettings.ForAddress(address)) { }

        // --- one asset, as a Unity object ---------------------------------------------------------

        /// <summary>A tileable texture (Repeat wrap) of size x size (0 = the model's native size).</summary>
        public async Task<Texture2D> GenerateTextureAsync(string prompt, int size = 0, ulong? seed = null,
                                                          CancellationToken cancellationToken = default(CancellationToken))
        {
            var request = new AssetRequest(prompt, AssetType.Texture, size, seed) { Model = Settings.model };
            var asset = (await GenerateAsync(request, cancellationToken).ConfigureAwait(false))[0];
            return await MainThread.RunAsync(() => asset.ToTexture(Settings.filterMode)).ConfigureAwait(false);
        }

        /// <summary>A sprite with real alpha (kind Sprite or Prop); pivot is normalized, default the centre.</summary>
        public async Task<Sprite> GenerateSpriteAsync(string prompt, int size = 0, ulong? seed = null, AssetType type = AssetType.Sprite,
                                                      Vector2? pivot = null, CancellationToken cancellationToken = default(CancellationToken))
        {
            if (!type.HasAlpha()) throw new ArgumentException("sprites come from kinds Sprite or Prop, not " + type);
            var request = new AssetRequest(prompt, type, size, seed) { Model = Settings.model };
            var asset = (await GenerateAsync(request, cancellationToken).ConfigureAwait(false))[0];
            Vector2 at = pivot ?? new Vector2(0.5f, 0.5f);
            return await MainThread.RunAsync(() => asset.ToSprite(at, Settings.pixelsPerUnit, Settings.filterMode)).ConfigureAwait(false);
        }

        // --- many assets ----------------------------------------------------------------------------

        /// <summary>All assets of one request (Count of them), in arrival order.</summary>
        public async Task<List<GeneratedAsset>> GenerateAsync(AssetRequest request, CancellationToken cancellationToken = default(CancellationToken))
        {
            if (HttpJson.Choose(Application.platform == RuntimePlatform.WebGLPlayer) == Transport.HttpJson)
            {
                var assets = new List<GeneratedAsset>();
                foreach (var whole in await new HttpJsonTransport(Settings).GenerateAsync(request, cancellationToken))
                {
                    var asset = new GeneratedAsset(whole, request.Prompt, false);
                    asset.Prepare();
                    assets.Add(asset);
                }
                return assets;
            }
            var all = new List<GeneratedAsset>();
            using (var stream = new AssetStream(this, request, cancellationToken))
            {
                GeneratedAsset asset;
                while ((asset = await stream.NextAsync().ConfigureAwait(false)) != null) all.Add(asset);
            }
            return all;
        }

        /// <summary>Each asset as soon as it is whole: <c>await foreach (var a in client.StreamAsync(req)) ...</c></summary>
        public async IAsyncEnumerable<GeneratedAsset> StreamAsync(AssetRequest request,
                                                                  [EnumeratorCancellation] CancellationToken cancellationToken = default(CancellationToken))
        {
            using (var stream = new AssetStream(this, request, cancellationToken))
            {
                GeneratedAsset asset;
                while ((asset = await stream.NextAsync().ConfigureAwait(false)) != null) yield return asset;
            }
        }

        /// <summary>Each asset as soon as it is whole, handed to <paramref name="onAsset"/> on the main thread.</summary>
        public async Task StreamAsync(AssetRequest request, Action<GeneratedAsset> onAsset,
                                      CancellationToken cancellationToken = default(CancellationToken))
        {
            if (onAsset == null) throw new ArgumentNullException("onAsset");
            using (var stream = new AssetStream(this, request, cancellationToken))
            {
                GeneratedAsset asset;
                while ((asset = await stream.NextAsync().ConfigureAwait(false)) != null)
                {
                    var current = asset;
                    await MainThread.RunAsync(() => { onAsset(current); return true; }).ConfigureAwait(false);
                }
            }
        }

        /// <summary>A long-lived session: many tagged requests on one stream, each cancellable.</summary>
        public AssetGenSession OpenSession(CancellationToken cancellationToken = default(CancellationToken))
        {
            var session = new AssetGenSession(this, cancellationToken);
            lock (gate)
            {
                ThrowIfDisposed();
                sessions.Add(session);
            }
            return session;
        }

        /// <summary>The model a request with this model name goes to (empty = the server's default); null if unknown.</summary>
        public async Task<ModelDescription> DescribeModelAsync(string model = "", CancellationToken cancellationToken = default(CancellationToken))
        {
            Task<Proto.ListModelsResponse> pending;
            lock (gate)
            {
                ThrowIfDisposed();
                if (models == null || models.IsFaulted || models.IsCanceled)
                    models = Calls.ListModelsAsync(new Proto.ListModelsRequest(), Options(CancellationToken.None)).ResponseAsync;
                pending = models;
            }
            try
            {
                var response = await pending.ConfigureAwait(false);
                return ProtoMapping.Pick(response, string.IsNullOrEmpty(model) ? Settings.model : model);
            }
            catch (RpcException e)
            {
                throw AssetGenException.From(e, cancellationToken);
            }
        }

        // --- plumbing shared with AssetStream and AssetGenSession ---------------------------------

        internal CallOptions Options(CancellationToken cancellationToken, bool withDeadline = true)
        {
            Metadata headers = null;
            if (!string.IsNullOrEmpty(Settings.token))
                headers = new Metadata { { "authorization", "Bearer " + Settings.token } };
            DateTime? deadline = null;
            if (withDeadline) deadline = DateTime.UtcNow.AddSeconds(Settings.requestTimeoutSeconds);
            return new CallOptions(headers, deadline, cancellationToken);
        }

        internal CancellationTokenSource Link(CancellationToken cancellationToken)
        {
            return CancellationTokenSource.CreateLinkedTokenSource(lifetime.Token, cancellationToken);
        }

        internal TimeSpan RetryDelay(int retry, int retryAfterMs)
        {
            lock (jitter) return Settings.retry.Delay(retry, retryAfterMs, jitter);
        }

        /// <summary>All assets of a seeded request from the disk cache, or null (any miss, no seed, no cache).</summary>
        internal async Task<List<GeneratedAsset>> FromCacheAsync(AssetRequest request, CancellationToken cancellationToken)
        {
            if (Cache == null || !request.Seed.HasValue) return null;
            ModelDescription model;
            try { model = await DescribeModelAsync(request.Model, cancellationToken).ConfigureAwait(false); }
            catch (AssetGenException) { return null; }  // the real call will report the server's state
            if (model == null) return null;
            var resolved = RequestValidator.Resolve(request, model);
            return await Task.Run<List<GeneratedAsset>>(() =>
            {
                var hits = new List<GeneratedAsset>();
                for (int i = 0; i < resolved.Count; i++)
                    foreach (var map in resolved.Maps)  // every map of every image, or it is a miss
                    {
                        AssembledAsset asset;
                        if (!Cache.TryGet(CacheKey.ForRequest(resolved, i, map), out asset)) return null;
                        asset.Index = i;
                        var hit = new GeneratedAsset(asset, request.Prompt, true);
                        hit.Prepare();
                        hits.Add(hit);
                    }
                return hits;
            }, cancellationToken).ConfigureAwait(false);
        }

        internal void Store(GeneratedAsset asset)
        {
            if (Cache == null) return;
            try
            {
                Cache.Put(asset.CacheKey, asset.Asset);
                if (Interlocked.Increment(ref stores) % 32 == 0) Cache.Trim();
            }
            catch (Exception e)
            {
                Debug.LogWarning("AssetGen: could not cache " + asset + " in " + Cache.Root + ": " + e.Message);
            }
        }

        internal void Forget(AssetGenSession session)
        {
            lock (gate) sessions.Remove(session);
        }

        void ThrowIfDisposed()
        {
            if (disposed) throw new ObjectDisposedException("AssetGenClient", "this client is closed (disposed, or play mode ended); make a new one");
        }

        public void Dispose()
        {
            AssetGenSession[] open;
            lock (gate)
            {
                if (disposed) return;
                disposed = true;
                open = sessions.ToArray();
                sessions.Clear();
            }
            ChannelLifetime.Unregister(this);
            foreach (var session in open) session.Dispose();
            lifetime.Cancel();
            if (channel != null) channel.Dispose();   // none on WebGL
            if (handler != null) handler.Dispose();
            lifetime.Dispose();
        }
    }
}
