// The body of the fused pre-processing kernel (see include/trtutils/image/preprocess.hpp
// for the formulas). Embedded as text by src/image/CMakeLists.txt and compiled with
// NVRTC behind a prefix from generate_preprocess_source(); the CPU test
// tests/image/preprocess_kernel_emulation_test.cpp also compiles it on the host
// (TRTUTILS_PREPROCESS_EMULATION) and runs it warp by warp against the CPU reference,
// which is how its indexing is checked without a GPU. No include guard: that test
// includes it once per configuration.
//
// Defined before this file: CHANNELS, BPP, NCHW (1 or 0), TILE_ROWS, TILE_WIDTH,
// PIXELS_PER_THREAD (4), STAGING_LOADS, INLINE_IMAGES, TU_DEVICE, out_t, source_channel(c),
// to_out(v), store4(p, a, b, c, d) (four values to a 4-element-aligned address),
// load_u8(p), load_16(p) (an aligned 16-byte global load), store_16(p, v) and
// UNROLL (_Pragma("unroll"), empty on the host).
//
// Work split: a block is TILE_ROWS warps; warp w writes output row
// blockIdx.y * TILE_ROWS + w, columns [blockIdx.x * TILE_WIDTH, + TILE_WIDTH), each
// lane PIXELS_PER_THREAD adjacent pixels (vector stores per channel plane). A warp
// first copies the source row segments its taps need into its own shared memory with
// aligned 16-byte loads (coalesced, instead of 4 scattered byte loads per tap and
// channel), then samples from there. A row segment longer than the staging room
// (extreme downscales) is sampled straight from global memory instead.
//
// Programmatic dependent launch (PDL, sm_90+; the host may launch with or without it):
// nothing before griddepcontrol.wait touches global memory, only the launch parameters.
// The wait returns once every earlier kernel on the stream has completed and its writes
// are visible, so a source an earlier kernel writes is read after it is written, and an
// output an earlier kernel still reads (e.g. the engine's previous run) is written after
// that read, exactly as with a plain launch. Then each block lets dependents launch: a
// later kernel launched with PDL may start its own prologue, and its own wait protects
// our output and source from it. Without PDL the wait returns at once.

struct ImageParams {
  unsigned long long source;
  unsigned long long stride;
  int sw, sh, rw, rh, left, top;
  float scale_x, scale_y;
};
struct Normalisation {
  float mul[3];
  float add[3];
};
struct LaunchParams {
  Normalisation norm;
  float pad_value;
  int out_w;
  int out_h;
  int row_pitch;      // bytes of shared memory per staged source row (0: never stage)
  int vector_stores;  // output aligned for store4 and out_w % 4 == 0
};
struct InlineTable {
  ImageParams images[INLINE_IMAGES];
};

struct Tap {
  int lo;
  int hi;
  float weight;
};
// The header's tap rule, except that a zero-weight upper tap is the lower one: it
// does not change the result (fmaf(0, x, a) == a for the finite, non-negative-zero
// values involved), and not reading it halves the source rows an integer-ratio
// downscale touches (1080 -> 360 reads rows 1, 4, 7, ... only).
TU_DEVICE Tap tap(int d, float scale, int size) {
  const float f = ((float)d + 0.5f) * scale - 0.5f;
  const float fl = floorf(f);
  Tap t;
  t.lo = (int)fl;
  t.weight = f - fl;
  if (t.lo < 0) {
    t.lo = 0;
    t.weight = 0.0f;
  }
  if (t.lo >= size - 1) {
    t.lo = size - 1;
    t.weight = 0.0f;
  }
  t.hi = t.weight == 0.0f ? t.lo : t.lo + 1;
  return t;
}

