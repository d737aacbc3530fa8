// A long-lived Session stream for a running game: submit many tagged requests, get each tag's
// assets as they arrive (interleaved with other tags), cancel one tag without touching the rest.
// Every tag ends with exactly one TagDone or TagError (assetgen.proto). A bad request fails its
// own task only; a broken stream fails every open task. Seeded requests are served from the
// disk cache when all their assets are there.
//
//     using (var session = client.OpenSession())
//     {
//         var tiles = session.SubmitAsync(new AssetRequest("grass", AssetType.Texture, 64, seed: 1) { Count = 4 });
//         var props = session.SubmitAsync(new AssetRequest("barrel", AssetType.Prop), onAsset: a => Place(a.ToSprite(...)));
//         await Task.WhenAll(tiles, props);
//     }
using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using AssetGen.Client.Core;
using Grpc.Core;
using UnityEngine;
using Proto = global::AssetGen.V1;

namespace AssetGen.Client
{
    public sealed class AssetGenSession : IDisposable
    {
        sealed class Pending
        {
            public string Prompt;
            public readonly List<GeneratedAsset> Assets = new List<GeneratedAsset>();
            public Action<GeneratedAsset> OnAsset;
            public readonly TaskCompletionSource<List<GeneratedAsset>> Done =
                new TaskCompletionSource<List<GeneratedAsset>>(TaskCreationOptions.RunContinuationsAsynchronously);
            public CancellationTokenRegistration Registration;
        }

        readonly AssetGenClient client;
        readonly CancellationTokenSource linked;
        readonly AsyncDuplexStreamingCall<Proto.SessionRequest, Proto.SessionResponse> call;
        readonly ChunkAssembler assembler = new ChunkAssembler();
        readonly Dictionary<string, Pending> pending = new Dictionary<string, Pending>();
        readonly SemaphoreSlim writeLock = new SemaphoreSlim(1, 1);  // one write at a time on a gRPC stream
        readonly object gate = new object();
        readonly Task reading;
        int nextTag;
        bool closed;

        internal AssetGenSession(AssetGenClient client, CancellationToken cancellationToken)
        {
            this.client = client;
            linked = client.Link(cancellationToken);
            call = client.Calls.Session(client.Options(linked.Token, withDeadline: false));
            reading = Task.Run(() => ReadAsync());
        }

        /// <summary>Completes when the stream has ended (closed, cancelled or broken) and every open tag has failed.</summary>
        public Task Completion
        {
            get { return reading; }
        }

        /// <summary>Tags submitted and not yet done.</summary>
        public int Open
        {
            get { lock (gate) return pending.Count; }
        }

        /// <summary>Submit one request; the task completes with all its assets when the server says the tag is done.
        /// <paramref name="onAsset"/> (optional) sees each asset on the main thread as soon as it is whole.
        /// Cancelling <paramref name="cancellationToken"/> cancels this tag only.</summary>
        public async Task<List<GeneratedAsset>> SubmitAsync(AssetRequest request, Action<GeneratedAsset> onAsset = null,
                                                            TimeSpan? timeout = null,
                                                            CancellationToken cancellationToken = default(CancellationToken))
        {
            if (request == null) throw new ArgumentNullException("request");
            RequestValidator.Validate(request);
            request = request.Clone();
            if (string.IsNullOrEmpty(request.Model)) request.Model = client.Settings.model ?? "";

            var hits = await client.FromCacheAsync(request, cancellationToken).ConfigureAwait(false);
            if (hits != null)
            {
                if (onAsset != null) foreach (var hit in hits) { var h = hit; MainThread.Post(() => onAsset(h)); }
                return hits;
            }

            string tag = "t" + Interlocked.Increment(ref nextTag);
            var entry = new Pending { Prompt = request.Prompt, OnAsset = onAsset };
            lock (gate)
            {
                if (closed) throw new ObjectDisposedException("AssetGenSession", "this session is closed; open a new one");
                pending[tag] = entry;
            }
            if (cancellationToken.CanBeCanceled)
                entry.Registration = cancellationToken.Register(() => CancelTag(tag, cancellationToken));

            if (entry.Done.Task.IsCompleted) return await entry.Done.Task.ConfigureAwait(false);  // cancelled already

            var submit = new Proto.Submit { Tag = tag, Request = ProtoMapping.ToProto(request) };
            if (timeout.HasValue) submit.TimeoutMs = (uint)Math.Max(1, timeout.Value.TotalMilliseconds);
            try
            {
                await WriteAsync(new Proto.SessionRequest { Submit = submit }).ConfigureAwait(false);
            }
            catch (Exception e)
            {
                Finish(tag, e);
            }
            return await entry.Done.Task.ConfigureAwait(false);
        }

