// One Generate call as a pull stream: NextAsync() gives the next whole asset or null at the end.
// It owns what the public variants share: validation, the cache (a seeded request whose assets
// are all cached never reaches the server), chunk reassembly with the sha256 check, and retries
// (RESOURCE_EXHAUSTED and UNAVAILABLE, with backoff and jitter) while nothing was delivered yet.
// A pull stream rather than an async iterator because C# forbids `yield` inside try/catch.
using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using AssetGen.Client.Core;
using Grpc.Core;
using Proto = global::AssetGen.V1;

namespace AssetGen.Client
{
    sealed class AssetStream : IDisposable
    {
        readonly AssetGenClient client;
        readonly AssetRequest request;
        readonly CancellationTokenSource linked;
        readonly ChunkAssembler assembler = new ChunkAssembler();
        Queue<GeneratedAsset> cached;
        AsyncServerStreamingCall<Proto.Asset> call;
        bool started;
        bool finished;
        bool delivered;
        int attempt;

        public AssetStream(AssetGenClient client, AssetRequest request, CancellationToken cancellationToken)
        {
            if (request == null) throw new ArgumentNullException("request");
            RequestValidator.Validate(request);
            this.client = client;
            this.request = request.Clone();
            if (string.IsNullOrEmpty(this.request.Model)) this.request.Model = client.Settings.model ?? "";
            linked = client.Link(cancellationToken);
        }

        public async Task<GeneratedAsset> NextAsync()
        {
            if (finished) return null;
            if (!started)
            {
                started = true;
                var hits = await client.FromCacheAsync(request, linked.Token).ConfigureAwait(false);
                if (hits != null) cached = new Queue<GeneratedAsset>(hits);
            }
            if (cached != null)
            {
                if (cached.Count > 0) return cached.Dequeue();
                finished = true;
                return null;
            }
            while (true)
            {
                if (call == null)
                {
                    attempt++;
                    call = client.Calls.Generate(ProtoMapping.ToProto(request), client.Options(linked.Token));
                }
                int retryCode = 0, retryAfterMs = 0;
                try
                {
                    while (await call.ResponseStream.MoveNext(linked.Token).ConfigureAwait(false))
                    {
                        var whole = assembler.Add(ProtoMapping.ToChunk(call.ResponseStream.Current));
                        if (whole == null) continue;
                        delivered = true;
                        var asset = new GeneratedAsset(whole, request.Prompt, false);
                        asset.Prepare();
                        client.Store(asset);
                        return asset;
                    }
                    if (assembler.Pending > 0)
                        throw new ChunkException("the stream ended with " + assembler.Pending + " asset(s) incomplete");
                    finished = true;
                    return null;
                }
                catch (RpcException e)
                {
                    int hint = RetryPolicy.ParseHint(e.Trailers.GetValue("retry-after-ms"));
                    bool answered = e.Trailers.Count > 0;  // our server always sends x-request-id
                    if (!client.Settings.retry.ShouldRetry(attempt, (int)e.StatusCode, delivered, hint, answered) || linked.IsCancellationRequested)
                    {
                        finished = true;
                        throw AssetGenException.From(e, linked.Token);
                    }
                    retryCode = (int)e.StatusCode;
                    retryAfterMs = hint;
                }
                // Retry: a fresh call after the backoff (not awaited inside the catch, for older compilers).
                call.Dispose();
                call = null;
                UnityEngine.Debug.Log("AssetGen: status " + retryCode + ", retry " + attempt + " of " + request);
                await Task.Delay(client.RetryDelay(attempt, retryAfterMs), linked.Token).ConfigureAwait(false);
            }
        }

        public void Dispose()
        {
            finished = true;
            if (call != null) call.Dispose();  // cancels the call if the caller stopped early
            call = null;
            linked.Dispose();
        }
    }
}
