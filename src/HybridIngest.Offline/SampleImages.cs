// One file over 300 lines on purpose: four minimal encoders (JPEG, PNG, GIF, WebP), each used only to make these samples.
using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace HybridIngest.Offline;

/// <summary>A generated image: its bytes and what a sniffer should say about them.</summary>
public sealed record SampleImage(string Name, string Extension, string ContentType, byte[] Bytes)
{
    public override string ToString() => $"{Name} ({Bytes.Length} bytes)";
}

/// <summary>
/// Real, decodable images made by code (no files, no image library): a baseline JPEG, a PNG, a GIF
/// and a lossless WebP, each a small picture, plus noise PNGs of a chosen size for benchmarks.
/// Each encoder writes the simplest valid form of its format, which is enough for any decoder.
/// </summary>
public static class SampleImages
{
    public static SampleImage Jpeg { get; } = new("jpeg", "jpg", "image/jpeg", EncodeJpeg(64, 48));
    public static SampleImage Png { get; } = new("png", "png", "image/png", EncodePng(64, 48, CheckerPixel));
    public static SampleImage Gif { get; } = new("gif", "gif", "image/gif", EncodeGif(64, 48));
    public static SampleImage WebP { get; } = new("webp", "webp", "image/webp", EncodeWebP(64, 48));

    public static IReadOnlyList<SampleImage> All { get; } = [Jpeg, Png, Gif, WebP];

    /// <summary>
    /// A PNG of random pixels, stored without compression so that its size is predictable: at least
    /// <paramref name="minimumBytes"/> long and at most one row of pixels more.
    /// </summary>
    public static SampleImage NoisePng(long minimumBytes, int seed = 1)
    {
        const int width = 1024;
        var rowBytes = 1 + width * 3;
        var height = (int)Math.Max(1, (minimumBytes + rowBytes - 1) / rowBytes);
        var random = new Random(seed);
        var row = new byte[width * 3];
        var png = EncodePng(width, height, (x, y) =>
        {
            if (x == 0)
            {
                random.NextBytes(row);
            }
            return (row[x * 3], row[x * 3 + 1], row[x * 3 + 2]);
        }, CompressionLevel.NoCompression, minimumBytes + rowBytes + 1024);
        return new SampleImage($"noise-{png.Length}", "png", "image/png", png);
    }

    static (byte R, byte G, byte B) CheckerPixel(int x, int y) =>
        ((x / 8 + y / 8) % 2 == 0) ? ((byte)(x * 4), (byte)(y * 5), (byte)0xC0) : ((byte)0x20, (byte)0x80, (byte)(x * 4));

    // ---- PNG: signature, IHDR, one IDAT (zlib), IEND; every row with filter type 0. ----

    static byte[] EncodePng(int width, int height, Func<int, int, (byte R, byte G, byte B)> pixel,
        CompressionLevel level = CompressionLevel.Optimal, long capacity = 0)
    {
        var output = new MemoryStream(checked((int)Math.Max(capacity, 1024)));
        output.Write([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]);

        Span<byte> header = stackalloc byte[13];
        BinaryPrimitives.WriteInt32BigEndian(header, width);
        BinaryPrimitives.WriteInt32BigEndian(header[4..], height);
        header[8] = 8;  // bit depth
        header[9] = 2;  // colour type: RGB
        WritePngChunk(output, "IHDR", header);

        var compressed = new MemoryStream(output.Capacity);
        using (var zlib = new ZLibStream(compressed, level, leaveOpen: true))
        {
            var row = new byte[1 + width * 3];
            for (var y = 0; y < height; y++)
            {
                for (var x = 0; x < width; x++)
                {
                    (row[1 + x * 3], row[2 + x * 3], row[3 + x * 3]) = pixel(x, y);
                }
                zlib.Write(row);
            }
        }
        WritePngChunk(output, "IDAT", compressed.GetBuffer().AsSpan(0, (int)compressed.Length));
        WritePngChunk(output, "IEND", []);
        return output.ToArray();
    }

    static void WritePngChunk(Stream output, string type, ReadOnlySpan<byte> data)
    {
        Span<byte> word = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(word, data.Length);
        output.Write(word);
        var typeBytes = Encoding.ASCII.GetBytes(type);
        output.Write(typeBytes);
        output.Write(data);
        var crc = new System.IO.Hashing.Crc32(); // PNG's CRC-32 (ISO 3309) over the type and the data
        crc.Append(typeBytes);
        crc.Append(data);
        BinaryPrimitives.WriteUInt32BigEndian(word, crc.GetCurrentHashAsUInt32());
        output.Write(word);
    }

