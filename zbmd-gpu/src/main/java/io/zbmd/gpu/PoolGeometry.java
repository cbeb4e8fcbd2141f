package io.zbmd.gpu;

/**
 * The shape of a 2-D pooling over planes of {@code height × width}.
 *
 * @param height input height
 * @param width input width
 * @param kernelHeight window height
 * @param kernelWidth window width
 * @param strideHeight vertical stride
 * @param strideWidth horizontal stride
 * @param padHeight padding above and below (padded cells never win a max, and count as
 *     zero in an average, as PyTorch's {@code count_include_pad=True})
 * @param padWidth padding left and right
 */
public record PoolGeometry(int height, int width, int kernelHeight, int kernelWidth, int strideHeight, int strideWidth,
        int padHeight, int padWidth) {

    /** Validates, naming the field. */
    public PoolGeometry {
        ConvGeometry.positive("pool height", height);
        ConvGeometry.positive("pool width", width);
        ConvGeometry.positive("pool kernelHeight", kernelHeight);
        ConvGeometry.positive("pool kernelWidth", kernelWidth);
        ConvGeometry.positive("pool strideHeight", strideHeight);
        ConvGeometry.positive("pool strideWidth", strideWidth);
        if (padHeight < 0 || padWidth < 0 || 2 * padHeight > kernelHeight || 2 * padWidth > kernelWidth) {
            throw new IllegalArgumentException("pool padding must be between 0 and half the kernel, got " + padHeight
                    + " x " + padWidth + " for a " + kernelHeight + "x" + kernelWidth + " kernel");
        }
        if (height + 2 * padHeight < kernelHeight || width + 2 * padWidth < kernelWidth) {
            throw new IllegalArgumentException("a " + kernelHeight + "x" + kernelWidth + " pool window does not fit a "
                    + height + "x" + width + " input");
        }
    }

    /** @return output height */
    public int outHeight() {
        return (height + 2 * padHeight - kernelHeight) / strideHeight + 1;
    }

    /** @return output width */
    public int outWidth() {
        return (width + 2 * padWidth - kernelWidth) / strideWidth + 1;
    }
}
