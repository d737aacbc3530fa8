// Saving chosen previews into Assets/ as PNG files with the import settings their kind needs
// (ImportRecipe): textures Repeat-wrapped, sprites and props in Sprite mode with alpha. The
// request that reproduces the asset (model, version, prompt, kind, size, seed, sha256) goes into
// the importer's userData, so it travels with the .meta file.
using System.Collections.Generic;
using System.IO;
using AssetGen.Client.Core;
using UnityEditor;
using UnityEngine;

namespace AssetGen.Client.Editor
{
    public static class AssetSaver
    {
        /// <summary>Write <paramref name="asset"/> under <paramref name="folder"/> (an Assets/ path) and import it; returns the asset path.</summary>
        public static string Save(GeneratedAsset asset, Texture2D readablePreview, string folder, float pixelsPerUnit)
        {
            folder = (folder ?? "").Replace('\\', '/').TrimEnd('/');
            if (folder != "Assets" && !folder.StartsWith("Assets/"))
                throw new System.ArgumentException("save folder '" + folder + "' must be inside Assets/, e.g. Assets/Generated");
            Directory.CreateDirectory(folder);
            // The server's PNG is saved as sent (its sha256 still matches); raw RGBA8 is encoded here.
            byte[] png = asset.Asset.Format == AssetFormat.Png ? asset.Asset.Data : ImageConversion.EncodeToPNG(readablePreview);
            string path = AssetDatabase.GenerateUniqueAssetPath(folder + "/" + asset.Name + ".png");
            File.WriteAllBytes(path, png);
            AssetDatabase.ImportAsset(path, ImportAssetOptions.ForceSynchronousImport);
            var importer = (TextureImporter)AssetImporter.GetAtPath(path);
            Apply(importer, ImportRecipe.For(asset.Type, asset.Asset.Tileable, asset.Asset.Map), pixelsPerUnit);
            importer.userData = Provenance(asset);
            importer.SaveAndReimport();
            return path;
        }

        public static void Apply(TextureImporter importer, ImportRecipe recipe, float pixelsPerUnit)
        {
            importer.textureType = recipe.Sprite ? TextureImporterType.Sprite
                                 : recipe.NormalMap ? TextureImporterType.NormalMap : TextureImporterType.Default;
            importer.wrapMode = recipe.Wrap == WrapChoice.Repeat ? TextureWrapMode.Repeat : TextureWrapMode.Clamp;
            importer.mipmapEnabled = recipe.Mipmaps;
            importer.sRGBTexture = !recipe.Linear;
            importer.alphaSource = recipe.AlphaFromInput ? TextureImporterAlphaSource.FromInput : TextureImporterAlphaSource.None;
            importer.alphaIsTransparency = recipe.AlphaFromInput;
            if (!recipe.Sprite) return;
            importer.spriteImportMode = SpriteImportMode.Single;
            importer.spritePixelsPerUnit = pixelsPerUnit;
            var settings = new TextureImporterSettings();
            importer.ReadTextureSettings(settings);
            settings.spriteMeshType = SpriteMeshType.FullRect;
            settings.spriteAlignment = (int)(recipe.Pivot == PivotChoice.BottomCenter ? SpriteAlignment.BottomCenter : SpriteAlignment.Center);
            importer.SetTextureSettings(settings);
        }

        static string Provenance(GeneratedAsset asset)
        {
            var a = asset.Asset;
            return MiniJson.Serialize(new Dictionary<string, object>
            {
                { "generator", "assetgen" }, { "model", a.Model }, { "model_version", a.ModelVersion }, { "pipeline", AssetGen.Client.Core.CacheKey.ReportedPipeline(a.Pipeline) }, { "prompt", asset.Prompt },
                { "kind", a.Type.Name() }, { "width", a.Width }, { "height", a.Height }, { "seed", a.Seed },
                { "tileable", a.Tileable }, { "sha256", a.Sha256 }, { "cache_key", asset.CacheKey },
            });
        }
    }
}
