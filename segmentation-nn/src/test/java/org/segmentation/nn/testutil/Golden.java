package org.segmentation.nn.testutil;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Reads the golden tensors written by {@code src/test/python/make_nn_golden.py}: a little-endian float64 blob in
 * C order and a text manifest of "name offset shape...". Test-only; the project's .npy reader may replace it.
 */
public final class Golden {
    private final double[] data;
    private final Map<String, long[]> shapes = new HashMap<>();
    private final Map<String, Integer> offsets = new HashMap<>();

    private Golden(double[] data) {
        this.data = data;
    }

    /** Loads {@code <base>.txt} and {@code <base>.bin} from the test class path. */
    public static Golden load(String base) {
        try (InputStream txt = Golden.class.getResourceAsStream(base + ".txt");
                InputStream bin = Golden.class.getResourceAsStream(base + ".bin")) {
            if (txt == null || bin == null) {
                throw new IllegalStateException("golden files " + base + ".txt/.bin not on the class path");
            }
            byte[] bytes = bin.readAllBytes();
            double[] d = new double[bytes.length / 8];
            ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asDoubleBuffer().get(d);
            Golden g = new Golden(d);
            for (String line : new String(txt.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
                if (line.isBlank() || line.startsWith("#")) {
                    continue;
                }
                String[] f = line.trim().split(" ");
                g.offsets.put(f[0], Integer.parseInt(f[1]));
                g.shapes.put(f[0], Arrays.stream(f, 2, f.length).mapToLong(Long::parseLong).toArray());
            }
            return g;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The named tensor as a new c-order array of the given type. */
    public INDArray get(String name, DataType dt) {
        long[] shape = shapes.get(name);
        if (shape == null) {
            throw new IllegalArgumentException("no golden tensor " + name);
        }
        int n = (int) Arrays.stream(shape).reduce(1, (a, b) -> a * b);
        int off = offsets.get(name);
        return Nd4j.create(Arrays.copyOfRange(data, off, off + n), shape, 'c').castTo(dt);
    }

    /** max |actual − expected| / max |expected|: the error relative to the tensor's scale. */
    public static double relError(INDArray actual, INDArray expected) {
        if (!Arrays.equals(actual.shape(), expected.shape())) {
            throw new AssertionError("shape " + Arrays.toString(actual.shape()) + " vs expected "
                    + Arrays.toString(expected.shape()));
        }
        INDArray a = actual.castTo(DataType.DOUBLE);
        INDArray e = expected.castTo(DataType.DOUBLE);
        return a.sub(e).amaxNumber().doubleValue() / Math.max(e.amaxNumber().doubleValue(), 1e-30);
    }
}
