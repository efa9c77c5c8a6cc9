// Einsum: https://onnx.ai/onnx/operators/onnx__Einsum.html (numpy.einsum).
// Labels are letters; "..." stands for broadcast dims, right-aligned across
// operands. A label repeated within one operand takes its diagonal. Without
// "->" the output is the ellipsis dims followed by the labels used exactly
// once, in alphabetical order. Computed as a plain sum over every label
// combination (it is the reference, not the fast path).
#include <algorithm>
#include <array>
#include <cctype>
#include <map>
#include <string>

#include "ops/nn/nn_ops.hpp"
#include "ops/nn/numeric.hpp"

namespace trtutils::ops::nn {
namespace {

constexpr int kEllipsisBase = 52;  // labels 0..51 are letters; ellipsis dims follow

struct Term {
  std::vector<int> letters_before;  // labels before "..." (all of them when no ellipsis)
  std::vector<int> letters_after;   // labels after "..."
  bool ellipsis = false;
};

struct Equation {
  std::vector<Term> inputs;
  Term output;
  bool explicit_output = false;
};

int letter_label(char c) {
  return std::islower(static_cast<unsigned char>(c)) ? c - 'a' + 26 : c - 'A';
}

template <typename Context>
Term parse_term(const Context& ctx, const std::string& text) {
  Term term;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '.') {
      if (term.ellipsis || text.compare(i, 3, "...") != 0)
        ctx.fail("malformed ellipsis in equation");
      term.ellipsis = true;
      i += 2;
    } else if (std::isalpha(static_cast<unsigned char>(c))) {
      (term.ellipsis ? term.letters_after : term.letters_before).push_back(letter_label(c));
    } else {
      ctx.fail(detail::concat("unexpected character '", c, "' in equation"));
    }
  }
  return term;
}