        void CancelTag(string tag, CancellationToken token)
        {
            if (!Finish(tag, new OperationCanceledException("tag " + tag + " was cancelled", token))) return;
            // Tell the server, so it stops computing; whatever still arrives for the tag is dropped.
            WriteAsync(new Proto.SessionRequest { Cancel = new Proto.Cancel { Tag = tag } }).ContinueWith(
                t => { var ignored = t.Exception; }, TaskContinuationOptions.OnlyOnFaulted);
        }

        async Task WriteAsync(Proto.SessionRequest message)
        {
            await writeLock.WaitAsync(linked.Token).ConfigureAwait(false);
            try
            {
                await call.RequestStream.WriteAsync(message).ConfigureAwait(false);
            }
            finally
            {
                writeLock.Release();
            }
        }

        async Task ReadAsync()
        {
            Exception failure = null;
            try
            {
                while (await call.ResponseStream.MoveNext(linked.Token).ConfigureAwait(false))
                {
                    var message = call.ResponseStream.Current;
                    switch (message.EventCase)
                    {
                        case Proto.SessionResponse.EventOneofCase.Asset:
                            var whole = assembler.Add(ProtoMapping.ToChunk(message.Asset));
                            if (whole != null) Deliver(whole);
                            break;
                        case Proto.SessionResponse.EventOneofCase.Done:
                            Finish(message.Done.Tag, null);
                            break;
                        case Proto.SessionResponse.EventOneofCase.Error:
                            OnTagError(message.Error);
                            break;
                    }
                }
                failure = new AssetGenException(StatusCodes.Unavailable, "UNAVAILABLE", "the server closed the session; open a new one");
            }
            catch (RpcException e)
            {
                failure = AssetGenException.From(e, linked.Token);
            }
            catch (Exception e)
            {
                failure = e;  // ChunkException: the stream broke the contract; cancellation: closed
            }
            FailAll(failure);
        }

        void Deliver(AssembledAsset whole)
        {
            Pending entry;
            lock (gate)
            {
                if (!pending.TryGetValue(whole.Tag, out entry)) return;  // cancelled meanwhile
            }
            var asset = new GeneratedAsset(whole, entry.Prompt, false);
            asset.Prepare();
            client.Store(asset);
            lock (gate) entry.Assets.Add(asset);
            if (entry.OnAsset != null) MainThread.Post(() => entry.OnAsset(asset));
        }

        void OnTagError(Proto.TagError error)
        {
            if (error.Code == StatusCodes.AlreadyExists)
            {
                // A duplicate submit was refused; the running tag goes on (our tags are unique, so this is a bug).
                Debug.LogWarning("AssetGen: " + error.CodeName + " for tag " + error.Tag + ": " + error.Message);
                return;
            }
            assembler.Forget(error.Tag);
            Exception failure = error.Code == StatusCodes.Cancelled
                ? (Exception)new OperationCanceledException("tag " + error.Tag + " was cancelled: " + error.Message)
                : new AssetGenException(error.Code, error.CodeName, error.Message, null, (int)error.RetryAfterMs);
            Finish(error.Tag, failure);
        }

        /// <summary>Complete a tag's task (failure null = done); false if it was already finished.</summary>
        bool Finish(string tag, Exception failure)
        {
            Pending entry;
            List<GeneratedAsset> assets;
            lock (gate)
            {
                if (!pending.TryGetValue(tag, out entry)) return false;
                pending.Remove(tag);
                assets = new List<GeneratedAsset>(entry.Assets);
            }
            entry.Registration.Dispose();
            if (failure == null) entry.Done.TrySetResult(assets);
            else if (failure is OperationCanceledException) entry.Done.TrySetCanceled();
            else entry.Done.TrySetException(failure);
            return true;
        }

        void FailAll(Exception failure)
        {
            string[] tags;
            lock (gate)
            {
                tags = new string[pending.Count];
                pending.Keys.CopyTo(tags, 0);
            }
            foreach (var tag in tags) Finish(tag, failure);
        }

        /// <summary>Cancel every open tag and close the stream. Safe to call twice.</summary>
        public void Dispose()
        {
            lock (gate)
            {
                if (closed) return;
                closed = true;
            }
            client.Forget(this);
            FailAll(new OperationCanceledException("the session was closed"));
            linked.Cancel();   // not disposed: the read loop may still look at its token
            call.Dispose();
        }
    }
}
