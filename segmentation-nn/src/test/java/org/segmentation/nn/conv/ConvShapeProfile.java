package org.segmentation.nn.conv;

import java.util.Arrays;
import java.util.Locale;
import java.util.function.Supplier;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.segmentation.nn.Memory;

/**
 * A profiling aid, not a test or a benchmark: the three kernels of every {@link Conv2dAlgorithm} on the 3×3
 * convolution shapes of the benchmark U-Net (batch and base size from the arguments), the algorithms interleaved
 * call by call so that the shared machine's load hits them alike; prints the median ms of each.
 * Run as a main: {@code ConvShapeProfile batch size reps}.
 */
public final class ConvShapeProfile {
    public static void main(String[] args) {
        int n = Integer.parseInt(args[0]);
        int size = Integer.parseInt(args[1]);
        int reps = Integer.parseInt(args[2]);
        int base = args.length > 3 ? Integer.parseInt(args[3]) : 16;
        int cin = args.length > 4 ? Integer.parseInt(args[4]) : 1;
        int depth = args.length > 5 ? Integer.parseInt(args[5]) : 3;
        java.util.List<int[]> list = new java.util.ArrayList<>();
        for (int l = 0; l <= depth; l++) {       // encoder and bottleneck: in -> f, f -> f
            int f = base << l, in = l == 0 ? cin : base << (l - 1);
            list.add(new int[] {in, f, size >> l});
            list.add(new int[] {f, f, size >> l});
        }
        for (int l = depth - 1; l >= 0; l--) {   // decoder: 2f -> f (f -> f is an encoder shape)
            int f = base << l;
            list.add(new int[] {2 * f, f, size >> l});
        }
        int[][] shapes = list.toArray(new int[0][]);
        Supplier<?>[] algs = {ShiftedGemmConv2d::new, WinogradConv2d::new, Nd4jAsAlgorithm::new};
        String[] names = {"shifted", "winograd", "nd4j"};
        System.out.printf(Locale.ROOT, "%-14s %s%n", "C->K@HxW", "fwd / bwdData / bwdWeights ms (median) per algorithm");
        for (int[] s : shapes) {
            int c = s[0], k = s[1], h = s[2];
            INDArray x = Nd4j.rand(DataType.FLOAT, n, c, h, h);
            INDArray w = Nd4j.rand(DataType.FLOAT, k, c, 3, 3);
            INDArray b = Nd4j.rand(DataType.FLOAT, k);
            INDArray dY = Nd4j.rand(DataType.FLOAT, n, k, h, h);
            INDArray dW = Nd4j.zeros(DataType.FLOAT, k, c, 3, 3);
            INDArray dB = Nd4j.zeros(DataType.FLOAT, k);
            double[][][] t = new double[algs.length][3][reps];
            for (int r = 0; r < reps + 2; r++) {
                for (int a = 0; a < algs.length; a++) {
                    Conv2dAlgorithm alg = (Conv2dAlgorithm) algs[a].get();
                    try (MemoryWorkspace ws = Memory.scratch()) {
                        INDArray y = Nd4j.createUninitialized(DataType.FLOAT, n, k, h, h);
                        INDArray dX = Nd4j.createUninitialized(DataType.FLOAT, n, c, h, h);
                        long t0 = System.nanoTime();
                        alg.forward(x, w, b, y);
                        long t1 = System.nanoTime();
                        alg.backwardData(dY, w, dX);
                        long t2 = System.nanoTime();
                        alg.backwardWeights(x, dY, dW, dB);
                        long t3 = System.nanoTime();
                        if (r >= 2) {
                            t[a][0][r - 2] = (t1 - t0) / 1e6;
                            t[a][1][r - 2] = (t2 - t1) / 1e6;
                            t[a][2][r - 2] = (t3 - t2) / 1e6;
                        }
                    }
                }
            }
            StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "%-14s", c + "->" + k + "@" + h));
            for (int a = 0; a < algs.length; a++) {
                line.append(String.format(Locale.ROOT, "  %s %6.2f /%6.2f /%6.2f", names[a], med(t[a][0]), med(t[a][1]),
                        med(t[a][2])));
            }
            System.out.println(line);
        }
    }

    private static double med(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s[s.length / 2];
    }
}
