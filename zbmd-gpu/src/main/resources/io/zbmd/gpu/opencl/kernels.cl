// zbmd's OpenCL backend: every Backend operation in OpenCL C 1.2.
//
// Each kernel mirrors the CPU backend's scalar arithmetic, operation for operation, so that the
// two agree to the conformance suite's tolerances (most element-wise ones bit for bit):
// contraction of a*b+c into fma is off, and the program is built with correctly rounded
// division and square root. Offsets, counts and strides are in elements. Views of any rank come
// as a small buffer of longs: rank, shape, then one stride per dimension for each operand.

#pragma OPENCL FP_CONTRACT OFF

#if defined(cl_khr_fp64)
#pragma OPENCL EXTENSION cl_khr_fp64 : enable
typedef double acc_t;
#else
typedef float acc_t;
#endif

// ------------------------------------------------------------------ element-wise math

// Abramowitz and Stegun 7.1.26, as the CPU backend.
float zbmd_erf(float x) {
    float sign = x > 0.0f ? 1.0f : (x < 0.0f ? -1.0f : x);
    float a = fabs(x);
    float t = 1.0f / (1.0f + 0.3275911f * a);
    float poly = ((((1.061405429f * t + -1.453152027f) * t + 1.421413741f) * t + -0.284496736f) * t
            + 0.254829592f) * t;
    return sign * (1.0f - poly * exp(-a * a));
}

float unary_apply(int op, float x) {
    switch (op) {
        case 0: return -x;                                        // NEG
        case 1: return exp(x);                                    // EXP
        case 2: return log(x);                                    // LOG
        case 3: return x > 0.0f ? x : 0.0f;                       // RELU
        case 4: return 0.5f * x * (1.0f + zbmd_erf(x * 0.70710678118654752f)); // GELU
        case 5: return tanh(x);                                   // TANH
        case 6: return 1.0f / (1.0f + exp(-x));                   // SIGMOID
        case 7: return sqrt(x);                                   // SQRT
        case 8: return x * x;                                     // SQUARE
        default: return fabs(x);                                  // ABS
    }
}

float unary_derivative(int op, float x, float y) {
    switch (op) {
        case 0: return -1.0f;
        case 1: return y;
        case 2: return 1.0f / x;
        case 3: return x > 0.0f ? 1.0f : 0.0f;
        case 4: {
            float cdf = 0.5f * (1.0f + zbmd_erf(x * 0.70710678118654752f));
            float pdf = 0.39894228040143268f * exp(-0.5f * x * x);
            return cdf + x * pdf;
        }
        case 5: return 1.0f - y * y;
        case 6: return y * (1.0f - y);
        case 7: return 0.5f / y;
        case 8: return 2.0f * x;
        default: return x > 0.0f ? 1.0f : (x < 0.0f ? -1.0f : 0.0f);
    }
}

// Java's Math.max and Math.min: NaN wins, and -0 is below +0.
float java_max(float a, float b) {
    if (isnan(a)) return a;
    if (a == 0.0f && b == 0.0f && signbit(a)) return b;
    return a >= b ? a : b;
}

float java_min(float a, float b) {
    if (isnan(a)) return a;
    if (a == 0.0f && b == 0.0f && signbit(b)) return b;
    return a <= b ? a : b;
}

float binary_apply(int op, float a, float b) {
    switch (op) {
        case 0: return a + b;
        case 1: return a - b;
        case 2: return a * b;
        case 3: return a / b;
        case 4: return java_max(a, b);
        default: return java_min(a, b);
    }
}

__kernel void unary(int op, long n, __global const float* x, long xo, __global float* y, long yo) {
    long i = get_global_id(0);
    if (i < n) y[yo + i] = unary_apply(op, x[xo + i]);
}

