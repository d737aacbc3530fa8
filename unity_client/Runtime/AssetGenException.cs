// A call the server refused or could not finish. Message is the server's, which says what to
// change ("count 100 is out of range; ask for 1..64 ..."); Code is the gRPC status number;
// RetryAfterMs > 0 when the server means "try later" (only then is submitting again worth it).
using System;

namespace AssetGen.Client
{
    public sealed class AssetGenException : Exception
    {
        public readonly int Code;
        public readonly string CodeName;
        public readonly int RetryAfterMs;

        public AssetGenException(int code, string codeName, string message, Exception inner = null, int retryAfterMs = 0)
            : base(codeName + ": " + message, inner)
        {
            Code = code;
            CodeName = codeName;
            RetryAfterMs = retryAfterMs;
        }

        public bool IsRetryable { get { return RetryAfterMs > 0; } }

        internal static Exception From(Grpc.Core.RpcException e, System.Threading.CancellationToken cancellationToken)
        {
            if (e.StatusCode == Grpc.Core.StatusCode.Cancelled && cancellationToken.IsCancellationRequested)
                return new OperationCanceledException("the request was cancelled", e, cancellationToken);
            return new AssetGenException((int)e.StatusCode, NameOf(e.StatusCode), e.Status.Detail, e,
                                         AssetGen.Client.Core.RetryPolicy.ParseHint(e.Trailers.GetValue("retry-after-ms")));
        }

        internal static string NameOf(Grpc.Core.StatusCode code)
        {
            // "ResourceExhausted" -> "RESOURCE_EXHAUSTED", the name the server's TagError uses.
            var text = new System.Text.StringBuilder();
            foreach (char c in code.ToString())
            {
                if (char.IsUpper(c) && text.Length > 0) text.Append('_');
                text.Append(char.ToUpperInvariant(c));
            }
            return text.ToString();
        }
    }
}
