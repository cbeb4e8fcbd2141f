// zbmd's Vulkan backend: every Backend operation as a GLSL 4.50 compute shader.
//
// One file, one kernel per section: the backend compiles it once per kernel with
// KERNEL_<name> defined (and ACC, the accumulator type: double where the device has 64-bit
// floats, else float). Each kernel mirrors the OpenCL backend's kernels.cl, operation for
// operation, so that both agree with the CPU backend to the conformance suite's tolerances:
// float results go through `precise` variables, so that a*b+c is never contracted into an fma
// the CPU does not do.
//
// Arguments: binding 0 holds the kernel's integer and float parameters (floats as their bits),
// in the order each section reads them; bindings 1, 2, ... the buffers. Offsets, counts and
// strides are in elements, as 32-bit integers (the backend refuses buffers of 2^31 elements or
// more). A kernel over n items visits them with a grid-stride loop, so that any n fits the
// device's limit on work groups.

layout(std430, binding = 0) readonly buffer Params { int P[]; };

float pf(int k) { return intBitsToFloat(P[k]); }
uint pu(int k) { return uint(P[k]); }

#define FOR_EACH(i, n) for (uint i = gl_GlobalInvocationID.x; i < (n); i += gl_NumWorkGroups.x * gl_WorkGroupSize.x)
#define NEG_INFINITY uintBitsToFloat(0xFF800000u)

bool signbit(float x) { return (floatBitsToUint(x) & 0x80000000u) != 0u; }
bool isnan_bits(float x) { return (floatBitsToUint(x) & 0x7FFFFFFFu) > 0x7F800000u; }

// ------------------------------------------------------------------ element-wise math

// Abramowitz and Stegun 7.1.26, as the CPU backend.
float zbmd_erf(float x) {
    precise float sign = x > 0.0 ? 1.0 : (x < 0.0 ? -1.0 : x);
    precise float a = abs(x);
    precise float t = 1.0 / (1.0 + 0.3275911 * a);
    precise float poly = ((((1.061405429 * t + -1.453152027) * t + 1.421413741) * t + -0.284496736) * t
            + 0.254829592) * t;
    precise float r = sign * (1.0 - poly * exp(-a * a));
    return r;
}

float unary_apply(int op, float x) {
    precise float r;
    switch (op) {
        case 0: r = -x; break;                                              // NEG
        case 1: r = exp(x); break;                                          // EXP
        case 2: r = log(x); break;                                          // LOG
        case 3: r = x > 0.0 ? x : 0.0; break;                               // RELU
        case 4: r = 0.5 * x * (1.0 + zbmd_erf(x * 0.70710678118654752)); break; // GELU
        case 5: r = tanh(x); break;                                         // TANH
        case 6: r = 1.0 / (1.0 + exp(-x)); break;                           // SIGMOID
        case 7: r = sqrt(x); break;                                         // SQRT
        case 8: r = x * x; break;                                           // SQUARE
        default: r = abs(x); break;                                         // ABS
    }
    return r;
}

float unary_derivative(int op, float x, float y) {
    precise float r;
    switch (op) {
        case 0: r = -1.0; break;
        case 1: r = y; break;
        case 2: r = 1.0 / x; break;
        case 3: r = x > 0.0 ? 1.0 : 0.0; break;
        case 4: {
            precise float cdf = 0.5 * (1.0 + zbmd_erf(x * 0.70710678118654752));
            precise float pdf = 0.39894228040143268 * exp(-0.5 * x * x);
            r = cdf + x * pdf;
            break;
        }
        case 5: r = 1.0 - y * y; break;
        case 6: r = y * (1.0 - y); break;
        case 7: r = 0.5 / y; break;
        case 8: r = 2.0 * x; break;
        default: r = x > 0.0 ? 1.0 : (x < 0.0 ? -1.0 : 0.0); break;
    }
    return r;
}

// Java's Math.max and Math.min: NaN wins, and -0 is below +0.
float java_max(float a, float b) {
    if (isnan_bits(a)) return a;
    if (isnan_bits(b)) return b;
    if (a == 0.0 && b == 0.0 && signbit(a)) return b;
    return a >= b ? a : b;
}

float java_min(float a, float b) {
    if (isnan_bits(a)) return a;
    if (isnan_bits(b)) return b;
    if (a == 0.0 && b == 0.0 && signbit(b)) return b;
    return a <= b ? a : b;
}

float binary_apply(int op, float a, float b) {
    precise float r;
    switch (op) {
        case 0: r = a + b; break;
        case 1: r = a - b; break;
        case 2: r = a * b; break;
        case 3: r = a / b; break;
        case 4: r = java_max(a, b); break;
        default: r = java_min(a, b); break;
    }
    return r;
}

#ifdef KERNEL_fill
// n, offset, value
layout(local_size_x = 64) in;
layout(std430, binding = 1) buffer B1 { float X[]; };
void main() {
    uint n = pu(0), xo = pu(1);
    float value = pf(2);
    FOR_EACH(i, n) X[xo + i] = value;
}
#endif

#ifdef KERNEL_unary
// op, n, xo, yo
layout(local_size_x = 64) in;
layout(std430, binding = 1) buffer B1 { float X[]; };
layout(std430, binding = 2) buffer B2 { float Y[]; };
void main() {
    int op = P[0];
    uint n = pu(1), xo = pu(2), yo = pu(3);
    FOR_EACH(i, n) Y[yo + i] = unary_apply(op, X[xo + i]);
}
#endif

#ifdef KERNEL_unary_backward
// op, n, xo, yo, dyo, dxo, hasY
layout(local_size_x = 64) in;
layout(std430, binding = 1) buffer B1 { float X[]; };
layout(std430, binding = 2) buffer B2 { float Y[]; };
layout(std430, binding = 3) buffer B3 { float DY[]; };
layout(std430, binding = 4) buffer B4 { float DX[]; };
void main() {
    int op = P[0];
    uint n = pu(1), xo = pu(2), yo = pu(3), dyo = pu(4), dxo = pu(5);
    bool hasY = P[6] != 0;
    FOR_EACH(i, n) {
        float out_ = hasY ? Y[yo + i] : 0.0;
        precise float r = DX[dxo + i] + DY[dyo + i] * unary_derivative(op, X[xo + i], out_);
        DX[dxo + i] = r;
    }
}
#endif