    // ---- JPEG: baseline, one grey component, every 8x8 block flat (a DC coefficient and EOB). ----

    static byte[] EncodeJpeg(int width, int height)
    {
        var output = new MemoryStream();
        output.Write([0xFF, 0xD8]); // SOI
        WriteJpegSegment(output, 0xE0, [(byte)'J', (byte)'F', (byte)'I', (byte)'F', 0, 1, 1, 0, 0, 1, 0, 1, 0, 0]);

        var quantization = new byte[65]; // table 0, 8-bit precision, every step 1
        Array.Fill(quantization, (byte)1, 1, 64);
        WriteJpegSegment(output, 0xDB, quantization);

        WriteJpegSegment(output, 0xC0,
            [8, (byte)(height >> 8), (byte)height, (byte)(width >> 8), (byte)width, 1, 1, 0x11, 0]);

        // The standard luminance DC table (ITU T.81 K.3) and an AC table holding only EOB.
        byte[] dcCounts = [0, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0];
        byte[] dcSymbols = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];
        WriteJpegSegment(output, 0xC4,
            [0x00, .. dcCounts, .. dcSymbols, 0x10, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x00]);
        var dcCodes = CanonicalCodes(dcCounts, dcSymbols);

        WriteJpegSegment(output, 0xDA, [1, 1, 0x00, 0, 63, 0]);

