#include "kernels/matmul_check.hpp"

#include "core/error.hpp"

namespace tock {

MatmulShape check_matmul(const TensorView& W, int64_t T, const char* who) {
  if (T < 0) fail(who, ": negative row count T=", T);
  if (W.ne[2] != 1 || W.ne[3] != 1)
    fail(who, ": weight '", W.name, "' is not a matrix (ne = ", W.ne[0], ", ", W.ne[1], ", ",
         W.ne[2], ", ", W.ne[3], ")");
  const DTypeInfo* info = dtype_info(static_cast<uint32_t>(W.type));
  if (!info) fail(who, ": weight '", W.name, "' has unknown type id ", uint32_t(W.type));
  const MatmulShape s{W.ne[0], W.ne[1]};
  if (s.K <= 0 || s.N <= 0 || s.K % info->block_size != 0)
    fail(who, ": weight '", W.name, "' rows of ", s.K, " elements are not whole ", info->name,
         " blocks of ", info->block_size);
  const size_t want = size_t(s.K / info->block_size) * info->block_bytes * size_t(s.N);
  if (W.nbytes != want)
    fail(who, ": weight '", W.name, "' (", info->name, ", ", s.K, " x ", s.N, ") has ", W.nbytes,
         " bytes, expected ", want);
  if (!W.data) fail(who, ": weight '", W.name, "' has no data");
  return s;
}

}  // namespace tock
