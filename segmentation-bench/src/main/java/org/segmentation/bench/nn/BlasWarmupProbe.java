package org.segmentation.bench.nn;

import static org.bytedeco.openblas.global.openblas_nolapack.CblasNoTrans;
import static org.bytedeco.openblas.global.openblas_nolapack.CblasRowMajor;
import static org.bytedeco.openblas.global.openblas_nolapack.blas_set_num_threads;
import static org.bytedeco.openblas.global.openblas_nolapack.cblas_sgemm;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.bytedeco.javacpp.FloatPointer;

/**
 * Checks {@code Gemm}'s warm-up product: the speed of OpenBLAS on the products of a deep Winograd layer (36
 * single-threaded (512, 512) · (512, 64) products, as the 512→512 16² layer at batch 4 makes them) in fresh processes, without and with one 512×64 · 64×512 product made first. It calls OpenBLAS through JavaCPP alone,
 * set to one thread as {@code Gemm} sets it, so that no library class makes the first product. Each mode runs in
 * its own child JVM, the two alternating, {@code --rounds} times (default 3):
 *
 * <pre>
 * SEG_MAIN=org.segmentation.bench.nn.BlasWarmupProbe MVN_FLAGS=-o segmentation-bench/seg.sh --rounds 3
 * </pre>
 *
 * Prints one line per child ({@code cold} or {@code warm}: median of 9 repetitions of the 36 products, ms and
 * GFLOP/s) and the ratio of the medians, cold over warm.
 */
public final class BlasWarmupProbe {
    private static final int POS = 36;
    private static final int M = 512;
    private static final int N = 64;
    private static final int K = 512;

    private BlasWarmupProbe() {
    }

    public static void main(String[] args) throws IOException, InterruptedException {
        if (args.length == 2 && args[0].equals("--child")) {
            System.out.println(child(args[1].equals("warm")));
            return;
        }
        int rounds = 3;
        if (args.length == 2 && args[0].equals("--rounds")) {
            rounds = Integer.parseInt(args[1]);
        } else if (args.length != 0) {
            throw new IllegalArgumentException("usage: BlasWarmupProbe [--rounds R]");
        }
        List<Double> cold = new ArrayList<>(), warm = new ArrayList<>();
        for (int r = 0; r < rounds; r++) {
            for (String mode : new String[] {"cold", "warm"}) {
                double ms = Double.parseDouble(run(mode));
                (mode.equals("cold") ? cold : warm).add(ms);
                System.out.printf(Locale.ROOT, "%s: %.1f ms, %.1f GFLOP/s%n", mode, ms, gflops(ms));
            }
        }
        double c = median(cold), w = median(warm);
        System.out.printf(Locale.ROOT, "median cold %.1f ms, warm %.1f ms: cold / warm = %.2f%n", c, w, c / w);
    }

    /** One child JVM in this mode; its only stdout line, the median ms of the 36 products. */
    private static String run(String mode) throws IOException, InterruptedException {
        List<String> cmd = List.of(java.nio.file.Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), BlasWarmupProbe.class.getName(), "--child", mode);
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String line;
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            line = r.readLine();
        }
        if (p.waitFor() != 0 || line == null) {
            throw new IllegalStateException("the " + mode + " child failed, exit code " + p.exitValue());
        }
        return line.strip();
    }

    /** The median ms of 9 repetitions of the 36 products, after the warm-up product if {@code warm}. */
    private static String child(boolean warm) {
        blas_set_num_threads(1);
        FloatPointer a = fill(new FloatPointer((long) POS * M * K)), b = fill(new FloatPointer((long) POS * K * N));
        FloatPointer c = new FloatPointer((long) Math.max(POS * M * N, M * M));
        if (warm) {   // Gemm's warm-up: (512, 64) · (64, 512)
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, M, M, N, 1f, a, N, b, M, 0f, c, M);
        }
        double[] ms = new double[9];
        for (int r = 0; r < ms.length; r++) {
            long t0 = System.nanoTime();
            for (int x = 0; x < POS; x++) {
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, M, N, K, 1f, a.position((long) x * M * K), K,
                        b.position((long) x * K * N), N, 0f, c.position((long) x * M * N), N);
            }
            ms[r] = (System.nanoTime() - t0) / 1e6;
        }
        return Double.toString(median(Arrays.stream(ms).boxed().toList()));
    }

    private static FloatPointer fill(FloatPointer p) {
        float[] v = new float[(int) Math.min(p.capacity(), 1 << 20)];
        for (int i = 0; i < v.length; i++) {
            v[i] = (i % 17) / 17f - 0.5f;
        }
        for (long at = 0; at < p.capacity(); at += v.length) {
            p.position(at).put(v, 0, (int) Math.min(v.length, p.capacity() - at));
        }
        return p.position(0);
    }

    private static double gflops(double ms) {
        return 2.0 * POS * M * N * K / (ms * 1e6);
    }

    private static double median(List<Double> v) {
        double[] s = v.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }
}