        var bits = new JpegBitWriter(output);
        var previous = 0;
        for (var by = 0; by < (height + 7) / 8; by++)
        {
            for (var bx = 0; bx < (width + 7) / 8; bx++)
            {
                var level = 40 + (bx * 160 / Math.Max(1, (width + 7) / 8 - 1) + by * 40 / Math.Max(1, (height + 7) / 8 - 1)) % 200;
                var dc = 8 * (level - 128); // DC of a flat block = 8 x (sample - 128)
                var difference = dc - previous;
                previous = dc;
                var magnitude = Math.Abs(difference);
                var category = magnitude == 0 ? 0 : 32 - int.LeadingZeroCount(magnitude);
                var (code, length) = dcCodes[category];
                bits.Write(code, length);
                bits.Write(difference >= 0 ? difference : difference + (1 << category) - 1, category);
                bits.Write(0, 1); // EOB: the AC table's only code
            }
        }
        bits.Flush();
        output.Write([0xFF, 0xD9]); // EOI
        return output.ToArray();
    }

    static void WriteJpegSegment(Stream output, byte marker, ReadOnlySpan<byte> payload)
    {
        output.Write([0xFF, marker, (byte)((payload.Length + 2) >> 8), (byte)(payload.Length + 2)]);
        output.Write(payload);
    }

    static Dictionary<int, (int Code, int Length)> CanonicalCodes(byte[] counts, byte[] symbols)
    {
        var codes = new Dictionary<int, (int, int)>();
        int code = 0, next = 0;
        for (var length = 1; length <= 16; length++)
        {
            for (var i = 0; i < counts[length - 1]; i++)
            {
                codes[symbols[next++]] = (code++, length);
            }
            code <<= 1;
        }
        return codes;
    }

    sealed class JpegBitWriter(Stream output)
    {
        int _buffer;
        int _count;

        public void Write(int value, int length)
        {
            for (var i = length - 1; i >= 0; i--)
            {
                _buffer = (_buffer << 1) | ((value >> i) & 1);
                if (++_count == 8)
                {
                    Emit();
                }
            }
        }

        public void Flush()
        {
            while (_count != 0)
            {
                Write(1, 1); // pad with one bits
            }
        }

        void Emit()
        {
            output.WriteByte((byte)_buffer);
            if (_buffer == 0xFF)
            {
                output.WriteByte(0); // byte stuffing
            }
            _buffer = 0;
            _count = 0;
        }
    }

    // ---- GIF: GIF89a, 4-colour palette, LZW codes kept at 3 bits by a clear code every 2 pixels. ----

    static byte[] EncodeGif(int width, int height)
    {
        var output = new MemoryStream();
        output.Write("GIF89a"u8);
        output.Write([(byte)width, (byte)(width >> 8), (byte)height, (byte)(height >> 8), 0xF1, 0, 0]);
        output.Write([0x10, 0x20, 0x40, 0xF0, 0xC0, 0x30, 0x30, 0x90, 0xF0, 0xFF, 0xFF, 0xFF]);
        output.Write([0x2C, 0, 0, 0, 0, (byte)width, (byte)(width >> 8), (byte)height, (byte)(height >> 8), 0]);

        const int minimumCodeSize = 2, clear = 4, end = 5;
        var data = new MemoryStream();
        int buffer = 0, count = 0;
        void Code(int code)
        {
            buffer |= code << count;
            count += 3;
            while (count >= 8)
            {
                data.WriteByte((byte)buffer);
                buffer >>= 8;
                count -= 8;
            }
        }
        // After a clear code the decoder's table grows by one entry per code from the second on; two
        // codes never reach 8 entries, so every code stays 3 bits wide.
        for (var i = 0; i < width * height; i++)
        {
            if (i % 2 == 0)
            {
                Code(clear);
            }
            var (x, y) = (i % width, i / width);
            Code((x / 8 + y / 6) % 4);
        }
        Code(end);
        if (count > 0)
        {
            data.WriteByte((byte)buffer);
        }

        output.WriteByte(minimumCodeSize);
        var bytes = data.ToArray();
        for (var offset = 0; offset < bytes.Length; offset += 255)
        {
            var block = bytes.AsSpan(offset, Math.Min(255, bytes.Length - offset));
            output.WriteByte((byte)block.Length);
            output.Write(block);
        }
        output.WriteByte(0);    // block terminator
        output.WriteByte(0x3B); // trailer
        return output.ToArray();
    }

    // ---- WebP lossless (VP8L): no transforms, five "simple" prefix codes, a two-colour picture. ----

    static byte[] EncodeWebP(int width, int height)
    {
        var bits = new LsbBitWriter();
        bits.Write(0x2F, 8);          // VP8L signature
        bits.Write(width - 1, 14);
        bits.Write(height - 1, 14);
        bits.Write(0, 1);             // alpha unused
        bits.Write(0, 3);             // version 0
        bits.Write(0, 1);             // no transform
        bits.Write(0, 1);             // no colour cache
        bits.Write(0, 1);             // no meta prefix codes
        SimpleCode(bits, 0x40, 0xC0); // green: two literals, 1 bit per pixel
        SimpleCode(bits, 0x30);       // red
        SimpleCode(bits, 0xA0);       // blue
        SimpleCode(bits, 0xFF);       // alpha
        SimpleCode(bits, 0);          // distance (unused)
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                bits.Write((x / 8 + y / 8) % 2, 1); // a single-symbol code takes no bits
            }
        }
        var chunk = bits.ToArray();
        var padded = chunk.Length + (chunk.Length & 1);

        var output = new byte[20 + padded];
        "RIFF"u8.CopyTo(output);
        BinaryPrimitives.WriteInt32LittleEndian(output.AsSpan(4), output.Length - 8);
        "WEBPVP8L"u8.CopyTo(output.AsSpan(8));
        BinaryPrimitives.WriteInt32LittleEndian(output.AsSpan(16), chunk.Length);
        chunk.CopyTo(output.AsSpan(20));
        return output;
    }

    static void SimpleCode(LsbBitWriter bits, params int[] symbols)
    {
        bits.Write(1, 1);                    // simple code
        bits.Write(symbols.Length - 1, 1);   // one or two symbols
        var first8Bits = symbols[0] > 1;
        bits.Write(first8Bits ? 1 : 0, 1);
        bits.Write(symbols[0], first8Bits ? 8 : 1);
        if (symbols.Length == 2)
        {
            bits.Write(symbols[1], 8);
        }
    }

    sealed class LsbBitWriter
    {
        readonly MemoryStream _output = new();
        ulong _buffer;
        int _count;

        public void Write(int value, int length)
        {
            _buffer |= (ulong)(uint)value << _count;
            _count += length;
            while (_count >= 8)
            {
                _output.WriteByte((byte)_buffer);
                _buffer >>= 8;
                _count -= 8;
            }
        }

        public byte[] ToArray()
        {
            if (_count > 0)
            {
                _output.WriteByte((byte)_buffer);
                _buffer = 0;
                _count = 0;
            }
            return _output.ToArray();
        }
    }
}
