// WebGL builds reach the service through its HTTP/JSON API (a browser has no native gRPC) with
// UnityWebRequest, behind the same GenerateAsync. The request JSON and the NDJSON parsing live in
// the engine-free Core (HttpJson.cs, tested with mono against the server's golden files); this
// file is the Unity-only part and is compiled only inside Unity. On WebGL, UnityWebRequest hands
// over the whole reply at the end, so the assets of one request arrive together.
using System;
using System.Collections.Generic;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using AssetGen.Client.Core;
using UnityEngine.Networking;

namespace AssetGen.Client
{
    sealed class HttpJsonTransport
    {
        readonly AssetGenSettings settings;

        public HttpJsonTransport(AssetGenSettings settings)
        {
            this.settings = settings;
        }

        public async Task<List<AssembledAsset>> GenerateAsync(AssetRequest request, CancellationToken cancellationToken)
        {
            string url = settings.HttpUri.TrimEnd('/') + HttpJson.GeneratePath;
            using (var web = new UnityWebRequest(url, "POST"))
            {
                web.uploadHandler = new UploadHandlerRaw(Encoding.UTF8.GetBytes(HttpJson.RequestJson(request)));
                web.downloadHandler = new DownloadHandlerBuffer();
                web.SetRequestHeader("Content-Type", "application/json");
                if (!string.IsNullOrEmpty(settings.token)) web.SetRequestHeader("Authorization", "Bearer " + settings.token);
                web.timeout = (int)Math.Ceiling(settings.requestTimeoutSeconds);
                var done = new TaskCompletionSource<bool>();
                var operation = web.SendWebRequest();
                operation.completed += _ => done.TrySetResult(true);
                using (cancellationToken.Register(() => { web.Abort(); done.TrySetCanceled(); }))
                    await done.Task;
                string body = web.downloadHandler.text ?? "";
                if (web.responseCode != 200)
                {
                    var error = body.TrimStart().StartsWith("{") ? HttpJson.ParseError(MiniJson.Object(MiniJson.Parse(body), "error")) : null;
                    throw new AssetGenException((int)web.responseCode, error != null ? error.ErrorCode : "HTTP_" + web.responseCode,
                                                error != null ? error.ErrorMessage : web.error, null, error != null ? error.RetryAfterMs : 0);
                }
                var assets = new List<AssembledAsset>();
                var assembler = new ChunkAssembler();
                foreach (var e in HttpJson.ParseBody(body))
                {
                    if (e.Asset != null) assets.Add(assembler.Add(e.Asset));
                    else if (e.ErrorCode != null) throw new AssetGenException(0, e.ErrorCode, e.ErrorMessage, null, e.RetryAfterMs);
                }
                return assets;
            }
        }
    }
}
