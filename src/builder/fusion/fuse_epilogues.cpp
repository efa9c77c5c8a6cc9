// Conv / Gemm / MatMul absorb a following constant bias Add and activation
// (attribute contract: include/trtutils/builder/fusion_attributes.hpp).
#include <cmath>

#include "builder/fusion/rewrite.hpp"
#include "trtutils/builder/fusion.hpp"

namespace trtutils::builder {

namespace fa = fusion_attributes;

namespace {

bool is_fusable_op(const ir::Node& node) {
  if (!node.domain().empty() || node.outputs().size() != 1 || !node.output(0)) return false;
  const std::string& op = node.op_type();
  return op == "Conv" || op == "Gemm" || op == "MatMul";
}

bool is_float(DType dtype) {
  return dtype == DType::kFloat32 || dtype == DType::kFloat16 || dtype == DType::kBFloat16;
}

/// The bias's extent along the axis it varies on (`axis` of an output of
/// `rank` dims), when every other dim of the constant is 1; else -1.
std::int64_t bias_extent(const HostTensor& c, std::size_t rank, std::size_t axis) {
  const Shape& s = c.shape();
  if (s.size() > rank) return -1;
  const std::size_t offset = rank - s.size();
  std::int64_t extent = 1;
  for (std::size_t d = 0; d < s.size(); ++d) {
    if (d + offset == axis) extent = s[d];
    else if (s[d] != 1) return -1;
  }
  return extent;
}

/// Folds `Add(op_out, c)` into the op's bias. Returns the Add or nullptr.
ir::Node* absorb_bias(ir::Graph& graph, ir::Node* op, std::vector<ir::Value*>& inputs,
                      ir::Attributes& attributes) {
  ir::Value* out = op->output(0);
  ir::Node* add = fusion::sole_consumer(graph, out);
  if (!add || add->op_type() != "Add" || !add->domain().empty()) return nullptr;
  ir::Value* c = fusion::other_input(*add, out);
  if (!c || !c->is_constant() || c->constant().dtype() != out->dtype() || !out->shape() ||
      !ir::is_static(out->shape()) || add->output(0)->shape() != out->shape()) {
    return nullptr;
  }
  const std::size_t rank = out->shape()->size();
  const std::string& op_type = op->op_type();
  const std::size_t axis = op_type == "Conv" ? 1 : rank - 1;
  if (rank < 2) return nullptr;
  const std::int64_t channels = (*out->shape())[axis].value;
  const std::int64_t extent = bias_extent(c->constant(), rank, axis);
  if (extent != channels && !(extent == 1 && c->constant().element_count() == 1)) return nullptr;
  // The bias as a [channels] vector of the op's dtype.
  HostTensor bias = c->constant().cast(DType::kFloat64);
  std::vector<double> values(static_cast<std::size_t>(channels), bias.values<double>()[0]);
  if (extent == channels) values.assign(bias.values<double>().begin(), bias.values<double>().end());
  if (op_type == "Conv") {
    if (inputs.size() > 2 && inputs[2]) {
      if (!inputs[2]->is_constant()) return nullptr;
      const HostTensor old = inputs[2]->constant().cast(DType::kFloat64);
      for (std::size_t i = 0; i < values.size(); ++i) values[i] += old.values<double>()[i];
    }
    inputs.resize(3, nullptr);
  } else if (op_type == "Gemm") {
    if (inputs.size() > 2 && inputs[2]) return nullptr;  // C present: keep the Add
    inputs.resize(3, nullptr);
    attributes.set("beta", 1.0f);
  } else {  // MatMul
    inputs.resize(3, nullptr);
    attributes.set(fa::kBias, std::int64_t{1});
  }
  ir::Value* b = graph.add_unique_value(op->name() + "_fused_bias");
  b->set_constant(HostTensor::from_values<double>({channels}, values).cast(out->dtype()));
  inputs[2] = b;
  return add;
}

bool near(double a, double b) { return std::fabs(a - b) <= 1e-4 * std::fmax(1.0, std::fabs(b)); }

/// SiLU: y -> Sigmoid -> Mul(y, sigmoid). Returns the Mul.
ir::Node* match_silu(const ir::Graph& graph, ir::Value* y, ir::Node* first) {
  if (y->consumers().size() != 2 || fusion::is_graph_output(graph, y)) return nullptr;
  ir::Node* a = y->consumers()[0];
  ir::Node* b = y->consumers()[1];
  ir::Node* sigmoid = a->op_type() == "Sigmoid" ? a : b->op_type() == "Sigmoid" ? b : nullptr;
  ir::Node* mul = sigmoid == a ? b : a;
  if (!sigmoid || mul->op_type() != "Mul" || first != a) return nullptr;
  ir::Node* after = fusion::sole_consumer(graph, sigmoid->output(0));
  if (after != mul || fusion::other_input(*mul, y) != sigmoid->output(0)) return nullptr;
  return mul;
}

/// Exact GELU: Mul(Mul(y, Add(Erf(Div(y, sqrt2)), 1)), 0.5). Returns the last Mul.
ir::Node* match_gelu(const ir::Graph& graph, ir::Value* y) {
  if (y->consumers().size() != 2 || fusion::is_graph_output(graph, y)) return nullptr;
  for (int first = 0; first < 2; ++first) {
    ir::Node* div = y->consumers()[static_cast<std::size_t>(first)];
    ir::Node* mul1 = y->consumers()[static_cast<std::size_t>(1 - first)];
    if (div->op_type() != "Div" || div->input(0) != y || mul1->op_type() != "Mul") continue;
    const auto divisor = fusion::scalar_constant(div->input(1));
    if (!divisor || !near(*divisor, std::sqrt(2.0))) continue;
    ir::Node* erf = fusion::sole_consumer(graph, div->output(0));
    if (!erf || erf->op_type() != "Erf") continue;
    ir::Node* add = fusion::sole_consumer(graph, erf->output(0));
    if (!add || add->op_type() != "Add") continue;
    const auto one = fusion::scalar_constant(fusion::other_input(*add, erf->output(0)));
    if (!one || !near(*one, 1.0)) continue;
    if (fusion::sole_consumer(graph, add->output(0)) != mul1 ||
        fusion::other_input(*mul1, add->output(0)) != y) {
      continue;
    }
    ir::Node* mul2 = fusion::sole_consumer(graph, mul1->output(0));
    if (!mul2 || mul2->op_type() != "Mul") continue;
    const auto half = fusion::scalar_constant(fusion::other_input(*mul2, mul1->output(0)));
    if (!half || !near(*half, 0.5)) continue;
    return mul2;
  }
  return nullptr;
}

bool fuse_one(ir::Graph& graph, ir::Node* op) {
  if (!is_fusable_op(*op) || op->attributes().has(fa::kActivation) || !is_float(op->output(0)->dtype())) {
    return false;
  }
  std::vector<ir::Value*> inputs = op->inputs();
  ir::Attributes attributes = op->attributes();
  std::vector<ir::Node*> absorbed;
  ir::Value* y = op->output(0);
  if (!attributes.has(fa::kBias)) {
    const bool has_bias_already = op->op_type() == "MatMul" && inputs.size() > 2;
    if (ir::Node* add = has_bias_already ? nullptr : absorb_bias(graph, op, inputs, attributes)) {
      absorbed.push_back(add);
      y = add->output(0);
    }
  }
  ir::Node* next = y->consumers().empty() ? nullptr : y->consumers()[0];
  if (ir::Node* act = fusion::sole_consumer(graph, y); act && fusion::activation_attributes(*act, attributes)) {
    absorbed.push_back(act);
    y = act->output(0);
  } else if (ir::Node* mul = next ? match_silu(graph, y, next) : nullptr) {
    absorbed.push_back(mul->input(0)->producer() && mul->input(0)->producer()->op_type() == "Sigmoid"
                           ? mul->input(0)->producer() : mul->input(1)->producer());
    absorbed.push_back(mul);
    attributes.set(fa::kActivation, std::string(fa::kSilu));
    y = mul->output(0);
  } else if (ir::Node* last = match_gelu(graph, y)) {
    // Div, Erf, Add, Mul, Mul: walk back from the last Mul.
    ir::Node* mul1 = last->input(0)->producer() && last->input(0)->producer()->op_type() == "Mul"
                         ? last->input(0)->producer() : last->input(1)->producer();
    ir::Node* add = fusion::other_input(*mul1, y)->producer();
    ir::Node* erf = add->input(0)->producer() && add->input(0)->producer()->op_type() == "Erf"
                        ? add->input(0)->producer() : add->input(1)->producer();
    ir::Node* div = erf->input(0)->producer();
    absorbed.insert(absorbed.end(), {div, erf, add, mul1, last});
    attributes.set(fa::kActivation, std::string(fa::kGelu));
    y = last->output(0);
  }
  if (absorbed.empty()) return false;
  for (ir::Node* node : absorbed) graph.remove_node(node);
  fusion::rebuild(graph, op, std::move(inputs), {y}, std::move(attributes));
  return true;
}

}  // namespace

int fuse_epilogues(ir::Graph& graph) {
  return fusion::rewrite_until_fixed_point(graph, fuse_one);
}

}  // namespace trtutils::builder