#ifdef KERNEL_binary_strided
// op, count, rank, ao, bo, oo, shape[rank], aStrides[rank], bStrides[rank], outStrides[rank]
layout(local_size_x = 64) in;
layout(std430, binding = 1) buffer B1 { float A[]; };
layout(std430, binding = 2) buffer B2 { float B[]; };
layout(std430, binding = 3) buffer B3 { float O[]; };
void main() {
    int op = P[0];
    uint count = pu(1);
    int rank = P[2];
    FOR_EACH(i, count) {
        int ao = P[3], bo = P[4], oo = P[5];
        uint rem = i;
        for (int d = rank - 1; d >= 0; d--) {
            uint size = pu(6 + d);
            int index = int(rem % size);
            rem /= size;
            ao += index * P[6 + rank + d];
            bo += index * P[6 + 2 * rank + d];
            oo += index * P[6 + 3 * rank + d];
        }
        O[oo] = binary_apply(op, A[ao], B[bo]);
    }
}
#endif

#ifdef KERNEL_copy_strided
// count, rank, so, do, shape[rank], srcStrides[rank], dstStrides[rank]; bits copied as they are
layout(local_size_x = 64) in;
layout(std430, binding = 1) buffer B1 { uint S[]; };
layout(std430, binding = 2) buffer B2 { uint D[]; };
void main() {
    uint count = pu(0);
    int rank = P[1];
    FOR_EACH(i, count) {
        int so = P[2], dst = P[3];
        uint rem = i;
        for (int d = rank - 1; d >= 0; d--) {
            uint size = pu(4 + d);
            int index = int(rem % size);
            rem /= size;
            so += index * P[4 + rank + d];
            dst += index * P[4 + 2 * rank + d];
        }
        D[dst] = S[so];
    }
}
#endif

// ------------------------------------------------------------------ conversions
// 16-bit values sit two to a 32-bit word, the first in the low half; a kernel writing them
// visits words, so that no two invocations write the same word.

uint f32_to_bf16_bits(float v) {
    uint bits = floatBitsToUint(v);
    if (isnan_bits(v)) return ((bits >> 16) | 0x40u) & 0xFFFFu;
    uint lsb = (bits >> 16) & 1u;
    return ((bits + 0x7FFFu + lsb) >> 16) & 0xFFFFu;
}

// IEEE binary16, rounding to nearest even, as Java's Float.floatToFloat16.
uint f32_to_f16_bits(float v) {
    uint x = floatBitsToUint(v);
    uint sign = (x >> 16) & 0x8000u;
    uint e = (x >> 23) & 0xFFu;
    uint m = x & 0x7FFFFFu;
    if (e == 255u) return sign | 0x7C00u | (m != 0u ? 0x200u | (m >> 13) : 0u);
    if (e == 0u) return sign; // float subnormals are far below half's smallest
    int exponent = int(e) - 127 + 15;
    if (exponent >= 31) return sign | 0x7C00u;
    if (exponent >= 1) {
        uint half_ = (uint(exponent) << 10) | (m >> 13);
        uint rest = m & 0x1FFFu;
        if (rest > 0x1000u || (rest == 0x1000u && (half_ & 1u) != 0u)) half_ += 1u; // may carry into infinity
        return sign | half_;
    }
    uint shift = uint(14 - exponent);
    if (shift > 24u) return sign;
    uint full = m | 0x800000u;
    uint half_ = full >> shift;
    uint rest = full & ((1u << shift) - 1u);
    uint halfway = 1u << (shift - 1u);
    if (rest > halfway || (rest == halfway && (half_ & 1u) != 0u)) half_ += 1u;
    return sign | half_;
}

float f16_bits_to_f32(uint h) {
    uint sign = (h & 0x8000u) << 16;
    uint e = (h >> 10) & 0x1Fu;
    uint m = h & 0x3FFu;
    if (e == 31u) return uintBitsToFloat(sign | 0x7F800000u | (m << 13));
    if (e != 0u) return uintBitsToFloat(sign | ((e + 112u) << 23) | (m << 13));
    precise float magnitude = float(m) * uintBitsToFloat(0x33800000u); // m * 2^-24, exact
    return uintBitsToFloat(sign | floatBitsToUint(magnitude));
}

#if defined(KERNEL_f32_to_bf16) || defined(KERNEL_f32_to_f16)
// n, so (floats), dso (halves)
layout(local_size_x = 64) in;
layout(std430, binding = 1) buffer B1 { float S[]; };
layout(std430, binding = 2) buffer B2 { uint D[]; };
void main() {
    uint n = pu(0), so = pu(1), dso = pu(2);
    if (n == 0u) return;
    uint first = dso >> 1;
    uint words = ((dso + n - 1u) >> 1) - first + 1u;
    FOR_EACH(w, words) {
        uint word = first + w;
        uint value = D[word];
        for (uint h = 0u; h < 2u; h++) {
            uint at = 2u * word + h;
            if (at < dso || at >= dso + n) continue;
#ifdef KERNEL_f32_to_bf16
            uint bits = f32_to_bf16_bits(S[so + at - dso]);
#else
            uint bits = f32_to_f16_bits(S[so + at - dso]);
#endif
            value = h == 0u ? (value & 0xFFFF0000u) | bits : (value & 0xFFFFu) | (bits << 16);
        }
        D[word] = value;
    }
}
#endif

#if defined(KERNEL_bf16_to_f32) || defined(KERNEL_f16_to_f32)
// n, so (halves), dso (floats)
layout(local_size_x = 64) in;
layout(std430, binding = 1) buffer B1 { uint S[]; };
layout(std430, binding = 2) buffer B2 { float D[]; };
void main() {
    uint n = pu(0), so = pu(1), dso = pu(2);
    FOR_EACH(i, n) {
        uint at = so + i;
        uint word = S[at >> 1];
        uint bits = (at & 1u) == 0u ? (word & 0xFFFFu) : (word >> 16);
#ifdef KERNEL_bf16_to_f32
        D[dso + i] = uintBitsToFloat(bits << 16);
#else
        D[dso + i] = f16_bits_to_f32(bits);
#endif
    }
}
#endif

