// The server's request rules (plugin_service/service/validation.py), checked before a request
// leaves the game so a designer sees the same message without a round trip. The server stays the
// authority: a rule here that is looser only costs a round trip, never a wrong asset.
using System;
using System.Collections.Generic;

namespace AssetGen.Client.Core
{
    /// <summary>A request the server would refuse; Message says what to change.</summary>
    public sealed class AssetRequestException : ArgumentException
    {
        public AssetRequestException(string message) : base(message) { }
    }

    /// <summary>A request with every value concrete: what the cache key needs.</summary>
    public sealed class ResolvedRequest
    {
        public string Model;
        public string ModelVersion;
        public int Pipeline;       // the server's pixel pipeline version (ListModels)
        public AssetType Type;
        public string Prompt;      // as sent (the cache key trims it itself)
        public int Width;
        public int Height;
        public int Count;
        public ulong? Seed;
        public AssetFormat Format;
        public bool Tileable;
        public MaterialMap[] Maps = { MaterialMap.Albedo };  // never empty
        public VariationOptions Vary;
        public InterpolationOptions Interpolate;
    }

    public static class RequestValidator
    {
        /// <summary>Throws AssetRequestException for what the server would refuse.
        /// <paramref name="model"/> may be null (no ListModels answer yet): sizes and per-model
        /// kinds are then left to the server.</summary>
        public static void Validate(AssetRequest request, ModelDescription model = null)
        {
            if (request == null) throw new ArgumentNullException("request");
            int maxPrompt = model != null ? model.MaxPromptChars : ClientDefaults.MaxPromptChars;
            int maxCount = model != null ? model.MaxCount : ClientDefaults.MaxCount;
            string prompt = request.Prompt ?? "";
            if (prompt.Trim().Length == 0)
                throw new AssetRequestException("prompt is empty: describe the asset in words, e.g. 'mossy cobblestone wall'");
            int invisible;
            if (!HasVisibleText(prompt, out invisible))
                throw new AssetRequestException("prompt has no visible text (only invisible characters such as U+" +
                                                invisible.ToString("X4") + "); describe the asset in words, e.g. 'mossy cobblestone wall'");
            int chars = CodePointCount(prompt);
            if (chars > maxPrompt)
                throw new AssetRequestException("prompt is " + chars + " characters; shorten it to at most " + maxPrompt);
            if (request.Type != AssetType.Texture && request.Type != AssetType.Sprite && request.Type != AssetType.Prop)
                throw new AssetRequestException("kind " + request.Type + " is unknown; choose one of: texture, sprite, prop");
            if (!request.Format.IsKnown())
                throw new AssetRequestException("format " + request.Format + " is unknown; choose one of: " + WireNames.FormatChoices);
            if (request.Priority != AssetPriority.Interactive && request.Priority != AssetPriority.Background)
                throw new AssetRequestException("priority " + request.Priority + " is unknown; choose one of: interactive, background");
            int count = request.Count == 0 ? 1 : request.Count;
            if (count < 1 || count > maxCount)
                throw new AssetRequestException("count " + request.Count + " is out of range; ask for 1.." + maxCount +
                                                " assets per request (send several requests for more)");
            if (request.Width < 0 || request.Height < 0)
                throw new AssetRequestException("size " + request.Width + "x" + request.Height + " is negative; use 0 for the native size");
            ValidateMaps(request);
            ValidateNoise(request, count);

            KindDescription kind = null;
            if (model != null && model.Kinds.Count > 0 && !model.Kinds.TryGetValue(request.Type, out kind))
                throw new AssetRequestException("model '" + model.Name + "' does not make " + request.Type.Name() +
                                                "s; it makes: " + string.Join(", ", KindNames(model)));
            bool hasAlpha = kind != null && kind.Channels > 0 ? kind.Channels == 4 : request.Type != AssetType.Texture;
            if (hasAlpha && request.Format == AssetFormat.DdsBc1)
                throw new AssetRequestException("format dds_bc1 has no alpha channel, but a " + request.Type.Name() +
                                                " is a cut-out with transparency; use dds_bc3, dds_bc7 (block-compressed with alpha), or png / rgba8");
            bool canTile = kind != null ? kind.Tileable : request.Type == AssetType.Texture;
            if (request.Tileable == true && !canTile)
                throw new AssetRequestException(request.Type.Name() + "s cannot tile" +
                                                (model != null ? " on model '" + model.Name + "'" : "") +
                                                "; leave tileable unset or false");
            if (kind != null && kind.Sizes.Length > 0)
            {
                int width = request.Width == 0 ? kind.NativeSize : request.Width;
                int height = request.Height == 0 ? kind.NativeSize : request.Height;
                if (Array.IndexOf(kind.Sizes, width) < 0 || Array.IndexOf(kind.Sizes, height) < 0)
                    throw new AssetRequestException("size " + width + "x" + height + " is not allowed for " + request.Type.Name() +
                                                    " on model '" + model.Name + "'; width and height must each be one of: " +
                                                    JoinInts(kind.Sizes) + " (0 = native " + kind.NativeSize + ")");
            }
            if (request.Format.IsDds())
            {
                // Without a ListModels answer a 0 (native) side is unknown here: the server checks it.
                int width = request.Width == 0 && kind != null ? kind.NativeSize : request.Width;
                int height = request.Height == 0 && kind != null ? kind.NativeSize : request.Height;
                if (width % 4 != 0 || height % 4 != 0)
                    throw new AssetRequestException("format " + request.Format.Name() + " needs a width and height that are multiples of 4, got " +
                                                    width + "x" + height);
            }
        }