template <typename Context>
Equation parse_equation(const Context& ctx) {
  std::string text;
  for (char c : ctx.attributes().get_string("equation")) {
    if (!std::isspace(static_cast<unsigned char>(c))) text += c;
  }
  Equation eq;
  const std::size_t arrow = text.find("->");
  const std::string lhs = text.substr(0, arrow);
  std::size_t start = 0;
  while (true) {
    const std::size_t comma = lhs.find(',', start);
    eq.inputs.push_back(parse_term(ctx, lhs.substr(start, comma - start)));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  if (eq.inputs.size() != ctx.input_count()) {
    ctx.fail(detail::concat("equation has ", eq.inputs.size(), " operands, node has ",
                            ctx.input_count(), " inputs"));
  }
  if (arrow != std::string::npos) {
    eq.explicit_output = true;
    eq.output = parse_term(ctx, text.substr(arrow + 2));
    return eq;
  }
  // Implicit output: labels used exactly once, alphabetically (A..Z then a..z).
  std::array<int, kEllipsisBase> uses{};
  for (const Term& t : eq.inputs) {
    for (int l : t.letters_before) ++uses[static_cast<std::size_t>(l)];
    for (int l : t.letters_after) ++uses[static_cast<std::size_t>(l)];
    eq.output.ellipsis = eq.output.ellipsis || t.ellipsis;
  }
  for (int l = 0; l < kEllipsisBase; ++l) {
    if (uses[static_cast<std::size_t>(l)] == 1) eq.output.letters_after.push_back(l);
  }
  return eq;
}

/// Labels of every dim of a term of rank `rank`, with `ellipsis_rank` the
/// widest ellipsis of the equation.
template <typename Context>
std::vector<int> term_labels(const Context& ctx, const Term& t, std::size_t rank,
                             std::size_t ellipsis_rank) {
  const std::size_t letters = t.letters_before.size() + t.letters_after.size();
  if (rank < letters || (!t.ellipsis && rank != letters)) {
    ctx.fail(detail::concat("an operand of rank ", rank, " does not match its equation term"));
  }
  const std::size_t own = rank - letters;
  std::vector<int> labels = t.letters_before;
  for (std::size_t j = 0; j < own; ++j) {
    labels.push_back(kEllipsisBase + static_cast<int>(ellipsis_rank - own + j));
  }
  labels.insert(labels.end(), t.letters_after.begin(), t.letters_after.end());
  return labels;
}

template <typename Context>
std::size_t widest_ellipsis(const Equation& eq, const std::vector<std::size_t>& ranks,
                            const Context& ctx) {
  std::size_t widest = 0;
  for (std::size_t i = 0; i < eq.inputs.size(); ++i) {
    const Term& t = eq.inputs[i];
    const std::size_t letters = t.letters_before.size() + t.letters_after.size();
    if (ranks[i] < letters) ctx.fail("an operand has fewer dims than its equation term");
    if (t.ellipsis) widest = std::max(widest, ranks[i] - letters);
  }
  return widest;
}

template <typename Context>
std::vector<int> output_labels(const Context& ctx, const Equation& eq, std::size_t ellipsis_rank,
                               const std::map<int, bool>& known) {
  std::vector<int> labels =
      term_labels(ctx, eq.output,
                  eq.output.letters_before.size() + eq.output.letters_after.size() +
                      (eq.output.ellipsis ? ellipsis_rank : 0),
                  ellipsis_rank);
  for (std::size_t i = 0; i < labels.size(); ++i) {
    if (!known.count(labels[i])) ctx.fail("an output label does not appear in any input");
    if (std::count(labels.begin(), labels.end(), labels[i]) > 1)
      ctx.fail("an output label repeats");
  }
  return labels;
}

void infer_einsum(InferContext& ctx) {
  const DType dtype = ctx.input_dtype(0);
  const Equation eq = parse_equation(ctx);
  std::vector<std::size_t> ranks;
  for (std::size_t i = 0; i < ctx.input_count(); ++i) {
    const ir::MaybeShape& s = ctx.input_shape(i);
    if (!s) {
      if (eq.explicit_output && !eq.output.ellipsis) {
        return ctx.set_output(0, dtype, ir::DimList(eq.output.letters_before.size()));
      }
      return ctx.set_output(0, dtype, std::nullopt);
    }
    ranks.push_back(s->size());
  }
  const std::size_t ellipsis_rank = widest_ellipsis(eq, ranks, ctx);
  std::map<int, ir::Dim> dims;
  std::map<int, bool> known;
  for (std::size_t i = 0; i < eq.inputs.size(); ++i) {
    const std::vector<int> labels = term_labels(ctx, eq.inputs[i], ranks[i], ellipsis_rank);
    for (std::size_t d = 0; d < labels.size(); ++d) {
      const ir::Dim& dim = (*ctx.input_shape(i))[d];
      auto [it, inserted] = dims.emplace(labels[d], dim);
      known[labels[d]] = true;
      if (inserted) continue;
      ir::Dim& have = it->second;
      if (dim.is_static() && have.is_static() && dim.value != have.value && dim.value != 1 &&
          have.value != 1) {
        ctx.fail(detail::concat("label dims disagree: ", dim.value, " vs ", have.value));
      }
      if ((dim.is_static() && dim.value != 1) || (have.is_static() && have.value == 1)) have = dim;
    }
  }
  ir::DimList out;
  for (int l : output_labels(ctx, eq, ellipsis_rank, known)) out.push_back(dims[l]);
  ctx.set_output(0, dtype, std::move(out));
}

/// Every label's extent and each operand's stride per label, over the
/// iteration space (output labels first, then the summed ones).
template <typename Context>
EinsumLayout einsum_layout(const Context& ctx, const Equation& eq,
                           const std::vector<Shape>& shapes) {
  std::vector<std::size_t> ranks;
  for (const Shape& s : shapes) ranks.push_back(s.size());
  const std::size_t ellipsis_rank = widest_ellipsis(eq, ranks, ctx);
  // Every label's extent, then the per-label strides of each operand (0 where
  // it broadcasts; repeated labels add up, which walks the diagonal).
  std::map<int, std::int64_t> extent;
  std::vector<std::vector<int>> labels(ranks.size());
  for (std::size_t i = 0; i < ranks.size(); ++i) {
    labels[i] = term_labels(ctx, eq.inputs[i], ranks[i], ellipsis_rank);
    for (std::size_t d = 0; d < labels[i].size(); ++d) {
      const std::int64_t size = shapes[i][d];
      auto [it, inserted] = extent.emplace(labels[i][d], size);
      if (!inserted && it->second != size) {
        if (it->second != 1 && size != 1) {
          ctx.fail(detail::concat("label dims disagree: ", size, " vs ", it->second));
        }
        it->second = std::max(it->second, size);
      }
    }
  }
  std::map<int, bool> known;
  for (const auto& [l, e] : extent) known[l] = true;
  const std::vector<int> out_labels = output_labels(ctx, eq, ellipsis_rank, known);

  std::vector<int> all;  // every label, output ones first
  for (int l : out_labels) all.push_back(l);
  for (const auto& [l, e] : extent) {
    if (std::find(all.begin(), all.end(), l) == all.end()) all.push_back(l);
  }
  EinsumLayout layout;
  for (int l : all) layout.space.push_back(extent[l]);
  layout.output_rank = out_labels.size();
  layout.strides.assign(ranks.size(), std::vector<std::int64_t>(all.size(), 0));
  for (std::size_t i = 0; i < ranks.size(); ++i) {
    const std::vector<std::int64_t> own = contiguous_strides(shapes[i]);
    for (std::size_t d = 0; d < labels[i].size(); ++d) {
      if (shapes[i][d] == 1) continue;  // broadcast
      const auto pos =
          static_cast<std::size_t>(std::find(all.begin(), all.end(), labels[i][d]) - all.begin());
      layout.strides[i][pos] += own[d];
    }
  }
  return layout;
}

template <typename Acc>
HostTensor einsum(const CpuContext& ctx, const Equation& eq) {
  std::vector<Shape> shapes;
  for (std::size_t i = 0; i < ctx.input_count(); ++i) shapes.push_back(ctx.input(i).shape());
  const EinsumLayout layout = einsum_layout(ctx, eq, shapes);
  const Shape& space = layout.space;
  std::vector<std::vector<Acc>> values;
  for (std::size_t i = 0; i < shapes.size(); ++i) values.push_back(read_as<Acc>(ctx.input(i)));
  const Shape out_shape(space.begin(),
                        space.begin() + static_cast<std::ptrdiff_t>(layout.output_rank));
  const std::int64_t reduced = product(space, layout.output_rank, space.size());
  std::vector<Acc> out(static_cast<std::size_t>(element_count(out_shape)), Acc(0));
  for_each_index(space, [&](const std::vector<std::int64_t>& coords, std::int64_t linear) {
    Acc term = 1;
    for (std::size_t i = 0; i < values.size(); ++i) {
      std::int64_t at = 0;
      for (std::size_t d = 0; d < coords.size(); ++d) at += coords[d] * layout.strides[i][d];
      term *= values[i][static_cast<std::size_t>(at)];
    }
    // Output labels lead the space, so the output index is linear / (reduced space size).
    if (reduced > 0) out[static_cast<std::size_t>(linear / reduced)] += term;
  });
  return make_tensor(std::move(out_shape), ctx.input(0).dtype(), out);
}

std::vector<HostTensor> run_einsum(const CpuContext& ctx) {
  const Equation eq = parse_equation(ctx);
  for (std::size_t i = 1; i < ctx.input_count(); ++i) {
    if (ctx.input(i).dtype() != ctx.input(0).dtype()) ctx.fail("all inputs must share one dtype");
  }
  std::vector<HostTensor> outputs;
  outputs.push_back(with_accumulator(ctx.input(0).dtype(), [&](auto tag) {
    return einsum<typename decltype(tag)::type>(ctx, eq);
  }));
  return outputs;
}

/// What einsum_layout needs of a context, for a node seen by the GPU lowering.
struct NodeContext {
  const ir::Node& node;
  const ir::Attributes& attributes() const { return node.attributes(); }
  std::size_t input_count() const { return node.inputs().size(); }
  [[noreturn]] void fail(const std::string& message) const {
    throw ModelError(detail::concat(node.describe(), ": ", message));
  }
};

}  // namespace

EinsumLayout einsum_layout(const ir::Node& node, const std::vector<Shape>& shapes) {
  const NodeContext ctx{node};
  return einsum_layout(ctx, parse_equation(ctx), shapes);
}

OpSchema einsum_schema() { return {"Einsum", "", infer_einsum, run_einsum, einsum_gpu_lowering()}; }

}  // namespace trtutils::ops::nn
