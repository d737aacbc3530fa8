// Row order. The wire sends RGBA8 rows top to bottom (like PNG and every image library);
// Texture2D.LoadRawTextureData expects the bottom row first. Flipping is a plain copy of rows,
// far cheaper than a PNG decode, and done off the main thread before the texture exists.
using System;

namespace AssetGen.Client.Core
{
    public static class PixelRows
    {
        /// <summary>A copy of <paramref name="pixels"/> with its rows in the opposite order.</summary>
        public static byte[] FlipVertically(byte[] pixels, int width, int height, int bytesPerPixel = 4)
        {
            if (pixels == null) throw new ArgumentNullException("pixels");
            if (width <= 0 || height <= 0 || bytesPerPixel <= 0)
                throw new ArgumentException("width, height and bytesPerPixel must be positive, got " + width + "x" + height + "x" + bytesPerPixel);
            int stride = width * bytesPerPixel;
            if ((long)stride * height != pixels.Length)
                throw new ArgumentException("expected " + ((long)stride * height) + " bytes for " + width + "x" + height + "x" +
                                            bytesPerPixel + ", got " + pixels.Length);
            var flipped = new byte[pixels.Length];
            for (int row = 0; row < height; row++)
                Buffer.BlockCopy(pixels, row * stride, flipped, (height - 1 - row) * stride, stride);
            return flipped;
        }
    }
}
