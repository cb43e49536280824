# Sourced by seg.sh and .ci/run. The OpenBLAS of ND4J 1.0.0-M2.1 (0.3.19) does not know AMD Zen 4 and picks its
# Barcelona (SSE) kernels there, although Zen 4 has every AVX-512 subset (F, CD, BW, DQ, VL) that its SkylakeX
# kernels need: those run the convolutions' products 4x faster, and 1.8x faster than the AVX2 (Haswell) ones
# (README, "Backends"). Only on AMD CPUs with AVX-512, and only if OPENBLAS_CORETYPE is unset.
if [ -z "${OPENBLAS_CORETYPE:-}" ] && grep -q -m1 AuthenticAMD /proc/cpuinfo 2>/dev/null \
        && grep -m1 '^flags' /proc/cpuinfo | grep -w avx512f | grep -w avx512cd | grep -w avx512bw \
        | grep -w avx512dq | grep -qw avx512vl; then
    export OPENBLAS_CORETYPE=SkylakeX
fi