        static void ValidateMaps(AssetRequest request)
        {
            if (request.Maps == null || request.Maps.Length == 0) return;
            var seen = new HashSet<MaterialMap>();
            foreach (var map in request.Maps)
            {
                if (!map.IsKnown())
                    throw new AssetRequestException("map " + map + " is unknown; choose from: " + WireNames.MapChoices);
                if (!seen.Add(map))
                    throw new AssetRequestException("maps name " + map.Name() + " twice; list each at most once");
            }
            if (request.Type != AssetType.Texture && !(request.Maps.Length == 1 && request.Maps[0] == MaterialMap.Albedo))
                throw new AssetRequestException("material maps are for textures; a " + request.Type.Name() +
                                                " has only its albedo (leave Maps empty)");
        }

        static void ValidateNoise(AssetRequest request, int count)
        {
            if (request.Vary != null && request.Interpolate != null)
                throw new AssetRequestException("Vary and Interpolate are exclusive; ask for one of them");
            if (request.Vary != null && !(request.Vary.Strength > 0.0 && request.Vary.Strength <= 1.0))
                throw new AssetRequestException("vary strength " + request.Vary.Strength.ToString("R", System.Globalization.CultureInfo.InvariantCulture) +
                                                " is out of range; use (0, 1] (0.1-0.3 for close variations)");
            if (request.Interpolate != null && request.Interpolate.T.HasValue)
            {
                double t = request.Interpolate.T.Value;
                if (!(t >= 0.0 && t <= 1.0))
                    throw new AssetRequestException("interpolate t " + t.ToString("R", System.Globalization.CultureInfo.InvariantCulture) +
                                                    " is out of range; use [0, 1]");
                if (count != 1)
                    throw new AssetRequestException("interpolate t pins one frame, but count is " + count + "; use count 1, or leave t " +
                                                    "unset for " + count + " frames from t = 0 to 1");
            }
        }

        /// <summary>Validate, then make every value concrete with the model's answer (the server's own resolution).</summary>
        public static ResolvedRequest Resolve(AssetRequest request, ModelDescription model)
        {
            if (model == null) throw new ArgumentNullException("model", "resolving needs the model's ListModels answer");
            Validate(request, model);
            KindDescription kind;
            if (!model.Kinds.TryGetValue(request.Type, out kind)) kind = new KindDescription { Tileable = request.Type == AssetType.Texture };
            return new ResolvedRequest
            {
                Model = model.Name,
                ModelVersion = model.Version,
                Pipeline = model.Pipeline,
                Type = request.Type,
                Prompt = request.Prompt,
                Width = request.Width == 0 ? kind.NativeSize : request.Width,
                Height = request.Height == 0 ? kind.NativeSize : request.Height,
                Count = request.Count == 0 ? 1 : request.Count,
                Seed = request.Seed,
                Format = request.Format,
                Tileable = request.Tileable.HasValue ? request.Tileable.Value : kind.Tileable,
                Maps = request.EffectiveMaps(),
                Vary = request.Vary == null ? null : new VariationOptions(request.Vary.Seed, request.Vary.Strength),
                Interpolate = request.Interpolate == null ? null : new InterpolationOptions(request.Interpolate.SeedB, request.Interpolate.T),
            };
        }

        // Code points the model cannot see (inclusive ranges): the server's list, checked against
        // tests/golden/invisible_prompts.json. A prompt made only of these is refused.
        public static readonly int[,] InvisibleRanges =
        {
            { 0x0000, 0x0020 }, { 0x007F, 0x00A0 }, { 0x00AD, 0x00AD }, { 0x034F, 0x034F }, { 0x061C, 0x061C },
            { 0x115F, 0x1160 }, { 0x17B4, 0x17B5 }, { 0x180B, 0x180F }, { 0x1680, 0x1680 }, { 0x2000, 0x200F },
            { 0x2028, 0x202F }, { 0x205F, 0x206F }, { 0x2800, 0x2800 }, { 0x3000, 0x3000 }, { 0x3164, 0x3164 },
            { 0xFE00, 0xFE0F }, { 0xFEFF, 0xFEFF }, { 0xFFA0, 0xFFA0 }, { 0xFFF9, 0xFFFB }, { 0x1D173, 0x1D17A },
            { 0xE0000, 0xE007F }, { 0xE0100, 0xE01EF },
        };

        public static bool IsInvisible(int codePoint)
        {
            for (int i = 0; i < InvisibleRanges.GetLength(0); i++)
                if (codePoint >= InvisibleRanges[i, 0] && codePoint <= InvisibleRanges[i, 1]) return true;
            return false;
        }

        /// <summary>True when some code point of <paramref name="text"/> is visible; otherwise the
        /// first non-space invisible code point (for the message) is in <paramref name="firstInvisible"/>.</summary>
        public static bool HasVisibleText(string text, out int firstInvisible)
        {
            firstInvisible = 0;
            for (int i = 0; i < text.Length; i++)
            {
                int cp = char.ConvertToUtf32(text, i);
                if (char.IsSurrogatePair(text, i)) i++;
                if (!IsInvisible(cp)) return true;
                if (firstInvisible == 0 && cp > 0x20) firstInvisible = cp;
            }
            return false;
        }

        /// <summary>Characters as Python counts them (code points): a surrogate pair is one.</summary>
        public static int CodePointCount(string text)
        {
            int count = 0;
            for (int i = 0; i < text.Length; i++)
            {
                if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1])) i++;
                count++;
            }
            return count;
        }

        static IEnumerable<string> KindNames(ModelDescription model)
        {
            foreach (var type in model.Kinds.Keys) yield return type.Name();
        }

        static string JoinInts(int[] values)
        {
            var parts = new string[values.Length];
            for (int i = 0; i < values.Length; i++) parts[i] = values[i].ToString(System.Globalization.CultureInfo.InvariantCulture);
            return string.Join(", ", parts);
        }
    }
}
