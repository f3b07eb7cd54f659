using AutoClassify.Imaging;

namespace AutoClassify.Tests.Dataset;

public sealed class SynthesisPngWriterTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("ac-png-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Should_round_trip_noise_edges_and_gradients_exactly()
    {
        // Given an image mixing noise, flat areas and ramps, so every row filter gets chosen somewhere
        const int width = 37, height = 29;
        var rng = new Random(3);
        var pixels = new byte[width * height];
        for (var y = 0; y < height; y++)
            for (var x = 0; x < width; x++)
                pixels[y * width + x] = y switch
                {
                    < 8 => (byte)rng.Next(256),
                    < 16 => (byte)(x * 7),
                    < 22 => (byte)(y * 11),
                    _ => (byte)((x + y) * 5 + rng.Next(3)),
                };
        var path = Path.Combine(_dir, "mixed.png");

        // When it is written and read back by an independent decoder
        PngWriter.WriteGray8(path, width, height, pixels);
        var decoded = SynthesisPngReader.Read(path);

        // Then the pixels are identical and no temporary file is left behind
        Assert.Equal(width, decoded.Width);
        Assert.Equal(height, decoded.Height);
        Assert.Equal(pixels, decoded.Pixels);
        Assert.Equal(["IHDR", "IDAT", "IEND"], decoded.ChunkTypes);
        Assert.Equal([path], Directory.GetFiles(_dir));
    }

    [Fact]
    public void Should_write_masks_as_0_and_255_and_images_rounded_to_8_bits()
    {
        var mask = new BinaryMask(3, 1, [0, 1, 0]);
        var image = new GrayImage(4, 1, [0f, 0.5f, 1f, 1.7f]);

        PngWriter.Write(Path.Combine(_dir, "m.png"), mask);
        PngWriter.Write(Path.Combine(_dir, "i.png"), image);

        Assert.Equal(new byte[] { 0, 255, 0 }, SynthesisPngReader.Read(Path.Combine(_dir, "m.png")).Pixels);
        Assert.Equal(new byte[] { 0, 128, 255, 255 }, SynthesisPngReader.Read(Path.Combine(_dir, "i.png")).Pixels);
    }

    [Fact]
    public void Should_compute_the_standard_crc32_check_value()
    {
        // The CRC-32 check value of the ASCII digits 1..9 is a published constant of the algorithm.
        Assert.Equal(0xCBF43926u, PngWriter.Crc32("123456789"u8));
    }

    [Fact]
    public void Should_reject_a_pixel_buffer_of_the_wrong_size()
    {
        var ex = Assert.Throws<ArgumentException>(() => PngWriter.EncodeGray8(4, 4, new byte[15]));
        Assert.Equal("pixels", ex.ParamName);
    }
}