#ifdef KERNEL_i32_to_f32
// n, so, dso
layout(local_size_x = 64) in;
layout(std430, binding = 1) buffer B1 { int S[]; };
layout(std430, binding = 2) buffer B2 { float D[]; };
void main() {
    uint n = pu(0), so = pu(1), dso = pu(2);
    FOR_EACH(i, n) D[dso + i] = float(S[so + i]);
}
#endif

#ifdef KERNEL_f32_to_i32
// n, so, dso; as Java's (int) cast: toward zero, saturating, NaN to 0
layout(local_size_x = 64) in;
layout(std430, binding = 1) buffer B1 { float S[]; };
layout(std430, binding = 2) buffer B2 { int D[]; };
void main() {
    uint n = pu(0), so = pu(1), dso = pu(2);
    FOR_EACH(i, n) {
        float v = S[so + i];
        int r;
        if (isnan_bits(v)) r = 0;
        else if (v >= 2147483648.0) r = 0x7FFFFFFF;
        else if (v <= -2147483648.0) r = int(0x80000000u);
        else r = int(v);
        D[dso + i] = r;
    }
}
#endif

// ------------------------------------------------------------------ linear algebra

#ifdef KERNEL_sgemm
// C = alpha * op(A) * op(B) + beta * C, row-major: each invocation computes a 4x4 block of C in
// registers, summing its k products in order, p = 0, 1, ..., as the CPU's scalar loop does. No
// shared memory and no barriers: on lavapipe, where a barrier suspends every invocation of the
// group in turn, a 16x16 shared-memory tiling took 320 ms for a 128x256x784 product, this 51
// (ten products timed in a loop, not JMH).
// Rows and columns past the edge read the last row or column (in bounds) and are not written.
// transA, transB, m, n, k, alpha, ao, lda, bo, ldb, beta, co, ldc
layout(local_size_x = 8, local_size_y = 8) in;
layout(std430, binding = 1) buffer B1 { float A[]; };
layout(std430, binding = 2) buffer B2 { float B[]; };
layout(std430, binding = 3) buffer B3 { float C[]; };
void main() {
    bool transA = P[0] != 0, transB = P[1] != 0;
    int m = P[2], n = P[3], k = P[4];
    float alpha = pf(5);
    int ao = P[6], lda = P[7], bo = P[8], ldb = P[9];
    float beta = pf(10);
    int co = P[11], ldc = P[12];
    int j0 = int(gl_GlobalInvocationID.x) * 4;
    int i0 = int(gl_GlobalInvocationID.y) * 4;
    if (i0 >= m || j0 >= n) return;
    int rowA = transA ? 1 : lda, stepA = transA ? lda : 1; // A(i, p) at ao + i * rowA + p * stepA
    int stepB = transB ? 1 : ldb, colB = transB ? ldb : 1; // B(p, j) at bo + p * stepB + j * colB
    ivec4 a = ao + min(ivec4(i0, i0 + 1, i0 + 2, i0 + 3), ivec4(m - 1)) * rowA;
    ivec4 b = bo + min(ivec4(j0, j0 + 1, j0 + 2, j0 + 3), ivec4(n - 1)) * colB;
    precise vec4 acc0 = vec4(0.0), acc1 = vec4(0.0), acc2 = vec4(0.0), acc3 = vec4(0.0);
    for (int p = 0; p < k; p++) {
        vec4 bp = vec4(B[b.x], B[b.y], B[b.z], B[b.w]);
        acc0 += A[a.x] * bp;
        acc1 += A[a.y] * bp;
        acc2 += A[a.z] * bp;
        acc3 += A[a.w] * bp;
        a += stepA;
        b += stepB;
    }
    vec4 rows[4] = vec4[4](acc0, acc1, acc2, acc3);
    for (int r = 0; r < 4 && i0 + r < m; r++) {
        for (int c = 0; c < 4 && j0 + c < n; c++) {
            int at = co + (i0 + r) * ldc + j0 + c;
            precise float product = alpha * rows[r][c];
            precise float v = beta == 0.0 ? product : product + beta * C[at];
            C[at] = v;
        }
    }
}
#endif

#ifdef KERNEL_axpy
// n, alpha, xo, yo
layout(local_size_x = 64) in;
layout(std430, binding = 1) buffer B1 { float X[]; };
layout(std430, binding = 2) buffer B2 { float Y[]; };
void main() {
    uint n = pu(0), xo = pu(2), yo = pu(3);
    float alpha = pf(1);
    FOR_EACH(i, n) {
        precise float r = Y[yo + i] + alpha * X[xo + i];
        Y[yo + i] = r;
    }
}
#endif

#ifdef KERNEL_scale
// n, alpha, xo
layout(local_size_x = 64) in;
layout(std430, binding = 1) buffer B1 { float X[]; };
void main() {
    uint n = pu(0), xo = pu(2);
    float alpha = pf(1);
    FOR_EACH(i, n) {
        precise float r = X[xo + i] * alpha;
        X[xo + i] = r;
    }
}
#endif

#ifdef KERNEL_sum_of_squares
// n, chunk, xo: partial sums of squares over chunks, summed on the host in double
layout(local_size_x = 64) in;
layout(std430, binding = 1) buffer B1 { float X[]; };
layout(std430, binding = 2) buffer B2 { float PARTIAL[]; };
void main() {
    uint n = pu(0), chunk = pu(1), xo = pu(2);
    uint parts = (n + chunk - 1u) / chunk;
    FOR_EACH(part, parts) {
        uint from = part * chunk;
        uint to = min(n, from + chunk);
        precise ACC sum = ACC(0);
        for (uint i = from; i < to; i++) {
            float v = X[xo + i];
            sum += ACC(v) * ACC(v);
        }
        PARTIAL[part] = float(sum);
    }
}
#endif

