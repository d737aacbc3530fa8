using System;
using NUnit.Framework;

namespace AssetGen.Client.Core.Tests
{
    [TestFixture]
    public class PixelRowsTests
    {
        [Test]
        public void TopRowBecomesTheBottomRow()
        {
            // 2x3 RGBA: row r, pixel p has bytes r*10+p in every channel.
            var rows = new byte[2 * 3 * 4];
            for (int r = 0; r < 3; r++)
                for (int p = 0; p < 2; p++)
                    for (int c = 0; c < 4; c++) rows[(r * 2 + p) * 4 + c] = (byte)(r * 10 + p);
            var flipped = PixelRows.FlipVertically(rows, 2, 3);
            Assert.AreEqual(20, flipped[0]);          // Unity's first row (bottom) = the wire's last row
            Assert.AreEqual(21, flipped[4]);
            Assert.AreEqual(10, flipped[8]);
            Assert.AreEqual(0, flipped[16]);
            Assert.AreEqual(1, flipped[20]);
            CollectionAssert.AreEqual(rows, PixelRows.FlipVertically(flipped, 2, 3));
        }

        [Test]
        public void WrongSizeIsRefused()
        {
            Assert.Throws<ArgumentException>(() => PixelRows.FlipVertically(new byte[15], 2, 2));
            Assert.Throws<ArgumentException>(() => PixelRows.FlipVertically(new byte[0], 0, 0));
        }
    }
}
