// A call the server refused or could not finish. Message is the server's, which says what to
// change ("count 100 is out of range; ask for 1..64 ..."); Code is the gRPC status number.
using System;

namespace AssetGen.Client
{
    public sealed class AssetGenException : Exception
    {
        public readonly int Code;
        public readonly string CodeName;

        public AssetGenException(int code, string codeName, string message, Exception inner = null)
            : base(codeName + ": " + message, inner)
        {
            Code = code;
            CodeName = codeName;
        }

        internal static Exception From(Grpc.Core.RpcException e, System.Threading.CancellationToken cancellationToken)
        {
            if (e.StatusCode == Grpc.Core.StatusCode.Cancelled && cancellationToken.IsCancellationRequested)
                return new OperationCanceledException("the request was cancelled", e, cancellationToken);
            return new AssetGenException((int)e.StatusCode, NameOf(e.StatusCode), e.Status.Detail, e);
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
