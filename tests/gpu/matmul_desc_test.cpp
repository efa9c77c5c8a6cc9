// MatmulDesc validation and MatmulPlan construction and refusals. All of it is
// decided before any GPU work; the refusals need a CublasLtHandle, which
// cublasLtCreate only gives where there is a GPU.
#include <gtest/gtest.h>

#include <string>

#include "gpu/test_util.hpp"
#include "gpu_test_support.hpp"
#include "trtutils/gpu/matmul_plan.hpp"

namespace trtutils::gpu {
namespace {

using trtutils::testing::contains;

MatmulDesc matmul(std::int64_t m, std::int64_t n, std::int64_t k) {
  MatmulDesc desc;
  desc.m = m;
  desc.n = n;
  desc.k = k;
  return desc;
}

std::string invalid_message(const MatmulDesc& desc) {
  try {
    validate(desc);
  } catch (const InvalidArgument& error) {
    return error.what();
  }
  return "(accepted)";
}

TEST(MatmulDesc, OddSizesAreValid) {
  EXPECT_NO_THROW(validate(matmul(1, 1, 1)));
  EXPECT_NO_THROW(validate(matmul(17, 33, 65)));
}

TEST(MatmulDesc, NonPositiveSizesAreRefused) {
  EXPECT_TRUE(contains(invalid_message(matmul(0, 4, 4)), "m=0, n=4, k=4, batch=1"));
  MatmulDesc desc = matmul(2, 2, 2);
  desc.batch = 0;
  EXPECT_TRUE(contains(invalid_message(desc), "must be positive"));
}

TEST(MatmulDesc, DtypeMismatchIsRefused) {
  MatmulDesc desc = matmul(2, 2, 2);
  desc.b_dtype = DType::kBFloat16;
  EXPECT_TRUE(contains(invalid_message(desc), "dtypes must be equal (got f32, bf16, f32)"));
  desc.a_dtype = desc.b_dtype = desc.c_dtype = DType::kInt8;
  EXPECT_TRUE(contains(invalid_message(desc), "use f32, f16 or bf16"));
}

TEST(MatmulDesc, Tf32IsOnlyForF32) {
  MatmulDesc desc = matmul(2, 2, 2);
  desc.a_dtype = desc.b_dtype = desc.c_dtype = DType::kFloat16;
  desc.allow_tf32 = true;
  EXPECT_TRUE(contains(invalid_message(desc), "allow_tf32 applies to f32 only"));
}

TEST(MatmulDesc, OverlappingBatchStridesAreRefused) {
  MatmulDesc desc = matmul(4, 4, 4);
  desc.batch = 3;
  desc.batch_stride_a = 8;
  EXPECT_TRUE(contains(invalid_message(desc), "batch stride 8 of A is smaller than its 16"));
  desc.batch_stride_a = 0;  // broadcast A over the batch: fine
  EXPECT_NO_THROW(validate(desc));
  desc.batch_stride_c = 0;
  EXPECT_TRUE(contains(invalid_message(desc), "output batches overlap"));
  desc.batch_stride_c = -2;
  EXPECT_TRUE(contains(invalid_message(desc), "batch stride of C/D is -2"));
}

TEST(MatmulDesc, PackedStridesResolveToMatrixSizes) {
  const MatmulDesc desc = matmul(3, 5, 7);
  EXPECT_EQ(resolved_batch_stride_a(desc), 21);
  EXPECT_EQ(resolved_batch_stride_b(desc), 35);
  EXPECT_EQ(resolved_batch_stride_c(desc), 15);
}

TEST(MatmulPlan, BuildsOnTheHostForEveryEpilogueAndDtype) {
  for (const DType dtype : {DType::kFloat32, DType::kFloat16, DType::kBFloat16}) {
    for (const MatmulEpilogue epilogue :
         {MatmulEpilogue::kNone, MatmulEpilogue::kBias, MatmulEpilogue::kRelu,
          MatmulEpilogue::kGelu, MatmulEpilogue::kBiasRelu, MatmulEpilogue::kBiasGelu}) {
      MatmulDesc desc = matmul(17, 33, 65);
      desc.a_dtype = desc.b_dtype = desc.c_dtype = dtype;
      desc.epilogue = epilogue;
      desc.batch = 2;
      desc.transpose_a = true;
      MatmulPlan plan(desc);
      EXPECT_FALSE(plan.algorithm().has_value()) << to_string(epilogue);
    }
  }
}

TEST(MatmulPlan, InvalidDescriptionIsRefusedAtConstruction) {
  EXPECT_THROW(MatmulPlan(matmul(-1, 2, 2)), InvalidArgument);
}

TEST(MatmulPlan, StoredAlgorithmRoundTrips) {
  MatmulPlan plan(matmul(4, 4, 4));
  MatmulAlgorithm algorithm;
  algorithm.data = {1, 2, 3, 4, 5, 6, 7, 8};
  algorithm.workspace_bytes = 4096;
  plan.set_algorithm(algorithm);
  ASSERT_TRUE(plan.algorithm().has_value());
  EXPECT_EQ(*plan.algorithm(), algorithm);
  EXPECT_EQ(plan.workspace_bytes(), 4096u);
}

TEST(MatmulPlan, ExecuteWithSmallerWorkspaceIsRefusedBeforeTheGpu) {
  TRTUTILS_REQUIRE_GPU();
  MatmulPlan plan(matmul(4, 4, 4));
  MatmulAlgorithm algorithm;
  algorithm.workspace_bytes = 1 << 20;
  plan.set_algorithm(algorithm);
  CublasLtHandle handle;
  int fake = 0;  // never dereferenced: the check comes first
  const MatmulBuffers buffers{&fake, &fake, nullptr, &fake, nullptr};
  try {
    plan.execute(handle, {}, buffers, &fake, 512);
    FAIL() << "no exception";
  } catch (const InvalidArgument& error) {
    EXPECT_TRUE(contains(error.what(), "workspace of 512 bytes is smaller than the 1048576"));
  }
}

TEST(MatmulPlan, MissingBiasOrCIsRefusedBeforeTheGpu) {
  TRTUTILS_REQUIRE_GPU();
  MatmulDesc desc = matmul(4, 4, 4);
  desc.epilogue = MatmulEpilogue::kBiasGelu;
  MatmulPlan plan(desc);
  plan.set_algorithm({});
  CublasLtHandle handle;
  int fake = 0;
  EXPECT_THROW(plan.execute(handle, {}, {&fake, &fake, nullptr, &fake, nullptr}, nullptr, 0),
               InvalidArgument);
  desc.epilogue = MatmulEpilogue::kNone;
  desc.beta = 1.0f;
  MatmulPlan with_c(desc);
  with_c.set_algorithm({});
  EXPECT_THROW(with_c.execute(handle, {}, {&fake, &fake, nullptr, &fake, nullptr}, nullptr, 0),
               InvalidArgument);
}

}  // namespace
}  // namespace trtutils::gpu
