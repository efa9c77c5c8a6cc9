#include "plan/plan_sections.hpp"

#include <string>
#include <utility>

#include "plan/plan_format.hpp"
#include "trtutils/core/error.hpp"

namespace trtutils::plan {

namespace {

// --- writing ---

void write_dims(ByteWriter& out, const std::vector<std::int64_t>& dims) {
  out.count(dims.size(), "a dims list");
  for (const std::int64_t d : dims) out.i64(d);
}

void write_param(ByteWriter& out, const LayerParam& value) {
  out.u8(static_cast<std::uint8_t>(value.index()));
  if (const auto* v = std::get_if<std::int64_t>(&value)) {
    out.i64(*v);
  } else if (const auto* d = std::get_if<double>(&value)) {
    out.f64(*d);
  } else if (const auto* s = std::get_if<std::string>(&value)) {
    out.string(*s, "a string parameter");
  } else if (const auto* ints = std::get_if<std::vector<std::int64_t>>(&value)) {
    write_dims(out, *ints);
  } else if (const auto* doubles = std::get_if<std::vector<double>>(&value)) {
    out.count(doubles->size(), "a doubles parameter");
    for (const double x : *doubles) out.f64(x);
  } else if (const auto* bytes = std::get_if<std::vector<std::byte>>(&value)) {
    out.u64(bytes->size());
    out.bytes(*bytes);
  }
}

void write_ids(ByteWriter& out, const std::vector<TensorId>& ids) {
  out.count(ids.size(), "a layer's tensor list");
  for (const TensorId id : ids) out.u32(id);
}

// --- reading ---

std::vector<std::int64_t> read_dims(ByteReader& in) {
  std::vector<std::int64_t> dims(in.count(8));
  for (std::int64_t& d : dims) d = in.i64();
  return dims;
}

template <typename Enum>
Enum read_enum(ByteReader& in, std::uint8_t last, const char* what) {
  const std::uint64_t at = in.offset();
  const std::uint8_t code = in.u8();
  if (code > last)
    in.fail(detail::concat("unknown ", what, " code ", int{code}, " at offset ", at));
  return static_cast<Enum>(code);
}

DType read_dtype(ByteReader& in) {
  const std::uint64_t at = in.offset();
  const std::uint8_t code = in.u8();
  const DType dtype = format::dtype_from_code(code);
  if (dtype == DType::kUndefined) {
    in.fail(detail::concat("unknown dtype code ", int{code}, " at offset ", at));
  }
  return dtype;
}

bool read_bool(ByteReader& in) {
  const std::uint64_t at = in.offset();
  const std::uint8_t value = in.u8();
  if (value > 1)
    in.fail(detail::concat("a flag at offset ", at, " is ", int{value}, ", not 0 or 1"));
  return value == 1;
}

LayerParam read_param(ByteReader& in) {
  const std::uint64_t at = in.offset();
  switch (in.u8()) {
    case format::kParamInt:
      return in.i64();
    case format::kParamDouble:
      return in.f64();
    case format::kParamString:
      return in.string();
    case format::kParamInts:
      return read_dims(in);
    case format::kParamDoubles: {
      std::vector<double> values(in.count(8));
      for (double& x : values) x = in.f64();
      return values;
    }
    case format::kParamBytes: {
      const std::uint64_t size = in.u64();
      if (size > in.remaining()) {
        in.fail(detail::concat("a bytes parameter at offset ", at, " declares ", size,
                               " bytes but only ", in.remaining(), " are left in the section"));
      }
      const auto data = in.bytes(static_cast<std::size_t>(size));
      return std::vector<std::byte>(data.begin(), data.end());
    }
    default:
      in.fail(detail::concat("unknown layer parameter type code at offset ", at));
  }
}

std::vector<TensorId> read_ids(ByteReader& in) {
  std::vector<TensorId> ids(in.count(4));
  for (TensorId& id : ids) id = in.u32();
  return ids;
}

}  // namespace

void write_head_section(ByteWriter& out, const PlanHeader& header) {
  out.string(header.library_version, "the library version");
  out.string(header.target_arch, "the target arch");
  out.u8(static_cast<std::uint8_t>(header.precision));
  out.i64(header.build_time_unix_seconds);
  out.count(header.builder_options.size(), "the builder options");
  for (const auto& [key, value] : header.builder_options) {
    out.string(key, "a builder option name");
    out.string(value, "a builder option value");
  }
}

void write_io_section(ByteWriter& out, const std::vector<TensorSpec>& io) {
  out.count(io.size(), "the input/output list");
  for (const TensorSpec& spec : io) {
    out.string(spec.name, "an input/output name");
    out.u8(format::dtype_code(spec.dtype));
    out.u8(spec.is_input ? 1 : 0);
    write_dims(out, spec.dims);
    out.u8(spec.profile ? 1 : 0);
    if (spec.profile) {
      write_dims(out, spec.profile->min);
      write_dims(out, spec.profile->opt);
      write_dims(out, spec.profile->max);
    }
  }
}

namespace {

void write_tensors(ByteWriter& out, std::uint64_t arena_bytes, std::uint64_t workspace_bytes,
                   const std::vector<TensorDesc>& tensors) {
  out.u64(arena_bytes);
  out.u64(workspace_bytes);
  out.count(tensors.size(), "the tensor list");
  for (const TensorDesc& t : tensors) {
    out.u32(t.id);
    out.string(t.name, "a tensor name");
    out.u8(format::dtype_code(t.dtype));
    out.u8(static_cast<std::uint8_t>(t.layout));
    out.u8(static_cast<std::uint8_t>(t.kind));
    write_dims(out, t.dims);
    out.u64(t.arena.offset);
    out.u64(t.arena.size);
    out.u64(t.weights.offset);
    out.u64(t.weights.size);
  }
}

}  // namespace

void write_tensor_section(ByteWriter& out, const Plan& plan) {
  write_tensors(out, plan.arena_bytes, plan.workspace_bytes, plan.tensors);
}

void write_layer_section(ByteWriter& out, const std::vector<LayerDesc>& layers) {
  out.count(layers.size(), "the layer list");
  for (const LayerDesc& layer : layers) {
    out.string(layer.name, "a layer name");
    out.string(layer.kernel, "a kernel name");
    out.u8(static_cast<std::uint8_t>(layer.precision));
    write_ids(out, layer.inputs);
    write_ids(out, layer.outputs);
    out.count(layer.params.size(), "a layer's parameters");
    for (const auto& [key, value] : layer.params.all()) {
      out.string(key, "a parameter name");
      write_param(out, value);
    }
  }
}

PlanHeader read_head_section(ByteReader& in) {
  PlanHeader header;
  header.library_version = in.string();
  header.target_arch = in.string();
  header.precision = read_enum<Precision>(in, 2, "precision");
  header.build_time_unix_seconds = in.i64();
  const std::size_t options = in.count(8);
  for (std::size_t i = 0; i < options; ++i) {
    std::string key = in.string();
    if (header.builder_options.count(key) != 0) {
      in.fail(detail::concat("builder option '", key, "' appears twice"));
    }
    header.builder_options[std::move(key)] = in.string();
  }
  return header;
}

std::vector<TensorSpec> read_io_section(ByteReader& in) {
  std::vector<TensorSpec> io(in.count(11));
  for (TensorSpec& spec : io) {
    spec.name = in.string();
    spec.dtype = read_dtype(in);
    spec.is_input = read_bool(in);
    spec.dims = read_dims(in);
    if (read_bool(in)) spec.profile = ShapeProfile{read_dims(in), read_dims(in), read_dims(in)};
  }
  return io;
}

namespace {

void read_tensors(ByteReader& in, std::uint64_t& arena_bytes, std::uint64_t& workspace_bytes,
                  std::vector<TensorDesc>& tensors) {
  arena_bytes = in.u64();
  workspace_bytes = in.u64();
  tensors.resize(in.count(47));
  for (TensorDesc& t : tensors) {
    t.id = in.u32();
    t.name = in.string();
    t.dtype = read_dtype(in);
    t.layout = read_enum<TensorLayout>(in, 2, "layout");
    t.kind = read_enum<TensorKind>(in, 3, "tensor kind");
    t.dims = read_dims(in);
    t.arena.offset = in.u64();
    t.arena.size = in.u64();
    t.weights.offset = in.u64();
    t.weights.size = in.u64();
  }
}

}  // namespace

void read_tensor_section(ByteReader& in, Plan& plan) {
  read_tensors(in, plan.arena_bytes, plan.workspace_bytes, plan.tensors);
}

std::vector<LayerDesc> read_layer_section(ByteReader& in) {
  std::vector<LayerDesc> layers(in.count(21));
  for (LayerDesc& layer : layers) {
    layer.name = in.string();
    layer.kernel = in.string();
    layer.precision = read_enum<Precision>(in, 2, "precision");
    layer.inputs = read_ids(in);
    layer.outputs = read_ids(in);
    const std::size_t params = in.count(9);
    for (std::size_t i = 0; i < params; ++i) {
      std::string key = in.string();
      if (layer.params.has(key))
        in.fail(detail::concat("layer '", layer.name, "' repeats parameter '", key, "'"));
      layer.params.set(key, read_param(in));
    }
  }
  return layers;
}

void write_batch_section(ByteWriter& out, const Plan& plan) {
  out.u8(plan.batch_range ? 1 : 0);
  if (!plan.batch_range) return;
  out.i64(plan.batch_range->min);
  out.i64(plan.batch_range->opt);
  out.i64(plan.batch_range->max);
  out.count(plan.batch_buckets.size(), "the batch buckets");
  for (const BatchBucket& bucket : plan.batch_buckets) {
    out.i64(bucket.batch);
    write_tensors(out, bucket.arena_bytes, bucket.workspace_bytes, bucket.tensors);
    write_layer_section(out, bucket.layers);
  }
}

void read_batch_section(ByteReader& in, Plan& plan) {
  const std::uint64_t at = in.offset();
  const std::uint8_t flag = in.u8();
  if (flag > 1) in.fail(detail::concat("the batch flag at offset ", at, " is ", int{flag}));
  if (flag == 0) return;
  BatchRange range;
  range.min = in.i64();
  range.opt = in.i64();
  range.max = in.i64();
  plan.batch_range = range;
  plan.batch_buckets.resize(in.count(8 + 16 + 8 + 8));
  for (BatchBucket& bucket : plan.batch_buckets) {
    bucket.batch = in.i64();
    read_tensors(in, bucket.arena_bytes, bucket.workspace_bytes, bucket.tensors);
    bucket.layers = read_layer_section(in);
  }
}

}  // namespace trtutils::plan
