// How a saved asset is imported into a Unity project, decided without Unity types so it is
// unit-tested: textures tile (Repeat wrap, mipmaps, opaque); sprites and props are Sprite mode
// with alpha from the file, Clamp wrap and no mipmaps; props stand on the ground, so their pivot
// is bottom centre, sprites pivot at the centre. The editor applies it with TextureImporter.
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

        public static ImportRecipe For(AssetType type, bool tileable)
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
                Pivot = PivotChoice.Center,
            };
        }
    }
}