// What one warp does for one output row; every lane computes the same plan.
struct RowPlan {
  int has_image;       // some of the warp's pixels lie in the resized image
  int x_first;         // output columns of the warp inside the image, inclusive
  int x_last;
  Tap ty;
  int col_lo;          // first source column any of the warp's taps reads
  int span;            // bytes from col_lo to the last column read, inclusive
  int staged;          // taps come from shared memory
  const unsigned char* row0;  // source row ty.lo at column col_lo
  const unsigned char* row1;  // source row ty.hi at column col_lo
  int head0;           // row0 mod 16: where its bytes start in the staged slot
  int head1;
};

TU_DEVICE RowPlan plan_row(const ImageParams& p, const LaunchParams& lp, int y, int x_tile) {
  RowPlan r;
  const int x_end = x_tile + TILE_WIDTH < lp.out_w ? x_tile + TILE_WIDTH : lp.out_w;
  const int image_end = p.left + p.rw;
  const int dy = y - p.top;
  r.x_first = x_tile > p.left ? x_tile : p.left;
  r.x_last = (x_end < image_end ? x_end : image_end) - 1;
  r.has_image = y < lp.out_h && dy >= 0 && dy < p.rh && r.x_first <= r.x_last;
  r.staged = 0;
  if (!r.has_image) return r;
  r.ty = tap(dy, p.scale_y, p.sh);
  // Taps are monotonic in x, so the first pixel's lower tap and one past the last
  // pixel's lower tap bound every tap of the warp.
  r.col_lo = tap(r.x_first - p.left, p.scale_x, p.sw).lo;
  const int last_lo = tap(r.x_last - p.left, p.scale_x, p.sw).lo;
  const int col_hi = last_lo + 1 < p.sw ? last_lo + 1 : p.sw - 1;
  r.span = (col_hi - r.col_lo + 1) * BPP;
  const unsigned char* base = (const unsigned char*)p.source;
  r.row0 = base + (unsigned long long)r.ty.lo * p.stride + r.col_lo * BPP;
  r.row1 = base + (unsigned long long)r.ty.hi * p.stride + r.col_lo * BPP;
  r.head0 = (int)((unsigned long long)r.row0 & 15u);
  r.head1 = (int)((unsigned long long)r.row1 & 15u);
  // Staged bytes fill [head, head + span) of a slot, rounded up to whole 16-byte chunks.
  r.staged = r.span + 15 <= lp.row_pitch;
  return r;
}

// Copies bytes [0, span) from src into slot[head, head + span), where head = src mod
// 16: whole aligned 16-byte chunks in one load each, the partial first and last
// chunks byte by byte, so nothing outside the segment is read. A warp runs in lock
// step, so every load is issued before any result is stored: each lane has up to
// STAGING_LOADS 16-byte loads in flight (a 1920-pixel BGR row segment of a warp is
// ~74 chunks: one round trip to DRAM with 4, three with 1) plus the partial chunks'
// byte loads, which lane 0 (first chunk) and lane 31 (last chunk) issue up front
// instead of after a round trip.
TU_DEVICE void stage_segment(unsigned char* slot, const unsigned char* src, int head, int span,
                             int lane) {
  const unsigned char* aligned = src - head;
  const int end = head + span;
  const int chunks = (end + 15) >> 4;
  int partial = -1;  // first byte of this lane's partial chunk, if it has one
  if (lane == 0 && (head != 0 || end < 16)) partial = 0;
  if (lane == 31 && chunks > 1 && (end & 15) != 0) partial = (chunks - 1) * 16;
  unsigned char bytes[16];
UNROLL
  for (int j = 0; j < 16; ++j) {
    const int at = partial + j;
    bytes[j] = partial >= 0 && at >= head && at < end ? load_u8(aligned + at) : (unsigned char)0;
  }
  for (int first_chunk = lane; first_chunk < chunks; first_chunk += 32 * STAGING_LOADS) {
    uint4 v[STAGING_LOADS];
UNROLL
    for (int u = 0; u < STAGING_LOADS; ++u) {
      const int from = (first_chunk + 32 * u) * 16;
      v[u] = from >= head && from + 16 <= end ? load_16(aligned + from) : uint4{0, 0, 0, 0};
    }
UNROLL
    for (int u = 0; u < STAGING_LOADS; ++u) {
      const int from = (first_chunk + 32 * u) * 16;
      if (from >= head && from + 16 <= end) store_16(slot + from, v[u]);
    }
  }
UNROLL
  for (int j = 0; j < 16; ++j) {
    const int at = partial + j;
    if (partial >= 0 && at >= head && at < end) slot[at] = bytes[j];
  }
}

