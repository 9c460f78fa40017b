/* SIMD test program: vectorisable kernels (auto-vectorised by clang -O2 -msimd128)
 * plus a few hand-written with wasm_simd128.h intrinsics. build.sh builds it twice:
 * simd_kernels.wasm (-msimd128) and simd_kernels_scalar.wasm (no SIMD); both must
 * print exactly the same lines. Usage: simd_kernels [N]  (N elements, default 4096). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#ifdef __wasm_simd128__
#include <wasm_simd128.h>
#endif

#define MAXN 65536
static int32_t ia[MAXN], ib[MAXN];
static float fx[MAXN], fy[MAXN];
static uint8_t img[MAXN], out[MAXN];
static int16_t sa[MAXN], sb[MAXN];

static uint32_t seed = 12345;
static uint32_t rnd(void) { seed = seed * 1103515245u + 12345u; return seed >> 8; }

static uint32_t fnv(const void *p, size_t n) {
  const uint8_t *b = p; uint32_t h = 2166136261u;
  for (size_t i = 0; i < n; i++) { h ^= b[i]; h *= 16777619u; }
  return h;
}

__attribute__((noinline)) static int64_t dot_i32(const int32_t *a, const int32_t *b, int n) {
  int32_t s = 0;
  for (int i = 0; i < n; i++) s += a[i] * b[i];
  return s;
}

__attribute__((noinline)) static void saxpy(float a, const float *x, float *y, int n) {
  for (int i = 0; i < n; i++) y[i] = a * x[i] + y[i];
}

__attribute__((noinline)) static void blur3(const uint8_t *in, uint8_t *o, int w, int h) {
  for (int y = 1; y < h - 1; y++)
    for (int x = 0; x < w; x++) {
      unsigned s = in[(y - 1) * w + x] + 2u * in[y * w + x] + in[(y + 1) * w + x];
      o[y * w + x] = (uint8_t)(s >> 2);
    }
}

__attribute__((noinline)) static uint32_t sad(const uint8_t *a, const uint8_t *b, int n) {
  uint32_t s = 0;
  for (int i = 0; i < n; i++) s += (uint32_t)abs((int)a[i] - (int)b[i]);
  return s;
}

__attribute__((noinline)) static void histogram(const uint8_t *a, int n, uint32_t *h) {
  for (int i = 0; i < n; i++) h[a[i] >> 4]++;
}

__attribute__((noinline)) static int32_t dot_i16(const int16_t *a, const int16_t *b, int n) {
  int32_t s = 0;
  for (int i = 0; i < n; i++) s += (int32_t)a[i] * b[i];
  return s;
}

__attribute__((noinline)) static void clamp_f(float *x, int n, float lo, float hi) {
  for (int i = 0; i < n; i++) x[i] = x[i] < lo ? lo : (x[i] > hi ? hi : x[i]);
}

/* hand-written: saturating add of bytes, f32 sqrt/min, byte reverse by shuffle */
__attribute__((noinline)) static void intrinsics(uint8_t *a, const uint8_t *b, float *f, int n) {
#ifdef __wasm_simd128__
  int i = 0;
  for (; i + 16 <= n; i += 16) {
    v128_t x = wasm_v128_load(a + i), y = wasm_v128_load(b + i);
    v128_t s = wasm_u8x16_add_sat(x, y);
    s = wasm_i8x16_shuffle(s, s, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0);
    wasm_v128_store(a + i, s);
  }
  for (; i < n; i++) { unsigned s = a[i] + b[i]; a[i] = s > 255 ? 255 : s; }
  int j = 0;
  for (; j + 4 <= n; j += 4) {
    v128_t v = wasm_v128_load(f + j);
    v128_t r = wasm_f32x4_min(wasm_f32x4_sqrt(wasm_f32x4_abs(v)), wasm_f32x4_splat(100.0f));
    wasm_v128_store(f + j, r);
  }
  for (; j < n; j++) { float r = sqrtf(fabsf(f[j])); f[j] = r < 100.0f ? r : 100.0f; }
#else
  int i = 0;
  for (; i + 16 <= n; i += 16) {
    uint8_t t[16];
    for (int k = 0; k < 16; k++) { unsigned s = a[i + k] + b[i + k]; t[k] = s > 255 ? 255 : s; }
    for (int k = 0; k < 16; k++) a[i + k] = t[15 - k];
  }
  for (; i < n; i++) { unsigned s = a[i] + b[i]; a[i] = s > 255 ? 255 : s; }
  for (int j = 0; j < n; j++) { float r = sqrtf(fabsf(f[j])); f[j] = r < 100.0f ? r : 100.0f; }
#endif
}

int main(int argc, char **argv) {
  int n = argc > 1 ? atoi(argv[1]) : 4096;
  if (n < 64) n = 64;
  if (n > MAXN) n = MAXN;
  for (int i = 0; i < n; i++) {
    ia[i] = (int32_t)rnd() - (1 << 23);
    ib[i] = (int32_t)(rnd() & 0xFFFF) - 0x8000;
    fx[i] = (float)((int32_t)(rnd() & 0xFFFFF) - 0x80000) / 1024.0f;
    fy[i] = (float)(rnd() & 0xFFFF) / 256.0f;
    img[i] = (uint8_t)rnd();
    sa[i] = (int16_t)rnd();
    sb[i] = (int16_t)rnd();
  }
  printf("dot_i32 %lld\n", (long long)dot_i32(ia, ib, n));
  printf("dot_i16 %d\n", dot_i16(sa, sb, n));
  saxpy(1.75f, fx, fy, n);
  printf("saxpy %08x\n", fnv(fy, n * sizeof(float)));
  clamp_f(fy, n, -100.0f, 300.0f);
  printf("clamp %08x\n", fnv(fy, n * sizeof(float)));
  int w = 64, h = n / 64;
  memset(out, 0, sizeof out);
  blur3(img, out, w, h);
  printf("blur %08x\n", fnv(out, (size_t)n));
  printf("sad %u\n", sad(img, out, n));
  uint32_t hist[16] = {0};
  histogram(img, n, hist);
  printf("hist %08x\n", fnv(hist, sizeof hist));
  intrinsics(out, img, fx, n);
  printf("intrinsics %08x %08x\n", fnv(out, (size_t)n), fnv(fx, n * sizeof(float)));
  return 0;
}