#ifdef KERNEL_reduce
// op (0 SUM, 1 MAX), outCount, rank, xo, oo, accumulate, hasArgmax,
// shape[rank], xStrides[rank], outStrides[rank], outDense[rank]; one invocation per output.
// MAX's argmax: the flat index into the input view of the first maximum.
layout(local_size_x = 64) in;
layout(std430, binding = 1) buffer B1 { float X[]; };
layout(std430, binding = 2) buffer B2 { float O[]; };
layout(std430, binding = 3) buffer B3 { int ARGMAX[]; };
void main() {
    int op = P[0];
    uint outCount = pu(1);
    int rank = P[2];
    bool accumulate = P[5] != 0, hasArgmax = P[6] != 0;
    int shape = 7, xs = 7 + rank, os = 7 + 2 * rank, dense = 7 + 3 * rank;
    FOR_EACH(o, outCount) {
        int base = P[3];
        int position = P[4];
        uint flatBase = 0u;
        uint rem = o;
        uint reduced = 1u;
        for (int d = 0; d < rank; d++) {
            if (P[os + d] != 0) {
                int index = int(rem / pu(dense + d));
                rem %= pu(dense + d);
                base += index * P[xs + d];
                position += index * P[os + d];
            } else {
                reduced *= pu(shape + d);
            }
        }
        uint contiguous = 1u;
        for (int d = rank - 1; d >= 0; d--) {
            if (P[os + d] != 0) {
                uint index = (o / pu(dense + d)) % pu(shape + d);
                flatBase += index * contiguous;
            }
            contiguous *= pu(shape + d);
        }
        precise ACC sum = ACC(0);
        float best = NEG_INFINITY;
        int bestIndex = 0;
        for (uint r = 0u; r < reduced; r++) {
            int xi = base;
            uint flatIndex = flatBase;
            uint left = r;
            uint stride = 1u;
            for (int d = rank - 1; d >= 0; d--) {
                if (P[os + d] == 0) {
                    uint size = pu(shape + d);
                    uint index = left % size;
                    left /= size;
                    xi += int(index) * P[xs + d];
                    flatIndex += index * stride;
                }
                stride *= pu(shape + d);
            }
            float v = X[xi];
            if (op == 0) {
                sum += ACC(v);
            } else if (v > best || (isnan_bits(v) && !isnan_bits(best))) {
                best = v;
                bestIndex = int(flatIndex);
            }
        }
        precise float value = op == 0 ? float(sum) : best;
        if (accumulate) value += O[position];
        O[position] = value;
        if (hasArgmax) ARGMAX[o] = bestIndex;
    }
}
#endif

#ifdef KERNEL_argmax_rows
// rows, cols, xo, oo
layout(local_size_x = 64) in;
layout(std430, binding = 1) buffer B1 { float X[]; };
layout(std430, binding = 2) buffer B2 { int O[]; };
void main() {
    uint rows = pu(0), cols = pu(1), xo = pu(2), oo = pu(3);
    FOR_EACH(r, rows) {
        uint base = xo + r * cols;
        int bestColumn = 0;
        float best = X[base];
        for (uint c = 1u; c < cols; c++) {
            float v = X[base + c];
            if (v > best) {
                best = v;
                bestColumn = int(c);
            }
        }
        O[oo + r] = bestColumn;
    }
}
#endif

// ------------------------------------------------------------------ softmax and cross-entropy
// GLSL has exp and log for 32-bit floats only: sums run in ACC, each term in float.

#ifdef KERNEL_softmax
// rows, cols, log, xo, yo
layout(local_size_x = 64) in;
layout(std430, binding = 1) buffer B1 { float X[]; };
layout(std430, binding = 2) buffer B2 { float Y[]; };
void main() {
    uint rows = pu(0), cols = pu(1), xo = pu(3), yo = pu(4);
    bool logarithm = P[2] != 0;
    FOR_EACH(r, rows) {
        uint xi = xo + r * cols;
        uint yi = yo + r * cols;
        float top = X[xi];
        for (uint c = 1u; c < cols; c++) top = java_max(top, X[xi + c]);
        for (uint c = 0u; c < cols; c++) {
            precise float d = X[xi + c] - top;
            Y[yi + c] = d;
        }
        precise ACC sum = ACC(0);
        if (logarithm) {
            for (uint c = 0u; c < cols; c++) sum += ACC(exp(Y[yi + c]));
            float shift = log(float(sum));
            for (uint c = 0u; c < cols; c++) {
                precise float v = Y[yi + c] - shift;
                Y[yi + c] = v;
            }
        } else {
            for (uint c = 0u; c < cols; c++) {
                float e = exp(Y[yi + c]);
                Y[yi + c] = e;
                sum += ACC(e);
            }
            precise float inverse = float(ACC(1) / sum);
            for (uint c = 0u; c < cols; c++) {
                precise float v = Y[yi + c] * inverse;
                Y[yi + c] = v;
            }
        }
    }
}
#endif

#ifdef KERNEL_softmax_backward
// rows, cols, log, yo, dyo, dxo
layout(local_size_x = 64) in;
layout(std430, binding = 1) buffer B1 { float Y[]; };
layout(std430, binding = 2) buffer B2 { float DY[]; };
layout(std430, binding = 3) buffer B3 { float DX[]; };
void main() {
    uint rows = pu(0), cols = pu(1), yo = pu(3), dyo = pu(4), dxo = pu(5);
    bool logarithm = P[2] != 0;
    FOR_EACH(r, rows) {
        uint yi = yo + r * cols;
        uint dyi = dyo + r * cols;
        uint dxi = dxo + r * cols;
        precise ACC sum = ACC(0);
        if (logarithm) {
            for (uint c = 0u; c < cols; c++) sum += ACC(DY[dyi + c]);
            for (uint c = 0u; c < cols; c++) {
                precise float g = DY[dyi + c] - float(ACC(exp(Y[yi + c])) * sum);
                precise float v = DX[dxi + c] + g;
                DX[dxi + c] = v;
            }
        } else {
            for (uint c = 0u; c < cols; c++) sum += ACC(DY[dyi + c]) * ACC(Y[yi + c]);
            for (uint c = 0u; c < cols; c++) {
                precise float g = Y[yi + c] * (DY[dyi + c] - float(sum));
                precise float v = DX[dxi + c] + g;
                DX[dxi + c] = v;
            }
        }
    }
}
#endif

