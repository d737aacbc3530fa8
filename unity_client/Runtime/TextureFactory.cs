// Assets -> Unity textures and sprites. Main thread only (Unity's rule for engine objects).
// Raw RGBA8 loads with LoadRawTextureData after a row flip (the wire is top-down, Unity bottom-up):
// no PNG decode. PNG goes through ImageConversion.LoadImage, which decodes and orients itself.
using System;
using AssetGen.Client.Core;
using UnityEngine;

namespace AssetGen.Client
{
    public static class TextureFactory
    {
        /// <summary>Rows in Unity's order, ready for LoadRawTextureData; call it off the main thread.</summary>
        public static byte[] PrepareRaw(AssembledAsset asset)
        {
            if (asset.Format != AssetFormat.Rgba8) return null;
            return PixelRows.FlipVertically(asset.Data, asset.Width, asset.Height, 4);
        }

        /// <summary>A texture: Repeat wrap when the asset tiles, Clamp otherwise (sprite edges must not bleed).</summary>
        public static Texture2D CreateTexture(AssembledAsset asset, byte[] preparedRaw = null, FilterMode filter = FilterMode.Bilinear,
                                              bool keepReadable = false, string name = null)
        {
            MainThread.Require("Creating a Texture2D");
            if (asset.Format.IsDds())
                // Block-compressed rows are top-down like the wire; flipping them means re-packing
                // blocks. Save the bytes as a .dds file (GeneratedAsset.Data) and let Unity import it.
                throw new NotSupportedException("a " + asset.Format.Name() + " asset is a DDS file: save GeneratedAsset.Data as " +
                                                "<name>.dds for Unity's importer, or ask for Rgba8 or Png to get a Texture2D at runtime");
            Texture2D texture;
            bool linear = ImportRecipe.For(asset.Type, asset.Tileable, asset.Map).Linear;  // data maps are not sRGB colour
            if (asset.Format == AssetFormat.Rgba8)
            {
                byte[] rows = preparedRaw ?? PrepareRaw(asset);
                texture = new Texture2D(asset.Width, asset.Height, TextureFormat.RGBA32, false, linear);
                texture.LoadRawTextureData(rows);
                texture.Apply(false, !keepReadable);
            }
            else
            {
                texture = new Texture2D(2, 2, TextureFormat.RGBA32, false, linear);
                if (!ImageConversion.LoadImage(texture, asset.Data, !keepReadable))
                {
                    UnityEngine.Object.Destroy(texture);
                    throw new ArgumentException("the asset's PNG bytes did not decode (" + asset + ")");
                }
            }
            texture.wrapMode = asset.Tileable ? TextureWrapMode.Repeat : TextureWrapMode.Clamp;
            texture.filterMode = filter;
            texture.name = name ?? (asset.Type.Name() + "_s" + asset.Seed);
            return texture;
        }

        /// <summary>A sprite over the whole texture; <paramref name="pivot"/> is normalized (0.5, 0.5 = centre).</summary>
        public static Sprite CreateSprite(Texture2D texture, Vector2 pivot, float pixelsPerUnit)
        {
            MainThread.Require("Creating a Sprite");
            texture.wrapMode = TextureWrapMode.Clamp;
            var sprite = Sprite.Create(texture, new Rect(0, 0, texture.width, texture.height), pivot, pixelsPerUnit, 0,
                                       SpriteMeshType.FullRect);
            sprite.name = texture.name;
            return sprite;
        }
    }
}
