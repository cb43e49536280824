package org.segmentation.core.io;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.CRC32;

/**
 * Walks the chunks of a PNG file and checks each CRC-32, as the PNG specification (ISO/IEC 15948, section 5.3)
 * requires of a decoder. The JDK's PNG reader skips CRCs, so a damaged byte in a chunk it can still parse would
 * otherwise go unnoticed.
 */
final class PngChunks {
    private static final byte[] SIGNATURE = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};

    private PngChunks() {
    }

    /**
     * Checks the signature, that every chunk fits in the file with a matching CRC, and that {@code IEND} is
     * reached; bytes after {@code IEND} are ignored.
     *
     * @throws ImageFormatException naming the file and the first chunk that is wrong
     */
    static void verify(Path file) throws IOException {
        long size = Files.size(file);
        byte[] buf = new byte[1 << 16];
        CRC32 crc = new CRC32();
        try (DataInputStream in = new DataInputStream(new BufferedInputStream(Files.newInputStream(file), 1 << 16))) {
            if (size < SIGNATURE.length + 12) {
                throw new ImageFormatException(file, "truncated PNG: only " + size + " bytes");
            }
            in.readFully(buf, 0, SIGNATURE.length);
            for (int i = 0; i < SIGNATURE.length; i++) {
                if (buf[i] != SIGNATURE[i]) {
                    throw new ImageFormatException(file, "not a PNG file: bad signature");
                }
            }
            long pos = SIGNATURE.length;
            while (true) {
                if (pos + 12 > size) {
                    throw new ImageFormatException(file, "truncated PNG: the file ends at byte " + size
                            + " before the IEND chunk");
                }
                long length = in.readInt() & 0xFFFFFFFFL;
                in.readFully(buf, 0, 4);
                String type = new String(buf, 0, 4, StandardCharsets.ISO_8859_1);
                if (length > Integer.MAX_VALUE) {
                    throw new ImageFormatException(file, "corrupt PNG: chunk '" + printable(type) + "' at byte "
                            + pos + " declares length " + length + " > 2^31-1");
                }
                if (pos + 12 + length > size) {
                    throw new ImageFormatException(file, "truncated PNG: chunk '" + printable(type) + "' at byte "
                            + pos + " declares " + length + " bytes but the file ends at byte " + size);
                }
                crc.reset();
                crc.update(buf, 0, 4);
                for (long left = length; left > 0; ) {
                    int n = (int) Math.min(buf.length, left);
                    in.readFully(buf, 0, n);
                    crc.update(buf, 0, n);
                    left -= n;
                }
                long stored = in.readInt() & 0xFFFFFFFFL;
                if (stored != crc.getValue()) {
                    throw new ImageFormatException(file, "corrupt PNG: CRC mismatch in chunk '" + printable(type)
                            + "' at byte " + pos + " (stored " + Long.toHexString(stored) + ", computed "
                            + Long.toHexString(crc.getValue()) + ")");
                }
                pos += 12 + length;
                if (type.equals("IEND")) {
                    return;
                }
            }
        }
    }

    private static String printable(String s) {
        StringBuilder b = new StringBuilder();
        for (char c : s.toCharArray()) {
            b.append(c >= 0x20 && c < 0x7F ? String.valueOf(c) : String.format("\\x%02x", (int) c));
        }
        return b.toString();
    }
}