#ifdef KERNEL_cross_entropy
// rows, cols, smoothing, lo, lbo, lso, go, scale, hasGrad
layout(local_size_x = 64) in;
layout(std430, binding = 1) buffer B1 { float LOGITS[]; };
layout(std430, binding = 2) buffer B2 { int LABELS[]; };
layout(std430, binding = 3) buffer B3 { float LOSS[]; };
layout(std430, binding = 4) buffer B4 { float GRAD[]; };
void main() {
    uint rows = pu(0), cols = pu(1), lo = pu(3), lbo = pu(4), lso = pu(5), go = pu(6);
    float smoothing = pf(2), scale = pf(7);
    bool hasGrad = P[8] != 0;
    precise float offTarget = smoothing / float(cols);
    precise float onTarget = 1.0 - smoothing + offTarget;
    FOR_EACH(r, rows) {
        uint xi = lo + r * cols;
        uint label = uint(LABELS[lbo + r]);
        float top = LOGITS[xi];
        for (uint c = 1u; c < cols; c++) top = java_max(top, LOGITS[xi + c]);
        precise ACC sumExp = ACC(0);
        precise ACC sumLogits = ACC(0);
        for (uint c = 0u; c < cols; c++) {
            float v = LOGITS[xi + c];
            precise float shifted = v - top;
            sumExp += ACC(exp(shifted));
            sumLogits += ACC(v);
        }
        precise ACC logSumExp = ACC(top) + ACC(log(float(sumExp)));
        precise ACC target = ACC(1.0 - smoothing) * ACC(LOGITS[xi + label]) + ACC(offTarget) * sumLogits;
        LOSS[lso + r] = float(logSumExp - target);
        if (hasGrad) {
            uint gi = go + r * cols;
            for (uint c = 0u; c < cols; c++) {
                float p = exp(float(ACC(LOGITS[xi + c]) - logSumExp));
                precise float g = scale * (p - (c == label ? onTarget : offTarget));
                GRAD[gi + c] = g;
            }
        }
    }
}
#endif

// ------------------------------------------------------------------ convolution by im2col, pooling

#ifdef KERNEL_im2col
// images, io, co, rowStride, then the geometry at 4: channels, height, width, kernelH, kernelW,
// strideH, strideW, padH, padW, outH, outW
layout(local_size_x = 64) in;
layout(std430, binding = 1) buffer B1 { float IMAGE[]; };
layout(std430, binding = 2) buffer B2 { float COLUMNS[]; };
void main() {
    uint images = pu(0), io = pu(1), co = pu(2), rowStride = pu(3);
    int channels = P[4], height = P[5], width = P[6], kh_ = P[7], kw_ = P[8];
    int strideH = P[9], strideW = P[10], padH = P[11], padW = P[12], outH = P[13], outW = P[14];
    uint spatial = uint(outH * outW);
    uint total = uint(channels * kh_ * kw_) * images * spatial;
    FOR_EACH(item, total) {
        uint s = item % spatial;
        uint rest = item / spatial;
        uint im = rest % images;
        uint row = rest / images;
        int kx = int(row % uint(kw_));
        int ky = int((row / uint(kw_)) % uint(kh_));
        int c = int(row / uint(kh_ * kw_));
        int oy = int(s) / outW;
        int ox = int(s) % outW;
        int y = oy * strideH - padH + ky;
        int x = ox * strideW - padW + kx;
        float v = 0.0;
        if (y >= 0 && y < height && x >= 0 && x < width) {
            v = IMAGE[io + im * uint(channels * height * width) + uint((c * height + y) * width + x)];
        }
        COLUMNS[co + row * rowStride + im * spatial + s] = v;
    }
}
#endif

#ifdef KERNEL_col2im
// images, co, rowStride, io, then the geometry at 4, as im2col's
layout(local_size_x = 64) in;
layout(std430, binding = 1) buffer B1 { float COLUMNS[]; };
layout(std430, binding = 2) buffer B2 { float IMAGE[]; };
void main() {
    uint images = pu(0), co = pu(1), rowStride = pu(2), io = pu(3);
    int channels = P[4], height = P[5], width = P[6], kh_ = P[7], kw_ = P[8];
    int strideH = P[9], strideW = P[10], padH = P[11], padW = P[12], outH = P[13], outW = P[14];
    uint imageSize = uint(channels * height * width);
    uint spatial = uint(outH * outW);
    FOR_EACH(item, imageSize * images) {
        uint im = item / imageSize;
        int e = int(item % imageSize);
        int x = e % width;
        int y = (e / width) % height;
        int c = e / (height * width);
        precise float sum = 0.0;
        for (int ky = 0; ky < kh_; ky++) {
            int ty = y + padH - ky;
            if (ty < 0 || ty % strideH != 0) continue;
            int oy = ty / strideH;
            if (oy >= outH) continue;
            for (int kx = 0; kx < kw_; kx++) {
                int tx = x + padW - kx;
                if (tx < 0 || tx % strideW != 0) continue;
                int ox = tx / strideW;
                if (ox >= outW) continue;
                uint row = uint((c * kh_ + ky) * kw_ + kx);
                sum += COLUMNS[co + row * rowStride + im * spatial + uint(oy * outW + ox)];
            }
        }
        IMAGE[io + item] = sum;
    }
}
#endif

#ifdef KERNEL_pool2d
// planes, max, xo, yo, hasArgmax, then the geometry at 5: height, width, kernelH, kernelW,
// strideH, strideW, padH, padW, outH, outW
layout(local_size_x = 64) in;
layout(std430, binding = 1) buffer B1 { float X[]; };
layout(std430, binding = 2) buffer B2 { float Y[]; };
layout(std430, binding = 3) buffer B3 { int ARGMAX[]; };
void main() {
    uint planes = pu(0), xo = pu(2), yo = pu(3);
    bool isMax = P[1] != 0, hasArgmax = P[4] != 0;
    int height = P[5], width = P[6], kh_ = P[7], kw_ = P[8];
    int strideH = P[9], strideW = P[10], padH = P[11], padW = P[12], outH = P[13], outW = P[14];
    uint outPlane = uint(outH * outW);
    FOR_EACH(item, outPlane * planes) {
        uint p = item / outPlane;
        int o = int(item % outPlane);
        int oh = o / outW, ow = o % outW;
        uint in_ = xo + p * uint(height * width);
        float top = NEG_INFINITY;
        int topIndex = -1;
        precise float sum = 0.0;
        for (int kh = 0; kh < kh_; kh++) {
            int ih = oh * strideH - padH + kh;
            if (ih < 0 || ih >= height) continue;
            for (int kw = 0; kw < kw_; kw++) {
                int iw = ow * strideW - padW + kw;
                if (iw < 0 || iw >= width) continue;
                int index = ih * width + iw;
                float v = X[in_ + uint(index)];
                sum += v;
                if (v > top || topIndex < 0) {
                    top = v;
                    topIndex = index;
                }
            }
        }
        precise float average = sum / float(kh_ * kw_);
        Y[yo + item] = isMax ? top : average;
        if (isMax && hasArgmax) ARGMAX[item] = topIndex;
    }
}
#endif