__kernel void unary_backward(int op, long n, __global const float* x, long xo, __global const float* y, long yo,
        __global const float* dy, long dyo, __global float* dx, long dxo) {
    long i = get_global_id(0);
    if (i < n) {
        float out = y == 0 ? 0.0f : y[yo + i];
        dx[dxo + i] = dx[dxo + i] + dy[dyo + i] * unary_derivative(op, x[xo + i], out);
    }
}

// view: rank, shape[rank], aStrides[rank], bStrides[rank], outStrides[rank]
__kernel void binary_strided(int op, long count, __global const long* view, __global const float* a, long ao,
        __global const float* b, long bo, __global float* out, long oo) {
    long i = get_global_id(0);
    if (i >= count) return;
    int rank = (int) view[0];
    long rem = i;
    for (int d = rank - 1; d >= 0; d--) {
        long size = view[1 + d];
        long index = rem % size;
        rem /= size;
        ao += index * view[1 + rank + d];
        bo += index * view[1 + 2 * rank + d];
        oo += index * view[1 + 3 * rank + d];
    }
    out[oo] = binary_apply(op, a[ao], b[bo]);
}

// view: rank, shape[rank], srcStrides[rank], dstStrides[rank]; bits copied as they are.
__kernel void copy_strided(long count, __global const long* view, __global const uint* src, long so,
        __global uint* dst, long dst_offset) {
    long i = get_global_id(0);
    if (i >= count) return;
    int rank = (int) view[0];
    long rem = i;
    long d_at = dst_offset;
    for (int d = rank - 1; d >= 0; d--) {
        long size = view[1 + d];
        long index = rem % size;
        rem /= size;
        so += index * view[1 + rank + d];
        d_at += index * view[1 + 2 * rank + d];
    }
    dst[d_at] = src[so];
}

// ------------------------------------------------------------------ conversions

__kernel void f32_to_bf16(long n, __global const float* src, long so, __global ushort* dst, long dso) {
    long i = get_global_id(0);
    if (i >= n) return;
    float v = src[so + i];
    uint bits = as_uint(v);
    ushort h;
    if (isnan(v)) {
        h = (ushort) ((bits >> 16) | 0x40);
    } else {
        uint lsb = (bits >> 16) & 1u;
        h = (ushort) ((bits + 0x7FFFu + lsb) >> 16);
    }
    dst[dso + i] = h;
}

__kernel void bf16_to_f32(long n, __global const ushort* src, long so, __global float* dst, long dso) {
    long i = get_global_id(0);
    if (i < n) dst[dso + i] = as_float(((uint) src[so + i]) << 16);
}

__kernel void f32_to_f16(long n, __global const float* src, long so, __global half* dst, long dso) {
    long i = get_global_id(0);
    if (i < n) vstore_half_rte(src[so + i], dso + i, dst);
}

__kernel void f16_to_f32(long n, __global const half* src, long so, __global float* dst, long dso) {
    long i = get_global_id(0);
    if (i < n) dst[dso + i] = vload_half(so + i, src);
}

__kernel void i32_to_f32(long n, __global const int* src, long so, __global float* dst, long dso) {
    long i = get_global_id(0);
    if (i < n) dst[dso + i] = (float) src[so + i];
}

__kernel void f32_to_i32(long n, __global const float* src, long so, __global int* dst, long dso) {
    long i = get_global_id(0);
    if (i < n) dst[dso + i] = convert_int_sat_rtz(src[so + i]);
}

// ------------------------------------------------------------------ linear algebra

