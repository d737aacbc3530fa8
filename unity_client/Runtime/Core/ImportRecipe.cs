// How an asset becomes a Unity texture, decided without Unity types so it is unit-tested: the
// runtime path (TextureFactory) and the editor's importer (AssetSaver) both follow it. Textures
// tile (Repeat wrap, mipmaps, opaque); sprites and props are Sprite mode with alpha from the file,
// Clamp wrap and no mipmaps; props stand on the ground, so their pivot is bottom centre, sprites
// pivot at the centre. Colour space: the albedo is sRGB colour; normal, height and roughness maps
// are data, linear (read as sRGB they are gamma-decoded: a normal map tilts by about 39 degrees
// on average in a Linear colour space project), and a normal map is imported as a normal map.
namespace AssetGen.Client.Core
{
    public enum WrapChoice { Repeat, Clamp }

    public enum PivotChoice { Center, BottomCenter }

    public sealed class ImportRecipe
    {
        public bool Sprite;          // TextureImporterType.Sprite (single) vs Default
        public WrapChoice Wrap;
        public bool Mipmaps;
        public bool AlphaFromInput;  // alphaSource FromInput + alphaIsTransparency
        public PivotChoice Pivot;
        public bool Linear;          // data, not colour: Texture2D(linear: true), importer sRGBTexture = false
        public bool NormalMap;       // TextureImporterType.NormalMap

        public static ImportRecipe For(AssetType type, bool tileable, MaterialMap map = MaterialMap.Albedo)
        {
            if (type.HasAlpha())
                return new ImportRecipe
                {
                    Sprite = true, Wrap = WrapChoice.Clamp, Mipmaps = false, AlphaFromInput = true,
                    Pivot = type == AssetType.Prop ? PivotChoice.BottomCenter : PivotChoice.Center,
                };
            return new ImportRecipe
            {
                Sprite = false, Wrap = tileable ? WrapChoice.Repeat : WrapChoice.Clamp, Mipmaps = true, AlphaFromInput = false,
                Pivot = PivotChoice.Center, Linear = map != MaterialMap.Albedo, NormalMap = map == MaterialMap.Normal,
            };
        }
    }
}