#ifdef KERNEL_pool2d_backward
// planes, max, dyo, dxo, then the geometry at 4, as pool2d's
layout(local_size_x = 64) in;
layout(std430, binding = 1) buffer B1 { float DY[]; };
layout(std430, binding = 2) buffer B2 { int ARGMAX[]; };
layout(std430, binding = 3) buffer B3 { float DX[]; };
void main() {
    uint planes = pu(0), dyo = pu(2), dxo = pu(3);
    bool isMax = P[1] != 0;
    int height = P[4], width = P[5], kh_ = P[6], kw_ = P[7];
    int strideH = P[8], strideW = P[9], padH = P[10], padW = P[11], outH = P[12], outW = P[13];
    uint plane = uint(height * width);
    uint outPlane = uint(outH * outW);
    float area = float(kh_ * kw_);
    FOR_EACH(item, plane * planes) {
        uint p = item / plane;
        int index = int(item % plane);
        int ih = index / width, iw = index % width;
        precise float grad = 0.0;
        // The outputs whose windows hold this input, in increasing order, as the CPU adds them.
        for (int oh = 0; oh < outH; oh++) {
            int kh = ih - (oh * strideH - padH);
            if (kh < 0 || kh >= kh_) continue;
            for (int ow = 0; ow < outW; ow++) {
                int kw = iw - (ow * strideW - padW);
                if (kw < 0 || kw >= kw_) continue;
                uint o = p * outPlane + uint(oh * outW + ow);
                if (isMax) {
                    if (ARGMAX[o] == index) grad += DY[dyo + o];
                } else {
                    grad += DY[dyo + o] / area;
                }
            }
        }
        DX[dxo + item] = grad;
    }
}
#endif

// ------------------------------------------------------------------ normalisation

#ifdef KERNEL_layer_norm
// rows, cols, eps, xo, yo
layout(local_size_x = 64) in;
layout(std430, binding = 1) buffer B1 { float X[]; };
layout(std430, binding = 2) buffer B2 { float GAMMA[]; };
layout(std430, binding = 3) buffer B3 { float BETA[]; };
layout(std430, binding = 4) buffer B4 { float Y[]; };
layout(std430, binding = 5) buffer B5 { float MEAN[]; };
layout(std430, binding = 6) buffer B6 { float RSTD[]; };
void main() {
    uint rows = pu(0), cols = pu(1), xo = pu(3), yo = pu(4);
    float eps = pf(2);
    FOR_EACH(r, rows) {
        uint xi = xo + r * cols;
        uint yi = yo + r * cols;
        precise ACC sum = ACC(0);
        for (uint c = 0u; c < cols; c++) sum += ACC(X[xi + c]);
        precise float mu = float(sum / ACC(cols));
        precise ACC squares = ACC(0);
        for (uint c = 0u; c < cols; c++) {
            precise float d = X[xi + c] - mu;
            squares += ACC(d) * ACC(d);
        }
        precise float inv = float(ACC(1) / sqrt(squares / ACC(cols) + ACC(eps)));
        MEAN[r] = mu;
        RSTD[r] = inv;
        for (uint c = 0u; c < cols; c++) {
            precise float normalised = (X[xi + c] - mu) * inv;
            precise float v = normalised * GAMMA[c] + BETA[c];
            Y[yi + c] = v;
        }
    }
}
#endif

#ifdef KERNEL_layer_norm_backward_rows
// rows, cols, dyo, xo, dxo
layout(local_size_x = 64) in;
layout(std430, binding = 1) buffer B1 { float DY[]; };
layout(std430, binding = 2) buffer B2 { float X[]; };
layout(std430, binding = 3) buffer B3 { float MEAN[]; };
layout(std430, binding = 4) buffer B4 { float RSTD[]; };
layout(std430, binding = 5) buffer B5 { float GAMMA[]; };
layout(std430, binding = 6) buffer B6 { float DX[]; };
void main() {
    uint rows = pu(0), cols = pu(1), dyo = pu(2), xo = pu(3), dxo = pu(4);
    FOR_EACH(r, rows) {
        uint xi = xo + r * cols;
        uint dyi = dyo + r * cols;
        uint dxi = dxo + r * cols;
        float mu = MEAN[r];
        float inv = RSTD[r];
        precise ACC sumG = ACC(0);
        precise ACC sumGx = ACC(0);
        for (uint c = 0u; c < cols; c++) {
            precise float xhat = (X[xi + c] - mu) * inv;
            precise float g = DY[dyi + c] * GAMMA[c];
            sumG += ACC(g);
            precise float gx = g * xhat;
            sumGx += ACC(gx);
        }
        precise float meanG = float(sumG / ACC(cols));
        precise float meanGx = float(sumGx / ACC(cols));
        for (uint c = 0u; c < cols; c++) {
            precise float xhat = (X[xi + c] - mu) * inv;
            precise float g = DY[dyi + c] * GAMMA[c];
            precise float v = DX[dxi + c] + inv * (g - meanG - xhat * meanGx);
            DX[dxi + c] = v;
        }
    }
}
#endif

#ifdef KERNEL_layer_norm_backward_columns
// rows, cols, dyo, xo
layout(local_size_x = 64) in;
layout(std430, binding = 1) buffer B1 { float DY[]; };
layout(std430, binding = 2) buffer B2 { float X[]; };
layout(std430, binding = 3) buffer B3 { float MEAN[]; };
layout(std430, binding = 4) buffer B4 { float RSTD[]; };
layout(std430, binding = 5) buffer B5 { float DGAMMA[]; };
layout(std430, binding = 6) buffer B6 { float DBETA[]; };
void main() {
    uint rows = pu(0), cols = pu(1), dyo = pu(2), xo = pu(3);
    FOR_EACH(c, cols) {
        precise float dg = DGAMMA[c];
        precise float db = DBETA[c];
        for (uint r = 0u; r < rows; r++) {
            precise float xhat = (X[xo + r * cols + c] - MEAN[r]) * RSTD[r];
            float d = DY[dyo + r * cols + c];
            dg += d * xhat;
            db += d;
        }
        DGAMMA[c] = dg;
        DBETA[c] = db;
    }
}
#endif