// The warp's share of the staging: its row's one or two source segments.
TU_DEVICE void stage_rows(const RowPlan& r, unsigned char* slots, int row_pitch, int lane) {
  if (!r.staged) return;
  stage_segment(slots, r.row0, r.head0, r.span, lane);
  if (r.ty.hi != r.ty.lo) stage_segment(slots + row_pitch, r.row1, r.head1, r.span, lane);
}

// Byte i of a source row segment, from shared memory or from global memory.
struct StagedBytes {
  const unsigned char* p;
  TU_DEVICE float operator()(int i) const { return (float)p[i]; }
};
struct GlobalBytes {
  const unsigned char* p;
  TU_DEVICE float operator()(int i) const { return (float)load_u8(p + i); }
};

template <typename Bytes>
TU_DEVICE void sample(const RowPlan& r, const ImageParams& p, Bytes row0, Bytes row1, int x0,
                      float (&v)[PIXELS_PER_THREAD][CHANNELS]) {
UNROLL
  for (int i = 0; i < PIXELS_PER_THREAD; ++i) {
    const int x = x0 + i;
    if (x < r.x_first || x > r.x_last) continue;
    const Tap tx = tap(x - p.left, p.scale_x, p.sw);
    const int o0 = (tx.lo - r.col_lo) * BPP;
    const int o1 = (tx.hi - r.col_lo) * BPP;
UNROLL
    for (int c = 0; c < CHANNELS; ++c) {
      const int k = source_channel(c);
      const float p00 = row0(o0 + k);
      const float p01 = row0(o1 + k);
      const float p10 = row1(o0 + k);
      const float p11 = row1(o1 + k);
      const float top = fmaf(tx.weight, p01 - p00, p00);
      const float bot = fmaf(tx.weight, p11 - p10, p10);
      v[i][c] = fmaf(r.ty.weight, bot - top, top);
    }
  }
}

// One lane's PIXELS_PER_THREAD pixels of row y: sample (or pad), normalise, store.
TU_DEVICE void write_pixels(const RowPlan& r, const ImageParams& p, const LaunchParams& lp,
                            const unsigned char* slots, int lane, out_t* out, int b, int y,
                            int x_tile) {
  const int x0 = x_tile + lane * PIXELS_PER_THREAD;
  if (y >= lp.out_h || x0 >= lp.out_w) return;
  float v[PIXELS_PER_THREAD][CHANNELS];
UNROLL
  for (int i = 0; i < PIXELS_PER_THREAD; ++i) {
UNROLL
    for (int c = 0; c < CHANNELS; ++c) v[i][c] = lp.pad_value;
  }
  if (r.has_image) {
    if (r.staged) {
      const unsigned char* s0 = slots + r.head0;
      const unsigned char* s1 = r.ty.hi != r.ty.lo ? slots + lp.row_pitch + r.head1 : s0;
      sample(r, p, StagedBytes{s0}, StagedBytes{s1}, x0, v);
    } else {
      sample(r, p, GlobalBytes{r.row0}, GlobalBytes{r.row1}, x0, v);
    }
  }
  const int full = lp.vector_stores && x0 + PIXELS_PER_THREAD <= lp.out_w;
#if NCHW
  const unsigned long long plane = (unsigned long long)lp.out_w * (unsigned long long)lp.out_h;
  out_t* dst = out + (unsigned long long)b * CHANNELS * plane + (unsigned long long)y * lp.out_w + x0;
UNROLL
  for (int c = 0; c < CHANNELS; ++c) {
    float o[PIXELS_PER_THREAD];
UNROLL
    for (int i = 0; i < PIXELS_PER_THREAD; ++i) o[i] = fmaf(v[i][c], lp.norm.mul[c], lp.norm.add[c]);
    out_t* d = dst + c * plane;
    if (full) {
      store4(d, o[0], o[1], o[2], o[3]);
    } else {
      for (int i = 0; i < PIXELS_PER_THREAD && x0 + i < lp.out_w; ++i) d[i] = to_out(o[i]);
    }
  }
#else
  out_t* dst = out + (((unsigned long long)b * lp.out_h + y) * lp.out_w + x0) * CHANNELS;
  float o[PIXELS_PER_THREAD * CHANNELS];
UNROLL
  for (int i = 0; i < PIXELS_PER_THREAD; ++i) {
UNROLL
    for (int c = 0; c < CHANNELS; ++c)
      o[i * CHANNELS + c] = fmaf(v[i][c], lp.norm.mul[c], lp.norm.add[c]);
  }
  if (full) {
    // PIXELS_PER_THREAD * CHANNELS values = CHANNELS groups of four.
UNROLL
    for (int g = 0; g < CHANNELS; ++g)
      store4(dst + 4 * g, o[4 * g], o[4 * g + 1], o[4 * g + 2], o[4 * g + 3]);
  } else {
    for (int i = 0; i < PIXELS_PER_THREAD && x0 + i < lp.out_w; ++i) {
UNROLL
      for (int c = 0; c < CHANNELS; ++c) dst[i * CHANNELS + c] = to_out(o[i * CHANNELS + c]);
    }
  }
#endif
}

