package org.segmentation.core.label;

/**
 * The label of pixels that have no class (unlabelled, ambiguous, out of the annotated area) and so count in no
 * loss and no metric: {@link #NONE}, or one non-negative label value that is not a class. PASCAL VOC uses 255.
 *
 * <p>One rule everywhere a class count is known ({@link #checkFor}): the value is {@code >= numClasses}, so a
 * pixel is either a class or ignored, never both. Label maps hold no negative labels, so there is no negative
 * ignore value either.
 */
public final class IgnoreLabel {
    /** Every pixel has a class: nothing is ignored. */
    public static final IgnoreLabel NONE = new IgnoreLabel(-1);

    private final int value;

    private IgnoreLabel(int value) {
        this.value = value;
    }

    /**
     * Pixels labelled {@code value} are ignored.
     *
     * @throws IllegalArgumentException if {@code value} is negative
     */
    public static IgnoreLabel of(int value) {
        if (value < 0) {
            throw new IllegalArgumentException("an ignore label is a non-negative label value (labels are never"
                    + " negative), got " + value + "; use IgnoreLabel.NONE for none");
        }
        return new IgnoreLabel(value);
    }

    /** Whether nothing is ignored. */
    public boolean isNone() {
        return value < 0;
    }

    /**
     * The ignored label value.
     *
     * @throws IllegalStateException for {@link #NONE}
     */
    public int value() {
        if (value < 0) {
            throw new IllegalStateException("IgnoreLabel.NONE has no value");
        }
        return value;
    }

    /** The ignored value, or {@code otherwise} for {@link #NONE} (e.g. the label that pads a crop). */
    public int valueOr(int otherwise) {
        return value < 0 ? otherwise : value;
    }

    /** Whether pixels of label {@code label} are ignored. */
    public boolean matches(int label) {
        return value >= 0 && label == value;
    }

    /**
     * The one rule: {@link #NONE}, or a value that is not a class {@code 0..numClasses-1}.
     *
     * @throws IllegalArgumentException naming both if the value is a class, or if {@code numClasses < 1}
     */
    public IgnoreLabel checkFor(int numClasses) {
        if (numClasses < 1) {
            throw new IllegalArgumentException("numClasses must be at least 1, got " + numClasses);
        }
        if (value >= 0 && value < numClasses) {
            throw new IllegalArgumentException("the ignore label " + value + " is one of the classes 0.."
                    + (numClasses - 1) + "; it must be at least numClasses = " + numClasses);
        }
        return this;
    }

    /** {@code ""} for {@link #NONE}, else {@code " nor the ignore label V"}, to end an invalid-label message. */
    public String orIgnoredText() {
        return value < 0 ? "" : " nor the ignore label " + value;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof IgnoreLabel other && other.value == value;
    }

    @Override
    public int hashCode() {
        return value;
    }

    @Override
    public String toString() {
        return value < 0 ? "IgnoreLabel.NONE" : "IgnoreLabel(" + value + ")";
    }
}