#ifdef KERNEL_batch_norm
// n, channels, spatial, training, momentum, eps, xo, yo; one invocation per channel
layout(local_size_x = 64) in;
layout(std430, binding = 1) buffer B1 { float X[]; };
layout(std430, binding = 2) buffer B2 { float GAMMA[]; };
layout(std430, binding = 3) buffer B3 { float BETA[]; };
layout(std430, binding = 4) buffer B4 { float RUNNING_MEAN[]; };
layout(std430, binding = 5) buffer B5 { float RUNNING_VAR[]; };
layout(std430, binding = 6) buffer B6 { float Y[]; };
layout(std430, binding = 7) buffer B7 { float MEAN[]; };
layout(std430, binding = 8) buffer B8 { float RSTD[]; };
void main() {
    uint n = pu(0), channels = pu(1), spatial = pu(2), xo = pu(6), yo = pu(7);
    bool training = P[3] != 0;
    float momentum = pf(4), eps = pf(5);
    uint count = n * spatial;
    FOR_EACH(c, channels) {
        precise float mu;
        precise float inv;
        if (training) {
            precise ACC sum = ACC(0);
            for (uint b = 0u; b < n; b++) {
                uint block = xo + (b * channels + c) * spatial;
                for (uint s = 0u; s < spatial; s++) sum += ACC(X[block + s]);
            }
            mu = float(sum / ACC(count));
            precise ACC squares = ACC(0);
            for (uint b = 0u; b < n; b++) {
                uint block = xo + (b * channels + c) * spatial;
                for (uint s = 0u; s < spatial; s++) {
                    precise float d = X[block + s] - mu;
                    squares += ACC(d) * ACC(d);
                }
            }
            precise ACC biased = squares / ACC(count);
            precise ACC unbiased = count > 1u ? squares / ACC(count - 1u) : biased;
            inv = float(ACC(1) / sqrt(biased + ACC(eps)));
            precise float runningMean = (1.0 - momentum) * RUNNING_MEAN[c] + momentum * mu;
            precise float runningVar = (1.0 - momentum) * RUNNING_VAR[c] + momentum * float(unbiased);
            RUNNING_MEAN[c] = runningMean;
            RUNNING_VAR[c] = runningVar;
            MEAN[c] = mu;
            RSTD[c] = inv;
        } else {
            mu = RUNNING_MEAN[c];
            inv = float(ACC(1) / sqrt(ACC(RUNNING_VAR[c]) + ACC(eps)));
        }
        precise float scale = inv * GAMMA[c];
        float shift = BETA[c];
        for (uint b = 0u; b < n; b++) {
            uint block = (b * channels + c) * spatial;
            for (uint s = 0u; s < spatial; s++) {
                precise float centred = X[xo + block + s] - mu;
                precise float v = fma(centred, scale, shift);
                Y[yo + block + s] = v;
            }
        }
    }
}
#endif

#ifdef KERNEL_batch_norm_backward
// n, channels, spatial, dyo, xo, dxo
layout(local_size_x = 64) in;
layout(std430, binding = 1) buffer B1 { float DY[]; };
layout(std430, binding = 2) buffer B2 { float X[]; };
layout(std430, binding = 3) buffer B3 { float MEAN[]; };
layout(std430, binding = 4) buffer B4 { float RSTD[]; };
layout(std430, binding = 5) buffer B5 { float GAMMA[]; };
layout(std430, binding = 6) buffer B6 { float DX[]; };
layout(std430, binding = 7) buffer B7 { float DGAMMA[]; };
layout(std430, binding = 8) buffer B8 { float DBETA[]; };
void main() {
    uint n = pu(0), channels = pu(1), spatial = pu(2), dyo = pu(3), xo = pu(4), dxo = pu(5);
    uint count = n * spatial;
    FOR_EACH(c, channels) {
        float mu = MEAN[c];
        float inv = RSTD[c];
        precise ACC sumDy = ACC(0);
        precise ACC sumDyCentered = ACC(0);
        for (uint b = 0u; b < n; b++) {
            uint block = (b * channels + c) * spatial;
            for (uint s = 0u; s < spatial; s++) {
                float d = DY[dyo + block + s];
                sumDy += ACC(d);
                precise float centred = X[xo + block + s] - mu;
                sumDyCentered += ACC(d) * ACC(centred);
            }
        }
        precise ACC sumDyXhat = sumDyCentered * ACC(inv);
        precise float dg = DGAMMA[c] + float(sumDyXhat);
        precise float db = DBETA[c] + float(sumDy);
        DGAMMA[c] = dg;
        DBETA[c] = db;
        precise ACC k = ACC(GAMMA[c]) * ACC(inv) / ACC(count);
        precise float alpha = float(k * ACC(count));
        precise float beta = float(-k * sumDyXhat * ACC(inv));
        precise float offset = float(-k * sumDy);
        for (uint b = 0u; b < n; b++) {
            uint block = (b * channels + c) * spatial;
            for (uint s = 0u; s < spatial; s++) {
                uint at = block + s;
                precise float v = DX[dxo + at] + DY[dyo + at] * alpha + (X[xo + at] - mu) * beta + offset;
                DX[dxo + at] = v;
            }
        }
    }
}
#endif

// ------------------------------------------------------------------ embedding, dropout, masking

#ifdef KERNEL_gather_rows
// count, dim, ino, oo
layout(local_size_x = 64) in;
layout(std430, binding = 1) buffer B1 { float TABLE[]; };
layout(std430, binding = 2) buffer B2 { int INDICES[]; };
layout(std430, binding = 3) buffer B3 { float O[]; };
void main() {
    uint count = pu(0), dim = pu(1), ino = pu(2), oo = pu(3);
    FOR_EACH(item, count * dim) {
        uint i = item / dim;
        uint j = item % dim;
        O[oo + item] = TABLE[uint(INDICES[ino + i]) * dim + j];
    }
}
#endif

