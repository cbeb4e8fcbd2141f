package io.zbmd.gpu;

/**
 * The shape of a 2-D convolution over one image, as im2col and col2im need it.
 *
 * @param channels input channels
 * @param height input height
 * @param width input width
 * @param kernelHeight kernel height
 * @param kernelWidth kernel width
 * @param strideHeight vertical stride
 * @param strideWidth horizontal stride
 * @param padHeight zero padding above and below
 * @param padWidth zero padding left and right
 */
public record ConvGeometry(int channels, int height, int width, int kernelHeight, int kernelWidth, int strideHeight,
        int strideWidth, int padHeight, int padWidth) {

    /** Validates, naming the field. */
    public ConvGeometry {
        positive("channels", channels);
        positive("height", height);
        positive("width", width);
        positive("kernelHeight", kernelHeight);
        positive("kernelWidth", kernelWidth);
        positive("strideHeight", strideHeight);
        positive("strideWidth", strideWidth);
        if (padHeight < 0 || padWidth < 0) {
            throw new IllegalArgumentException("convolution padding must not be negative, got " + padHeight + " x "
                    + padWidth);
        }
        if (height + 2 * padHeight < kernelHeight || width + 2 * padWidth < kernelWidth) {
            throw new IllegalArgumentException("a " + kernelHeight + "x" + kernelWidth + " kernel does not fit a "
                    + height + "x" + width + " input with padding " + padHeight + "x" + padWidth);
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

    /** @return rows of the column matrix: channels · kernel height · kernel width */
    public int columnRows() {
        return channels * kernelHeight * kernelWidth;
    }

    /** @return columns of the column matrix: output height · output width */
    public int columnCols() {
        return outHeight() * outWidth();
    }

    /**
     * Checks the layout of the columns of {@code images} images side by side (see
     * {@link Backend#im2colImages}).
     *
     * @param images images, 0 or more
     * @param rowStride elements between the starts of two rows of the columns
     * @throws IllegalArgumentException if a row cannot hold the images' output positions
     */
    public void checkColumns(int images, long rowStride) {
        if (images < 0) {
            throw new IllegalArgumentException("images = " + images + " is negative");
        }
        if (rowStride < (long) images * columnCols()) {
            throw new IllegalArgumentException("columns row stride " + rowStride + " is shorter than a row of "
                    + images + " image" + (images == 1 ? "" : "s") + " of " + columnCols() + " output positions");
        }
    }

    /**
     * @param images images side by side
     * @param rowStride elements between the starts of two rows of the columns
     * @return elements from the columns' first to one past their last (0 for no images)
     */
    public long columnsExtent(int images, long rowStride) {
        return images == 0 ? 0 : (columnRows() - 1L) * rowStride + (long) images * columnCols();
    }

    static void positive(String field, int value) {
        if (value <= 0) {
            throw new IllegalArgumentException("convolution " + field + " must be positive, got " + value);
        }
    }
}
