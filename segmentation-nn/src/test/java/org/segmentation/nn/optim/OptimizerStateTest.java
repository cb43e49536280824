package org.segmentation.nn.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;
import org.segmentation.nn.io.ModelFormatException;
import org.segmentation.nn.io.SafeTensors;
import org.segmentation.nn.io.TensorFile;
import org.segmentation.nn.layers.Dropout;
import org.segmentation.nn.param.Init;
import org.segmentation.nn.param.ParameterBuffer;

/**
 * state()/loadState(): an optimizer restored into a fresh instance continues bit-identically (exact equality:
 * the same float operations run on the same values).
 */
class OptimizerStateTest {
    @TempDir
    Path dir;

    private static ParameterBuffer buffer(DataType dt) {
        ParameterBuffer.Builder b = ParameterBuffer.builder(dt);
        b.add("w", new long[] {3, 4}, Init.constant(0.5));
        return b.build();
    }

    /** Sets pseudo-random gradients for step k (the same for every run). */
    private static void gradients(ParameterBuffer buf, int k) {
        Random r = new Random(k);
        double[] g = new double[(int) buf.length()];
        for (int i = 0; i < g.length; i++) {
            g[i] = r.nextGaussian();
        }
        buf.gradients().assign(Nd4j.createFromArray(g).castTo(buf.dataType()));
    }

    private static void continuesIdentically(DataType dt, Function<ParameterBuffer, Optimizer> make)
            throws ModelFormatException {
        ParameterBuffer straight = buffer(dt);
        Optimizer a = make.apply(straight);
        for (int k = 0; k < 6; k++) {
            gradients(straight, k);
            a.step();
        }
        ParameterBuffer first = buffer(dt);
        Optimizer b = make.apply(first);
        for (int k = 0; k < 3; k++) {
            gradients(first, k);
            b.step();
        }
        b.setLearningRate(0.05);
        TensorFile saved = b.state();
        ParameterBuffer resumed = buffer(dt);
        resumed.values().assign(first.values());
        Optimizer c = make.apply(resumed);
        c.loadState(saved);
        assertTrue(c.learningRate() == 0.05, "learning rate restored");
        c.setLearningRate(a.learningRate());
        for (int k = 3; k < 6; k++) {
            gradients(resumed, k);
            c.step();
        }
        assertArrayEquals(straight.values().toDoubleVector(), resumed.values().toDoubleVector(), 0.0);
    }

    @Test
    void everyOptimizerContinuesBitIdentically() throws ModelFormatException {
        for (DataType dt : new DataType[] {DataType.FLOAT, DataType.DOUBLE}) {
            continuesIdentically(dt, p -> new Sgd(p, 0.1, 0.9, true, 0.01));
            continuesIdentically(dt, p -> Adam.adam(p, 0.01, 0.9, 0.999, 1e-8, 0.01));
            continuesIdentically(dt, p -> Adam.adamW(p, 0.01, 0.9, 0.999, 1e-8, 0.01));
        }
    }