#ifndef TRTUTILS_PREPROCESS_EMULATION
// The PDL rule above: call before the first global memory access.
TU_DEVICE void wait_for_earlier_kernels() {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
  asm volatile("griddepcontrol.wait;" ::: "memory");
  asm volatile("griddepcontrol.launch_dependents;" ::: "memory");
#endif
}

TU_DEVICE void preprocess_tile(const RowPlan& r, const ImageParams& p, out_t* out,
                               const LaunchParams& lp) {
  extern __shared__ uint4 staged_rows[];
  const int lane = (int)threadIdx.x;
  const int warp = (int)threadIdx.y;
  unsigned char* slots = (unsigned char*)staged_rows + warp * 2 * lp.row_pitch;
  stage_rows(r, slots, lp.row_pitch, lane);
  __syncwarp();
  write_pixels(r, p, lp, slots, lane, out, (int)blockIdx.z, (int)blockIdx.y * TILE_ROWS + warp,
               (int)blockIdx.x * TILE_WIDTH);
}

TU_DEVICE RowPlan plan_tile_row(const ImageParams& p, const LaunchParams& lp) {
  return plan_row(p, lp, (int)blockIdx.y * TILE_ROWS + (int)threadIdx.y,
                  (int)blockIdx.x * TILE_WIDTH);
}

// Batches of up to INLINE_IMAGES: the per-image parameters travel in the launch
// itself (no upload); __grid_constant__ lets blockIdx.z index them in place. The row
// plan needs only those, so it is worked out before the wait.
extern "C" __global__ void __launch_bounds__(32 * TILE_ROWS)
    trtutils_preprocess(const __grid_constant__ InlineTable table, out_t* __restrict__ out,
                        const __grid_constant__ LaunchParams lp) {
  const ImageParams& p = table.images[blockIdx.z];
  const RowPlan r = plan_tile_row(p, lp);
  wait_for_earlier_kernels();
  preprocess_tile(r, p, out, lp);
}

// Larger batches: the parameters in a device table uploaded before the launch (global
// memory, so read after the wait).
extern "C" __global__ void __launch_bounds__(32 * TILE_ROWS)
    trtutils_preprocess_table(const ImageParams* __restrict__ table, out_t* __restrict__ out,
                              const __grid_constant__ LaunchParams lp) {
  wait_for_earlier_kernels();
  const ImageParams p = table[blockIdx.z];
  preprocess_tile(plan_tile_row(p, lp), p, out, lp);
}
#endif
