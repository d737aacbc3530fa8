// Defaults shared by the runtime client, the editor window and the tests. The limits mirror the
// server's (plugin_service/service/config.py); ListModels reports the real ones, which win.
using System;

namespace AssetGen.Client.Core
{
    public static class ClientDefaults
    {
        public const string Address = "http://127.0.0.1:50051";  // the server's default port, loopback
        public const int MaxPromptChars = 512;                     // ServiceConfig.max_prompt_chars
        public const int MaxCount = 64;                            // ServiceConfig.max_count
        public const int ChunkSize = 1 << 20;                      // Limits.chunk_size: 1 MiB
        public const int NativeSize = 64;                          // when no ListModels answer is known
        public const float PixelsPerUnit = 100f;                   // Unity's own sprite default
        public const long CacheMaxBytes = 256L << 20;              // on-disk cache: 256 MiB, oldest first out
        public const string CacheFolderName = "AssetGenCache";
        public static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(60);
        // HTTP/2 keepalive pings, also while idle, so a game's long-lived Session notices a dead
        // server; the server accepts pings 5 s apart or more (its README promises 10 s).
        public static readonly TimeSpan KeepAliveInterval = TimeSpan.FromSeconds(30);
        public static readonly TimeSpan KeepAliveTimeout = TimeSpan.FromSeconds(10);
        public static readonly int[] EditorSizes = { 32, 64, 128, 256, 512 };
    }
}