    @Test
    void stateOfAnotherKindOrShapeIsRejected() {
        ParameterBuffer buf = buffer(DataType.FLOAT);
        TensorFile sgd = new Sgd(buf, 0.1, 0.9, false, 0).state();
        Adam adam = Adam.adam(buf, 0.01, 0.9, 0.999, 1e-8, 0);
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> adam.loadState(sgd));
        assertTrue(e.getMessage().contains("sgd"), e.getMessage());
        assertThrows(ModelFormatException.class, () -> Adam.adamW(buf, 0.01, 0.9, 0.999, 1e-8, 0)
                .loadState(adam.state()));
        ParameterBuffer.Builder bb = ParameterBuffer.builder(DataType.FLOAT);
        bb.add("w", new long[] {5}, Init.constant(0));
        ParameterBuffer other = bb.build();
        e = assertThrows(ModelFormatException.class, () -> Adam.adam(other, 0.01, 0.9, 0.999, 1e-8, 0)
                .loadState(adam.state()));
        assertTrue(e.getMessage().contains("exp_avg"), e.getMessage());
        assertThrows(ModelFormatException.class, () -> new Sgd(buffer(DataType.DOUBLE), 0.1, 0.9, false, 0)
                .loadState(sgd));
    }

    /** {@code state} with metadata {@code key} set to {@code value} (removed when null), read back from a file. */
    private TensorFile edited(TensorFile state, String key, String value) throws IOException {
        Map<String, String> meta = new LinkedHashMap<>(state.metadata());
        if (value == null) {
            meta.remove(key);
        } else {
            meta.put(key, value);
        }
        Path file = dir.resolve("optimizer-" + key + ".safetensors");
        SafeTensors.write(file, new TensorFile(state.tensors(), meta));
        return SafeTensors.read(file);
    }

    private void refused(Optimizer o, TensorFile state, String key, String value, String problem)
            throws IOException {
        TensorFile bad = edited(state, key, value);
        double rate = o.learningRate();
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> o.loadState(bad), key + "=" + value);
        assertEquals(bad.source(), e.file());
        assertEquals(bad.source() + ": metadata '" + key + "' is " + value + ", " + problem, e.getMessage());
        assertEquals(rate, o.learningRate(), "nothing restored");
    }

    @Test
    void handEditedHyperParametersAreRefusedNamingTheFileAndTheKey() throws IOException {
        ParameterBuffer buf = buffer(DataType.FLOAT);
        Adam adam = Adam.adam(buf, 0.01, 0.9, 0.999, 1e-8, 0.01);
        adam.step();
        TensorFile state = adam.state();
        Adam fresh = Adam.adam(buffer(DataType.FLOAT), 0.02, 0.9, 0.999, 1e-8, 0.01);
        String finite = "not a finite number >= 0";
        for (String lr : new String[] {"NaN", "Infinity", "-0.001", "fast"}) {
            refused(fresh, state, "lr", lr, finite);
        }
        refused(fresh, state, "lr", null, finite);
        for (String step : new String[] {"-1", "1e18", "2.5", "99999999999999999999"}) {
            refused(fresh, state, "step", step, "not a non-negative integer");
        }
        for (String beta : new String[] {"1.0", "-0.1", "NaN", "Infinity"}) {
            refused(fresh, state, "beta1", beta, "not a number in [0, 1)");
            refused(fresh, state, "beta2", beta, "not a number in [0, 1)");
        }
        for (String eps : new String[] {"-1e-8", "0", "NaN", "Infinity"}) {
            refused(fresh, state, "eps", eps, "not a finite number > 0");
        }
        refused(fresh, state, "weight_decay", "-0.01", finite);
        refused(fresh, state, "beta1", "0.5", "but this optimizer has 0.9; the state is of another configuration");

        Sgd sgd = new Sgd(buffer(DataType.FLOAT), 0.1, 0.9, false, 0);
        TensorFile sgdState = sgd.state();
        refused(sgd, sgdState, "lr", "-Infinity", finite);
        refused(sgd, sgdState, "momentum", "1.5", "not a number in [0, 1)");
        refused(sgd, sgdState, "weight_decay", "Infinity", finite);

        // a state written before the hyper-parameters were recorded still loads, and continues at its step
        TensorFile old = edited(edited(edited(edited(state, "beta1", null), "beta2", null), "eps", null),
                "weight_decay", null);
        fresh.loadState(old);
        assertEquals(1, fresh.steps());
        assertEquals(0.01, fresh.learningRate());
    }

    @Test
    void dropoutReseedRepeatsTheMasks() {
        Dropout d = new Dropout(0.5, 1);
        var x = Nd4j.ones(DataType.FLOAT, 64);
        d.reseed(77);
        float[] first = d.forward(x).toFloatVector();
        d.forward(x);
        d.reseed(77);
        assertArrayEquals(first, d.forward(x).toFloatVector());
        assertArrayEquals(first, new Dropout(0.5, 77).forward(x).toFloatVector());
    }
}