#ifdef KERNEL_scatter_add_rows
// count, dim, tableRows, doo, ino; one invocation per element of the table: no atomics, and
// the CPU's order of addition
layout(local_size_x = 64) in;
layout(std430, binding = 1) buffer B1 { float DOUT[]; };
layout(std430, binding = 2) buffer B2 { int INDICES[]; };
layout(std430, binding = 3) buffer B3 { float DTABLE[]; };
void main() {
    uint count = pu(0), dim = pu(1), tableRows = pu(2), doo = pu(3), ino = pu(4);
    FOR_EACH(item, tableRows * dim) {
        int row = int(item / dim);
        uint j = item % dim;
        precise float sum = DTABLE[item];
        for (uint i = 0u; i < count; i++) {
            if (INDICES[ino + i] == row) sum += DOUT[doo + i * dim + j];
        }
        DTABLE[item] = sum;
    }
}
#endif

#ifdef KERNEL_dropout
// n, keepFrom, keepScale, seedLow, seedHigh, xo, yo. SplitMix64 of (seed, i), the CPU
// backend's counter-based draw, bit for bit; 64-bit words as (low, high) pairs, so that no
// 64-bit integer support is needed.
layout(local_size_x = 64) in;
layout(std430, binding = 1) buffer B1 { float X[]; };
layout(std430, binding = 2) buffer B2 { float Y[]; };
layout(std430, binding = 3) buffer B3 { float MASK[]; };

uvec2 add64(uvec2 a, uvec2 b) {
    uint carry;
    uint low = uaddCarry(a.x, b.x, carry);
    return uvec2(low, a.y + b.y + carry);
}

uvec2 mul64(uvec2 a, uvec2 b) {
    uint high, low;
    umulExtended(a.x, b.x, high, low);
    return uvec2(low, high + a.x * b.y + a.y * b.x);
}

uvec2 xorShiftRight(uvec2 z, uint s) { // z ^ (z >> s), 0 < s < 32
    return z ^ uvec2((z.x >> s) | (z.y << (32u - s)), z.y >> s);
}

void main() {
    uint n = pu(0), xo = pu(5), yo = pu(6);
    int keepFrom = P[1];
    float keepScale = pf(2);
    uvec2 seed = uvec2(pu(3), pu(4));
    FOR_EACH(i, n) {
        uvec2 z = add64(seed, mul64(uvec2(i + 1u, 0u), uvec2(0x7F4A7C15u, 0x9E3779B9u)));
        z = mul64(xorShiftRight(z, 30u), uvec2(0x1CE4E5B9u, 0xBF58476Du));
        z = mul64(xorShiftRight(z, 27u), uvec2(0x133111EBu, 0x94D049BBu));
        z = xorShiftRight(z, 31u);
        int draw = int(z.y >> 8); // z >> 40
        bool keep = draw >= keepFrom;
        precise float kept = X[xo + i] * keepScale;
        Y[yo + i] = keep ? kept : 0.0;
        MASK[i] = keep ? 1.0 : 0.0;
    }
}
#endif

#ifdef KERNEL_causal_mask
// batch, rows, cols, xo
layout(local_size_x = 64) in;
layout(std430, binding = 1) buffer B1 { float X[]; };
void main() {
    uint batch = pu(0), rows = pu(1), cols = pu(2), xo = pu(3);
    FOR_EACH(item, batch * rows * cols) {
        int j = int(item % cols);
        int i = int((item / cols) % rows);
        if (j > i + int(cols) - int(rows)) X[xo + item] = NEG_INFINITY;
    }
}
#endif

// ------------------------------------------------------------------ optimizers

#ifdef KERNEL_sgd_step
// n, lr, momentum, weightDecay, nesterov, pi, poi, gi, vi, voi
layout(local_size_x = 64) in;
layout(std430, binding = 1) buffer B1 { float PARAM[]; };
layout(std430, binding = 2) buffer B2 { float PARAM_OUT[]; };
layout(std430, binding = 3) buffer B3 { float GRAD[]; };
layout(std430, binding = 4) buffer B4 { float VELOCITY[]; };
layout(std430, binding = 5) buffer B5 { float VELOCITY_OUT[]; };
void main() {
    uint n = pu(0), pi = pu(5), poi = pu(6), gi = pu(7), vi = pu(8), voi = pu(9);
    float lr = pf(1), momentum = pf(2), weightDecay = pf(3);
    bool nesterov = P[4] != 0;
    FOR_EACH(i, n) {
        float param = PARAM[pi + i];
        precise float grad = GRAD[gi + i] + weightDecay * param;
        precise float step = grad;
        if (momentum != 0.0) {
            precise float velocity = momentum * VELOCITY[vi + i] + grad;
            VELOCITY_OUT[voi + i] = velocity;
            step = nesterov ? grad + momentum * velocity : velocity;
        }
        precise float updated = param - lr * step;
        PARAM_OUT[poi + i] = updated;
    }
}
#endif

#ifdef KERNEL_adam_step
// n, lr, beta1, beta2, eps, weightDecay, decoupled, stepSize, sqrtC2, pi, poi, gi, mi, moi, vi, voi
layout(local_size_x = 64) in;
layout(std430, binding = 1) buffer B1 { float PARAM[]; };
layout(std430, binding = 2) buffer B2 { float PARAM_OUT[]; };
layout(std430, binding = 3) buffer B3 { float GRAD[]; };
layout(std430, binding = 4) buffer B4 { float M[]; };
layout(std430, binding = 5) buffer B5 { float M_OUT[]; };
layout(std430, binding = 6) buffer B6 { float V[]; };
layout(std430, binding = 7) buffer B7 { float V_OUT[]; };
void main() {
    uint n = pu(0), pi = pu(9), poi = pu(10), gi = pu(11), mi = pu(12), moi = pu(13), vi = pu(14), voi = pu(15);
    float lr = pf(1), beta1 = pf(2), beta2 = pf(3), eps = pf(4), weightDecay = pf(5), stepSize = pf(7);
    float sqrtC2 = pf(8);
    bool decoupled = P[6] != 0;
    FOR_EACH(i, n) {
        precise float param = PARAM[pi + i];
        precise float grad = GRAD[gi + i];
        if (decoupled) {
            param -= lr * weightDecay * param;
        } else {
            grad += weightDecay * param;
        }
        precise float mv = beta1 * M[mi + i] + (1.0 - beta1) * grad;
        precise float vv = beta2 * V[vi + i] + (1.0 - beta2) * grad * grad;
        M_OUT[moi + i] = mv;
        V_OUT[voi + i] = vv;
        precise float denom = sqrt(vv) / sqrtC2 + eps;
        precise float updated = param - stepSize * mv / denom;
        PARAM_OUT[poi + i] = updated;
    }
}
#endif
