#pragma once
// NumPy .npy files <-> host tensors, following the format NumPy documents in
// numpy.lib.format ("A Simple File Format for NumPy Arrays", NEP 1):
//   "\x93NUMPY" | major | minor | header length (u16 for 1.0, u32 for 2.0/3.0)
//   | Python-literal dict {'descr': ..., 'fortran_order': ..., 'shape': (...), }
//   | spaces and '\n' up to a 64-byte boundary | raw element data.
//
// Reading accepts versions 1.0, 2.0 and 3.0, the descrs u1 i1 i4 i8 f2 f4 f8 b1
// in either byte order ('<', '>', '|', '='), and Fortran order; the result is
// always a little-endian, C-order HostTensor. Bytes after the array data are
// ignored, as np.load ignores them. Every malformed or unsupported file throws
// FileError naming the file (or the buffer's source name) and the problem.
//
// Writing produces exactly what np.save writes for the same array (format 1.0,
// or 2.0 when the header does not fit 1.0's 16-bit length). bf16 has no NumPy
// dtype and is refused: cast it to f32 first.
#include <cstddef>
#include <filesystem>
#include <span>
#include <string_view>
#include <vector>

#include "trtutils/tensor/host_tensor.hpp"

namespace trtutils {

/// Reads a .npy file. Throws FileError if it cannot be read or is malformed.
HostTensor read_npy(const std::filesystem::path& path);

/// Reads .npy bytes held in memory. `source_name` names them in error messages.
HostTensor read_npy_bytes(std::span<const std::byte> bytes,
                          std::string_view source_name = "<npy buffer>");

/// Writes `tensor` as a .npy file, replacing any file at `path`. Throws
/// InvalidArgument for a bf16 or undefined tensor and FileError if the file
/// cannot be written.
void write_npy(const std::filesystem::path& path, const TensorView& tensor);

/// The bytes write_npy would write.
std::vector<std::byte> write_npy_bytes(const TensorView& tensor);

}  // namespace trtutils
