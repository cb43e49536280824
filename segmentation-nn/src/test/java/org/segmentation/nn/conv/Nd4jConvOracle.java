package org.segmentation.nn.conv;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.DynamicCustomOp;
import org.nd4j.linalg.factory.Nd4j;

/**
 * ND4J's own conv2d and conv2d_bp, used only as an oracle. Integer arguments (libnd4j order): kH, kW, sH, sW,
 * pH, pW, dH, dW, isSameMode, dataFormat (0 = NCHW), weightFormat (1 = [oC, iC, kH, kW]); both formats are set
 * explicitly because the defaults are VALID-style explicit padding and [kH,kW,iC,oC] weights.
 */
public final class Nd4jConvOracle {
    private Nd4jConvOracle() {
    }

    private static int[] args(int k) {
        return new int[] {k, k, 1, 1, k / 2, k / 2, 1, 1, 0, 0, 1};
    }

    /** y (N,K,H,W) for x (N,C,H,W), w (K,C,k,k), b (K). */
    public static INDArray conv2d(INDArray x, INDArray w, INDArray b) {
        INDArray y = Nd4j.create(x.dataType(), x.size(0), w.size(0), x.size(2), x.size(3));
        Nd4j.exec(DynamicCustomOp.builder("conv2d").addInputs(x, w, b).addOutputs(y)
                .addIntegerArguments(args((int) w.size(2))).build());
        return y;
    }

    /** {dX, dW, dB} for the given output gradient. */
    public static INDArray[] conv2dBp(INDArray x, INDArray w, INDArray b, INDArray dY) {
        INDArray dX = Nd4j.create(x.dataType(), x.shape());
        INDArray dW = Nd4j.create(w.dataType(), w.shape());
        INDArray dB = Nd4j.create(b.dataType(), b.shape());
        Nd4j.exec(DynamicCustomOp.builder("conv2d_bp").addInputs(x, w, b, dY).addOutputs(dX, dW, dB)
                .addIntegerArguments(args((int) w.size(2))).build());
        return new INDArray[] {dX, dW, dB};
    }
}