// C = alpha * op(A) * op(B) + beta * C, row-major: a work group of 16x16 items computes a 16x16
// block of C through 16x16 tiles of A and B in local memory; each item sums its k products in
// order, p = 0, 1, ..., as the CPU's scalar loop does.
#define TILE 16
__kernel __attribute__((reqd_work_group_size(TILE, TILE, 1)))
void sgemm_tiled(int transA, int transB, int m, int n, int k, float alpha, __global const float* a, long ao,
        int lda, __global const float* b, long bo, int ldb, float beta, __global float* c, long co, int ldc) {
    int col = get_local_id(0);
    int row = get_local_id(1);
    int j = get_group_id(0) * TILE + col;
    int i = get_group_id(1) * TILE + row;
    __local float as[TILE][TILE];
    __local float bs[TILE][TILE];
    float acc = 0.0f;
    for (int t = 0; t < k; t += TILE) {
        int pa = t + col;
        as[row][col] = (i < m && pa < k)
                ? (transA ? a[ao + (long) pa * lda + i] : a[ao + (long) i * lda + pa]) : 0.0f;
        int pb = t + row;
        bs[row][col] = (pb < k && j < n)
                ? (transB ? b[bo + (long) j * ldb + pb] : b[bo + (long) pb * ldb + j]) : 0.0f;
        barrier(CLK_LOCAL_MEM_FENCE);
        int end = min(TILE, k - t);
        for (int q = 0; q < end; q++) {
            acc += as[row][q] * bs[q][col];
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    if (i < m && j < n) {
        long at = co + (long) i * ldc + j;
        c[at] = beta == 0.0f ? alpha * acc : alpha * acc + beta * c[at];
    }
}

__kernel void axpy(long n, float alpha, __global const float* x, long xo, __global float* y, long yo) {
    long i = get_global_id(0);
    if (i < n) y[yo + i] = y[yo + i] + alpha * x[xo + i];
}

__kernel void scale(long n, float alpha, __global float* x, long xo) {
    long i = get_global_id(0);
    if (i < n) x[xo + i] = x[xo + i] * alpha;
}

// Partial sums of squares over chunks of `chunk` elements, summed on the host in double.
__kernel void sum_of_squares(long n, long chunk, __global const float* x, long xo, __global float* partial) {
    long part = get_global_id(0);
    long from = part * chunk;
    if (from >= n) return;
    long to = min(n, from + chunk);
    acc_t sum = 0;
    for (long i = from; i < to; i++) {
        float v = x[xo + i];
        sum += (acc_t) v * v;
    }
    partial[part] = (float) sum;
}

// view: rank, shape[rank], xStrides[rank], outStrides[rank], outDense[rank]; one item per output.
// op 0 = SUM, 1 = MAX (argmax: the flat index into the input view of the first maximum).
__kernel void reduce(int op, long outCount, __global const long* view, __global const float* x, long xo,
        __global float* out, long oo, int accumulate, __global int* argmax) {
    long o = get_global_id(0);
    if (o >= outCount) return;
    int rank = (int) view[0];
    __global const long* shape = view + 1;
    __global const long* xs = view + 1 + rank;
    __global const long* os = view + 1 + 2 * rank;
    __global const long* dense = view + 1 + 3 * rank;
    long base = xo;
    long flatBase = 0;
    long position = oo;
    long rem = o;
    long reduced = 1;
    long contiguous = 1;
    // The kept dimensions: from the output's dense index.
    for (int d = 0; d < rank; d++) {
        if (os[d] != 0) {
            long index = rem / dense[d];
            rem %= dense[d];
            base += index * xs[d];
            position += index * os[d];
        } else {
            reduced *= shape[d];
        }
    }
    for (int d = rank - 1; d >= 0; d--) {
        if (os[d] != 0) {
            // flat index contribution of the kept coordinate
            long index = (o / dense[d]) % shape[d];
            flatBase += index * contiguous;
        }
        contiguous *= shape[d];
    }
    acc_t sum = 0;
    float best = -INFINITY;
    int bestIndex = 0;
    for (long r = 0; r < reduced; r++) {
        long xi = base;
        long flat = flatBase;
        long left = r;
        long stride = 1;
        for (int d = rank - 1; d >= 0; d--) {
            if (os[d] == 0) {
                long index = left % shape[d];
                left /= shape[d];
                xi += index * xs[d];
                flat += index * stride;
            }
            stride *= shape[d];
        }
        float v = x[xi];
        if (op == 0) {
            sum += v;
        } else if (v > best || (isnan(v) && !isnan(best))) {
            best = v;
            bestIndex = (int) flat;
        }
    }
    float value = op == 0 ? (float) sum : best;
    if (accumulate) value += out[position];
    out[position] = value;
    if (argmax != 0) argmax[o] = bestIndex;
}

__kernel void argmax_rows(int rows, int cols, __global const float* x, long xo, __global int* out, long oo) {
    int r = get_global_id(0);
    if (r >= rows) return;
    long base = xo + (long) r * cols;
    int bestColumn = 0;
    float best = x[base];
    for (int c = 1; c < cols; c++) {
        float v = x[base + c];
        if (v > best) {
            best = v;
            bestColumn = c;
        }
    }
    out[oo + r] = bestColumn;
}

// ------------------------------------------------------------------ softmax and cross-entropy

__kernel void softmax(int rows, int cols, int logarithm, __global const float* x, long xo, __global float* y,
        long yo) {
    int r = get_global_id(0);
    if (r >= rows) return;
    long xi = xo + (long) r * cols;
    long yi = yo + (long) r * cols;
    float top = x[xi];
    for (int c = 1; c < cols; c++) top = java_max(top, x[xi + c]);
    for (int c = 0; c < cols; c++) y[yi + c] = x[xi + c] - top;
    acc_t sum = 0;
    if (logarithm) {
        for (int c = 0; c < cols; c++) sum += exp((acc_t) y[yi + c]);
        float shift = (float) log(sum);
        for (int c = 0; c < cols; c++) y[yi + c] = y[yi + c] - shift;
    } else {
        for (int c = 0; c < cols; c++) {
            y[yi + c] = exp(y[yi + c]);
            sum += y[yi + c];
        }
        float inverse = (float) (1.0 / sum);
        for (int c = 0; c < cols; c++) y[yi + c] = y[yi + c] * inverse;
    }
}

__kernel void softmax_backward(int rows, int cols, int logarithm, __global const float* y, long yo,
        __global const float* dy, long dyo, __global float* dx, long dxo) {
    int r = get_global_id(0);
    if (r >= rows) return;
    long yi = yo + (long) r * cols;
    long dyi = dyo + (long) r * cols;
    long dxi = dxo + (long) r * cols;
    acc_t sum = 0;
    if (logarithm) {
        for (int c = 0; c < cols; c++) sum += dy[dyi + c];
        for (int c = 0; c < cols; c++) {
            float g = dy[dyi + c] - (float) (exp((acc_t) y[yi + c]) * sum);
            dx[dxi + c] = dx[dxi + c] + g;
        }
    } else {
        for (int c = 0; c < cols; c++) sum += (acc_t) dy[dyi + c] * y[yi + c];
        for (int c = 0; c < cols; c++) {
            float g = y[yi + c] * (dy[dyi + c] - (float) sum);
            dx[dxi + c] = dx[dxi + c] + g;
        }
    }
}

__kernel void cross_entropy(int rows, int cols, float smoothing, __global const float* logits, long lo,
        __global const int* labels, long lbo, __global float* loss, long lso, __global float* grad, long go,
        float scale) {
    int r = get_global_id(0);
    if (r >= rows) return;
    float offTarget = smoothing / cols;
    float onTarget = 1.0f - smoothing + offTarget;
    long xi = lo + (long) r * cols;
    int label = labels[lbo + r];
    float top = logits[xi];
    for (int c = 1; c < cols; c++) top = java_max(top, logits[xi + c]);
    acc_t sumExp = 0;
    acc_t sumLogits = 0;
    for (int c = 0; c < cols; c++) {
        float v = logits[xi + c];
        sumExp += exp((acc_t) (v - top));
        sumLogits += v;
    }
    acc_t logSumExp = top + log(sumExp);
    acc_t target = (1.0f - smoothing) * logits[xi + label] + offTarget * sumLogits;
    loss[lso + r] = (float) (logSumExp - target);
    if (grad != 0) {
        long gi = go + (long) r * cols;
        for (int c = 0; c < cols; c++) {
            float p = (float) exp((acc_t) logits[xi + c] - logSumExp);
            grad[gi + c] = scale * (p - (c == label ? onTarget : offTarget));
        }
    }
}

// ------------------------------------------------------------------ convolution by im2col, pooling

// geometry: channels, height, width, kernelH, kernelW, strideH, strideW, padH, padW, outH, outW
__kernel void im2col(int images, __global const int* g, __global const float* image, long io,
        __global float* columns, long co, long rowStride) {
    long item = get_global_id(0);
    int outH = g[9], outW = g[10];
    long spatial = (long) outH * outW;
    long rowsTotal = (long) g[0] * g[3] * g[4];
    if (item >= rowsTotal * images * spatial) return;
    long s = item % spatial;
    long rest = item / spatial;
    int im = (int) (rest % images);
    long row = rest / images;
    int kx = (int) (row % g[4]);
    int ky = (int) ((row / g[4]) % g[3]);
    int c = (int) (row / ((long) g[3] * g[4]));
    int oy = (int) (s / outW);
    int ox = (int) (s % outW);
    int y = oy * g[5] - g[7] + ky;
    int x = ox * g[6] - g[8] + kx;
    float v = 0.0f;
    if (y >= 0 && y < g[1] && x >= 0 && x < g[2]) {
        v = image[io + (long) im * g[0] * g[1] * g[2] + ((long) c * g[1] + y) * g[2] + x];
    }
    columns[co + row * rowStride + im * spatial + s] = v;
}

__kernel void col2im(int images, __global const int* g, __global const float* columns, long co, long rowStride,
        __global float* image, long io) {
    long item = get_global_id(0);
    long imageSize = (long) g[0] * g[1] * g[2];
    if (item >= imageSize * images) return;
    int im = (int) (item / imageSize);
    long e = item % imageSize;
    int x = (int) (e % g[2]);
    int y = (int) ((e / g[2]) % g[1]);
    int c = (int) (e / ((long) g[1] * g[2]));
    int outH = g[9], outW = g[10];
    long spatial = (long) outH * outW;
    float sum = 0.0f;
    for (int ky = 0; ky < g[3]; ky++) {
        int ty = y + g[7] - ky;
        if (ty < 0 || ty % g[5] != 0) continue;
        int oy = ty / g[5];
        if (oy >= outH) continue;
        for (int kx = 0; kx < g[4]; kx++) {
            int tx = x + g[8] - kx;
            if (tx < 0 || tx % g[6] != 0) continue;
            int ox = tx / g[6];
            if (ox >= outW) continue;
            long row = ((long) c * g[3] + ky) * g[4] + kx;
            sum += columns[co + row * rowStride + im * spatial + (long) oy * outW + ox];
        }
    }
    image[io + item] = sum;
}

// geometry: height, width, kernelH, kernelW, strideH, strideW, padH, padW, outH, outW
__kernel void pool2d(int planes, int max, __global const int* g, __global const float* x, long xo,
        __global float* y, long yo, __global int* argmax) {
    long item = get_global_id(0);
    int outH = g[8], outW = g[9];
    long outPlane = (long) outH * outW;
    if (item >= outPlane * planes) return;
    long p = item / outPlane;
    int o = (int) (item % outPlane);
    int oh = o / outW, ow = o % outW;
    int height = g[0], width = g[1];
    __global const float* in = x + xo + p * height * width;
    float top = -INFINITY;
    int topIndex = -1;
    float sum = 0.0f;
    for (int kh = 0; kh < g[2]; kh++) {
        int ih = oh * g[4] - g[6] + kh;
        if (ih < 0 || ih >= height) continue;
        for (int kw = 0; kw < g[3]; kw++) {
            int iw = ow * g[5] - g[7] + kw;
            if (iw < 0 || iw >= width) continue;
            int index = ih * width + iw;
            float v = in[index];
            sum += v;
            if (v > top || topIndex < 0) {
                top = v;
                topIndex = index;
            }
        }
    }
    float area = (float) (g[2] * g[3]);
    y[yo + item] = max ? top : sum / area;
    if (max && argmax != 0) argmax[item] = topIndex;
}

__kernel void pool2d_backward(int planes, int max, __global const int* g, __global const float* dy, long dyo,
        __global const int* argmax, __global float* dx, long dxo) {
    long item = get_global_id(0);
    int height = g[0], width = g[1];
    long plane = (long) height * width;
    if (item >= plane * planes) return;
    long p = item / plane;
    int index = (int) (item % plane);
    int ih = index / width, iw = index % width;
    int outH = g[8], outW = g[9];
    long outPlane = (long) outH * outW;
    float area = (float) (g[2] * g[3]);
    float grad = 0.0f;
    // The outputs whose windows hold this input, in increasing order, as the CPU adds them.
    for (int oh = 0; oh < outH; oh++) {
        int kh = ih - (oh * g[4] - g[6]);
        if (kh < 0 || kh >= g[2]) continue;
        for (int ow = 0; ow < outW; ow++) {
            int kw = iw - (ow * g[5] - g[7]);
            if (kw < 0 || kw >= g[3]) continue;
            long o = p * outPlane + (long) oh * outW + ow;
            if (max) {
                if (argmax[o] == index) grad += dy[dyo + o];
            } else {
                grad += dy[dyo + o] / area;
            }
        }
    }
    dx[dxo + item] = grad;
}

// ------------------------------------------------------------------ normalisation

__kernel void layer_norm(int rows, int cols, float eps, __global const float* x, long xo,
        __global const float* gamma, __global const float* beta, __global float* y, long yo,
        __global float* mean, __global float* rstd) {
    int r = get_global_id(0);
    if (r >= rows) return;
    long xi = xo + (long) r * cols;
    long yi = yo + (long) r * cols;
    acc_t sum = 0;
    for (int c = 0; c < cols; c++) sum += x[xi + c];
    float mu = (float) (sum / cols);
    acc_t squares = 0;
    for (int c = 0; c < cols; c++) {
        float d = x[xi + c] - mu;
        squares += (acc_t) d * d;
    }
    float inv = (float) (1.0 / sqrt(squares / cols + eps));
    mean[r] = mu;
    rstd[r] = inv;
    for (int c = 0; c < cols; c++) {
        float normalised = (x[xi + c] - mu) * inv;
        y[yi + c] = normalised * gamma[c] + beta[c];
    }
}

__kernel void layer_norm_backward_rows(int rows, int cols, __global const float* dy, long dyo,
        __global const float* x, long xo, __global const float* mean, __global const float* rstd,
        __global const float* gamma, __global float* dx, long dxo) {
    int r = get_global_id(0);
    if (r >= rows) return;
    long xi = xo + (long) r * cols;
    long dyi = dyo + (long) r * cols;
    long dxi = dxo + (long) r * cols;
    float mu = mean[r];
    float inv = rstd[r];
    acc_t sumG = 0;
    acc_t sumGx = 0;
    for (int c = 0; c < cols; c++) {
        float xhat = (x[xi + c] - mu) * inv;
        float g = dy[dyi + c] * gamma[c];
        sumG += g;
        sumGx += g * xhat;
    }
    float meanG = (float) (sumG / cols);
    float meanGx = (float) (sumGx / cols);
    for (int c = 0; c < cols; c++) {
        float xhat = (x[xi + c] - mu) * inv;
        float g = dy[dyi + c] * gamma[c];
        dx[dxi + c] = dx[dxi + c] + inv * (g - meanG - xhat * meanGx);
    }
}

__kernel void layer_norm_backward_columns(int rows, int cols, __global const float* dy, long dyo,
        __global const float* x, long xo, __global const float* mean, __global const float* rstd,
        __global float* dgamma, __global float* dbeta) {
    int c = get_global_id(0);
    if (c >= cols) return;
    float dg = dgamma[c];
    float db = dbeta[c];
    for (int r = 0; r < rows; r++) {
        float xhat = (x[xo + (long) r * cols + c] - mean[r]) * rstd[r];
        float d = dy[dyo + (long) r * cols + c];
        dg += d * xhat;
        db += d;
    }
    dgamma[c] = dg;
    dbeta[c] = db;
}

// One work item per channel: its statistics, running averages and normalisation.
__kernel void batch_norm(int n, int channels, int spatial, int training, float momentum, float eps,
        __global const float* x, long xo, __global const float* gamma, __global const float* beta,
        __global float* runningMean, __global float* runningVar, __global float* y, long yo,
        __global float* mean, __global float* rstd) {
    int c = get_global_id(0);
    if (c >= channels) return;
    long count = (long) n * spatial;
    float mu;
    float inv;
    if (training) {
        acc_t sum = 0;
        for (int b = 0; b < n; b++) {
            long block = xo + ((long) b * channels + c) * spatial;
            for (int s = 0; s < spatial; s++) sum += x[block + s];
        }
        mu = (float) (sum / count);
        acc_t squares = 0;
        for (int b = 0; b < n; b++) {
            long block = xo + ((long) b * channels + c) * spatial;
            for (int s = 0; s < spatial; s++) {
                float d = x[block + s] - mu;
                squares += (acc_t) d * d;
            }
        }
        acc_t biased = squares / count;
        acc_t unbiased = count > 1 ? squares / (count - 1) : biased;
        inv = (float) (1.0 / sqrt(biased + eps));
        runningMean[c] = (1 - momentum) * runningMean[c] + momentum * mu;
        runningVar[c] = (1 - momentum) * runningVar[c] + momentum * (float) unbiased;
        mean[c] = mu;
        rstd[c] = inv;
    } else {
        mu = runningMean[c];
        inv = (float) (1.0 / sqrt((acc_t) runningVar[c] + eps));
    }
    float scale = inv * gamma[c];
    float shift = beta[c];
    for (int b = 0; b < n; b++) {
        long block = ((long) b * channels + c) * spatial;
        for (int s = 0; s < spatial; s++) y[yo + block + s] = fma(x[xo + block + s] - mu, scale, shift);
    }
}

__kernel void batch_norm_backward(int n, int channels, int spatial, __global const float* dy, long dyo,
        __global const float* x, long xo, __global const float* mean, __global const float* rstd,
        __global const float* gamma, __global float* dx, long dxo, __global float* dgamma, __global float* dbeta) {
    int c = get_global_id(0);
    if (c >= channels) return;
    long count = (long) n * spatial;
    float mu = mean[c];
    float inv = rstd[c];
    acc_t sumDy = 0;
    acc_t sumDyCentered = 0;
    for (int b = 0; b < n; b++) {
        long block = ((long) b * channels + c) * spatial;
        for (int s = 0; s < spatial; s++) {
            float d = dy[dyo + block + s];
            sumDy += d;
            sumDyCentered += (acc_t) d * (x[xo + block + s] - mu);
        }
    }
    acc_t sumDyXhat = sumDyCentered * inv;
    dgamma[c] = dgamma[c] + (float) sumDyXhat;
    dbeta[c] = dbeta[c] + (float) sumDy;
    acc_t k = gamma[c] * (acc_t) inv / count;
    float alpha = (float) (k * count);
    float beta = (float) (-k * sumDyXhat * inv);
    float offset = (float) (-k * sumDy);
    for (int b = 0; b < n; b++) {
        long block = ((long) b * channels + c) * spatial;
        for (int s = 0; s < spatial; s++) {
            long at = block + s;
            dx[dxo + at] = dx[dxo + at] + dy[dyo + at] * alpha + (x[xo + at] - mu) * beta + offset;
        }
    }
}

// ------------------------------------------------------------------ embedding, dropout, masking

__kernel void gather_rows(int count, int dim, __global const float* table, __global const int* indices, long ino,
        __global float* out, long oo) {
    long item = get_global_id(0);
    if (item >= (long) count * dim) return;
    int i = (int) (item / dim);
    int j = (int) (item % dim);
    out[oo + item] = table[(long) indices[ino + i] * dim + j];
}

// One work item per element of the table: no atomics, and the CPU's order of addition.
__kernel void scatter_add_rows(int count, int dim, long tableRows, __global const float* dout, long doo,
        __global const int* indices, long ino, __global float* dtable) {
    long item = get_global_id(0);
    if (item >= tableRows * dim) return;
    int row = (int) (item / dim);
    int j = (int) (item % dim);
    float sum = dtable[item];
    for (int i = 0; i < count; i++) {
        if (indices[ino + i] == row) sum += dout[doo + (long) i * dim + j];
    }
    dtable[item] = sum;
}

// SplitMix64 of (seed, i): the CPU backend's counter-based draw, bit for bit.
__kernel void dropout(long n, long keepFrom, float keepScale, ulong seed, __global const float* x, long xo,
        __global float* y, long yo, __global float* mask) {
    long i = get_global_id(0);
    if (i >= n) return;
    ulong z = seed + ((ulong) i + 1) * 0x9E3779B97F4A7C15UL;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
    z ^= z >> 31;
    long draw = (long) (z >> 40);
    int keep = draw >= keepFrom;
    y[yo + i] = keep ? x[xo + i] * keepScale : 0.0f;
    mask[i] = keep ? 1.0f : 0.0f;
}

__kernel void causal_mask(int batch, int rows, int cols, __global float* x, long xo) {
    long item = get_global_id(0);
    if (item >= (long) batch * rows * cols) return;
    int j = (int) (item % cols);
    int i = (int) ((item / cols) % rows);
    if (j > i + cols - rows) x[xo + item] = -INFINITY;
}

// ------------------------------------------------------------------ optimizers

__kernel void sgd_step(long n, float lr, float momentum, float weightDecay, int nesterov,
        __global const float* p, long pi, __global float* po, long poi, __global const float* g, long gi,
        __global const float* v, long vi, __global float* vo, long voi) {
    long i = get_global_id(0);
    if (i >= n) return;
    float param = p[pi + i];
    float grad = g[gi + i] + weightDecay * param;
    float step = grad;
    if (momentum != 0.0f) {
        float velocity = momentum * v[vi + i] + grad;
        vo[voi + i] = velocity;
        step = nesterov ? grad + momentum * velocity : velocity;
    }
    po[poi + i] = param - lr * step;
}

__kernel void adam_step(long n, float lr, float beta1, float beta2, float eps, float weightDecay, int decoupled,
        float stepSize, float sqrtC2, __global const float* p, long pi, __global float* po, long poi,
        __global const float* g, long gi, __global const float* m, long mi, __global float* mo, long moi,
        __global const float* v, long vi, __global float* vo, long voi) {
    long i = get_global_id(0);
    if (i >= n) return;
    float param = p[pi + i];
    float grad = g[gi + i];
    if (decoupled) {
        param -= lr * weightDecay * param;
    } else {
        grad += weightDecay * param;
    }
    float mv = beta1 * m[mi + i] + (1.0f - beta1) * grad;
    float vv = beta2 * v[vi + i] + (1.0f - beta2) * grad * grad;
    mo[moi + i] = mv;
    vo[voi + i] = vv;
    float denom = sqrt(vv) / sqrtC2 + eps;
    po[poi + i] = param - stepSize * mv / denom;
}
