// Transpose sinking and cancellation. Layout conversions are inserted around
// every channels-last convolution; this pass moves them towards the outputs
// through ops that do not care about the order of axes, so that a
// to-NCHW transpose meets the next convolution's to-NHWC transpose and both
// vanish. What remains sits at layout boundaries (graph IO, Reshape, MatMul,
// pooling windows...).
//
// With t = Transpose(x, p) (t's axis i is x's axis p[i]) and inv = p^-1:
//   Transpose(t, q)            = Transpose(x, p∘q)  (identity: x itself)
//   elementwise(t, c)          = Transpose(elementwise(x, c'), p), c' = c
//                                broadcast to full rank and transposed by inv
//   Concat/Split(t, axis a)    = Transpose(Concat/Split(x, axis p[a]), p)
//   Slice(t, axes)             = Transpose(Slice(x, p[axes]), p)
//   Resize(t, scales)          = Transpose(Resize(x, scales permuted by inv), p)
//   GlobalAverage/MaxPool(t)   = Transpose(ReduceMean/Max(x, axes p[2..]), p)
// A Transpose that only moves axes of extent 1 is a Reshape (free) at the end.
#include <algorithm>
#include <numeric>
#include <set>

#include "builder/fusion/rewrite.hpp"
#include "ops/elementwise/gpu_expressions.hpp"
#include "trtutils/builder/fusion.hpp"
#include "trtutils/ops/internal_ops.hpp"

namespace trtutils::builder {

namespace {

using Perm = std::vector<std::int64_t>;

bool is_transpose(const ir::Node* node) {
  return node && node->op_type() == "Transpose" && node->domain().empty() && node->input(0) &&
         node->input(0)->shape() && node->output(0);
}

Perm perm_of(const ir::Node& transpose) {
  const std::size_t rank = transpose.input(0)->shape()->size();
  Perm reversed(rank);
  for (std::size_t i = 0; i < rank; ++i) reversed[i] = static_cast<std::int64_t>(rank - 1 - i);
  return transpose.attributes().get_ints("perm", reversed);
}

bool is_identity(const Perm& perm) {
  for (std::size_t i = 0; i < perm.size(); ++i) {
    if (perm[i] != static_cast<std::int64_t>(i)) return false;
  }
  return true;
}

Perm inverse(const Perm& perm) {
  Perm inv(perm.size());
  for (std::size_t i = 0; i < perm.size(); ++i) inv[static_cast<std::size_t>(perm[i])] = static_cast<std::int64_t>(i);
  return inv;
}

ir::MaybeShape permuted(const ir::MaybeShape& shape, const Perm& perm) {
  if (!shape) return std::nullopt;
  ir::DimList out;
  for (const std::int64_t p : perm) out.push_back((*shape)[static_cast<std::size_t>(p)]);
  return out;
}

bool all_ones(const ir::MaybeShape& shape) {
  if (!shape) return false;
  return std::all_of(shape->begin(), shape->end(), [](const ir::Dim& d) { return d.is_static() && d.value == 1; });
}

std::int64_t normalized_axis(std::int64_t axis, std::size_t rank) {
  return axis < 0 ? axis + static_cast<std::int64_t>(rank) : axis;
}

class TransposeOptimizer {
 public:
  explicit TransposeOptimizer(ir::Graph& graph) : graph_(graph) {}

  /// One rewrite (a cancellation first, else one push); false at the fixed point.
  bool step() {
    for (ir::Node* node : graph_.nodes()) {
      if (is_transpose(node) && is_transpose(node->input(0)->producer())) {
        compose(node->input(0)->producer(), node);
        return true;
      }
    }
    for (ir::Node* node : graph_.nodes()) {
      if (!is_transpose(node)) continue;
      const std::vector<ir::Node*> consumers = node->output(0)->consumers();
      for (ir::Node* consumer : std::set<ir::Node*>(consumers.begin(), consumers.end())) {
        if (push(node, consumer)) return true;
      }
    }
    return false;
  }

  /// Transposes that only move axes of extent 1 become Reshapes.
  int transposes_to_reshapes() {
    int rewritten = 0;
    for (ir::Node* node : graph_.nodes()) {
      if (!is_transpose(node) || !ir::is_static(node->input(0)->shape())) continue;
      const Shape in = ir::to_static(*node->input(0)->shape());
      const Perm perm = perm_of(*node);
      std::int64_t previous = -1;
      bool order_kept = true;
      for (const std::int64_t p : perm) {
        if (in[static_cast<std::size_t>(p)] == 1) continue;
        order_kept = order_kept && p > previous;
        previous = p;
      }
      if (!order_kept) continue;
      Shape out;
      for (const std::int64_t p : perm) out.push_back(in[static_cast<std::size_t>(p)]);
      ir::Value* shape = graph_.add_unique_value(node->name() + "/shape");
      shape->set_constant(HostTensor::from_values<std::int64_t>({static_cast<std::int64_t>(out.size())}, out));
      ir::Value* x = node->input(0);
      ir::Value* y = node->output(0);
      const std::string name = node->name();
      graph_.remove_node(node);
      graph_.add_node("Reshape", name, {x, shape}, {y});
      ++rewritten;
    }
    return rewritten;
  }

 private:
  std::string fresh(const std::string& hint) { return hint + "/layout" + std::to_string(counter_++); }

  ir::Value* value_like(const ir::Value* model, const Perm& inv) {
    ir::Value* v = graph_.add_unique_value(model->name() + "_perm");
    v->set_dtype(model->dtype());
    v->set_shape(permuted(model->shape(), inv));
    return v;
  }

  ir::Value* constant(const std::string& hint, HostTensor value) {
    ir::Value* v = graph_.add_unique_value(hint);
    v->set_constant(std::move(value));
    return v;
  }

  void add_transpose(ir::Value* in, const Perm& perm, ir::Value* out) {
    ir::Attributes a;
    a.set("perm", perm);
    graph_.add_node("Transpose", fresh(in->name()), {in}, {out}, std::move(a));
  }

  void remove_if_dead(ir::Node* transpose) {
    if (transpose->output(0)->consumers().empty() && !fusion::is_graph_output(graph_, transpose->output(0))) {
      graph_.remove_node(transpose);
    }
  }

  /// second(first(x)) -> one Transpose of x, or x itself.
  void compose(ir::Node* first, ir::Node* second) {
    const Perm p = perm_of(*first);
    const Perm q = perm_of(*second);
    Perm composed(q.size());
    for (std::size_t i = 0; i < q.size(); ++i) composed[i] = p[static_cast<std::size_t>(q[i])];
    ir::Value* x = first->input(0);
    ir::Value* out = second->output(0);
    if (is_identity(composed) && !fusion::is_graph_output(graph_, out)) {
      graph_.remove_node(second);
      graph_.replace_all_uses(out, x);
    } else {
      ir::Attributes a;
      a.set("perm", composed);
      fusion::rebuild(graph_, second, {x}, {out}, std::move(a));
    }
    remove_if_dead(first);
  }

  /// The un-transposed operand for `value` under perm p: the source of a
  /// Transpose with the same perm, a re-laid-out constant, a value of ones
  /// (nothing to move); nullptr when none.
  ir::Value* untransposed(ir::Value* value, const Perm& p, bool allow_broadcast) {
    if (ir::Node* producer = value->producer(); is_transpose(producer) && perm_of(*producer) == p) {
      return producer->input(0);
    }
    const std::size_t rank = p.size();
    if (!value->shape() || value->shape()->size() > rank) return nullptr;
    if (allow_broadcast && all_ones(value->shape())) return value;
    if (!value->is_constant()) return nullptr;
    const HostTensor& c = value->constant();
    if (!allow_broadcast && c.shape().size() != rank) return nullptr;
    Shape full(rank - c.shape().size(), 1);
    full.insert(full.end(), c.shape().begin(), c.shape().end());
    return constant(value->name() + "_perm", ops::transpose_tensor(c.reshaped(full), inverse(p)));
  }

  std::size_t transposed_inputs(const ir::Node& node, const Perm& p) const {
    std::set<const ir::Value*> found;
    for (const ir::Value* in : node.inputs()) {
      if (in && is_transpose(in->producer()) && perm_of(*in->producer()) == p) found.insert(in);
    }
    return found.size();
  }

  /// Rebuilds `node` on `inputs` (un-transposed), its outputs re-transposed by p.
  void rewrite(ir::Node* node, std::vector<ir::Value*> inputs, ir::Attributes attributes,
               const Perm& p, const std::string& op_type = {}) {
    const Perm inv = inverse(p);
    std::vector<ir::Value*> originals = node->outputs();
    std::vector<ir::Value*> outputs;
    for (ir::Value* out : originals) outputs.push_back(out ? value_like(out, inv) : nullptr);
    const std::string name = node->name();
    const std::string type = op_type.empty() ? node->op_type() : op_type;
    const std::string domain = op_type.empty() ? node->domain() : std::string();
    graph_.remove_node(node);
    graph_.add_node(type, name, std::move(inputs), outputs, std::move(attributes), domain);
    for (std::size_t i = 0; i < outputs.size(); ++i) {
      if (outputs[i]) add_transpose(outputs[i], p, originals[i]);
    }
  }

  bool push(ir::Node* transpose, ir::Node* node) {
    const Perm p = perm_of(*transpose);
    if (!node->domain().empty()) return false;
    ir::Value* t = transpose->output(0);
    const bool sole = fusion::sole_consumer(graph_, t) == node;
    // Moving a transpose below a node pays when it removes this one (t has
    // no other reader) or merges several transposed operands into one.
    if (!sole && transposed_inputs(*node, p) < 2) return false;
    // The node's other transposed operands may lose their last reader too.
    std::set<ir::Node*> feeding;
    for (const ir::Value* in : node->inputs()) {
      if (in && is_transpose(in->producer())) feeding.insert(in->producer());
    }
    if (!push_into(node, t, p)) return false;
    for (ir::Node* producer : feeding) remove_if_dead(producer);
    return true;
  }

  bool push_into(ir::Node* node, ir::Value* t, const Perm& p) {
    const std::string& op = node->op_type();
    const std::size_t rank = p.size();
    for (const ir::Value* out : node->outputs()) {
      if (out && (!out->shape() || out->shape()->size() != rank)) return false;
    }
    if (ops::gpu::find_elementwise_expression(op)) return push_elementwise(node, p);
    if (op == "Concat") return push_concat(node, p);
    if (op == "Split" && node->input(0) == t) return push_split(node, t, p);
    if (op == "Slice" && node->input(0) == t) return push_slice(node, p);
    if (op == "Resize" && node->input(0) == t) return push_resize(node, p);
    if ((op == "GlobalAveragePool" || op == "GlobalMaxPool") && node->input(0) == t && rank >= 3) {
      return push_global_pool(node, p);
    }
    return false;
  }

  bool push_elementwise(ir::Node* node, const Perm& p) {
    std::vector<ir::Value*> inputs;
    for (ir::Value* in : node->inputs()) {
      if (!in) {
        inputs.push_back(nullptr);
        continue;
      }
      ir::Value* source = untransposed(in, p, true);
      if (!source) return false;
      inputs.push_back(source);
    }
    rewrite(node, std::move(inputs), node->attributes(), p);
    return true;
  }

  bool push_concat(ir::Node* node, const Perm& p) {
    std::vector<ir::Value*> inputs;
    for (ir::Value* in : node->inputs()) {
      ir::Value* source = in ? untransposed(in, p, false) : nullptr;
      if (!source) return false;
      inputs.push_back(source);
    }
    ir::Attributes a = node->attributes();
    const std::int64_t axis = normalized_axis(a.get_int("axis", 0), p.size());
    a.set("axis", p[static_cast<std::size_t>(axis)]);
    rewrite(node, std::move(inputs), std::move(a), p);
    return true;
  }

  bool push_split(ir::Node* node, ir::Value* t, const Perm& p) {
    std::vector<ir::Value*> inputs = node->inputs();
    inputs[0] = t->producer()->input(0);
    ir::Attributes a = node->attributes();
    const std::int64_t axis = normalized_axis(a.get_int("axis", 0), p.size());
    a.set("axis", p[static_cast<std::size_t>(axis)]);
    rewrite(node, std::move(inputs), std::move(a), p);
    return true;
  }

  bool push_slice(ir::Node* node, const Perm& p) {
    if (graph_.opset() < 10 || node->inputs().size() < 3) return false;  // attribute form
    const ir::Value* starts = node->input(1);
    if (!starts || !starts->is_constant() || !node->input(2) || !node->input(2)->is_constant()) return false;
    std::vector<std::int64_t> axes;
    DType axes_dtype = starts->constant().dtype();
    if (const ir::Value* given = node->input(3)) {
      if (!given->is_constant()) return false;
      axes_dtype = given->constant().dtype();
      const HostTensor a = given->constant().cast(DType::kInt64);
      axes.assign(a.values<std::int64_t>().begin(), a.values<std::int64_t>().end());
    } else {
      axes.resize(static_cast<std::size_t>(starts->constant().element_count()));
      std::iota(axes.begin(), axes.end(), std::int64_t{0});
    }
    for (std::int64_t& axis : axes) {
      axis = normalized_axis(axis, p.size());
      if (axis < 0 || axis >= static_cast<std::int64_t>(p.size())) return false;
      axis = p[static_cast<std::size_t>(axis)];
    }
    std::vector<ir::Value*> inputs = node->inputs();
    inputs.resize(std::max<std::size_t>(inputs.size(), 4), nullptr);
    inputs[0] = node->input(0)->producer()->input(0);
    inputs[3] = constant(node->name() + "/axes",
                         HostTensor::from_values<std::int64_t>({static_cast<std::int64_t>(axes.size())}, axes)
                             .cast(axes_dtype));
    rewrite(node, std::move(inputs), node->attributes(), p);
    return true;
  }

  bool push_resize(ir::Node* node, const Perm& p) {
    const ir::Attributes& a = node->attributes();
    if (graph_.opset() < 11 || a.has("axes") || a.get_string("mode", "nearest") != "nearest" ||
        a.get_string("coordinate_transformation_mode", "half_pixel") == "tf_crop_and_resize") {
      return false;
    }
    for (std::size_t i = 2; i < 4 && i < node->inputs().size(); ++i) {
      // A non-constant scales/sizes input cannot be re-laid out here.
      if (node->input(i) && !node->input(i)->is_constant()) return false;
    }
    std::vector<ir::Value*> inputs = node->inputs();
    const Perm inv = inverse(p);
    bool permuted_one = false;
    for (std::size_t i = 2; i < 4 && i < inputs.size(); ++i) {
      if (!inputs[i] || !inputs[i]->is_constant() || inputs[i]->constant().element_count() == 0) continue;
      const HostTensor& c = inputs[i]->constant();
      if (c.rank() != 1 || c.element_count() != static_cast<std::int64_t>(p.size())) return false;
      HostTensor moved = c;
      const std::size_t bytes = dtype_size(c.dtype());
      for (std::size_t j = 0; j < p.size(); ++j) {
        std::copy_n(static_cast<const std::byte*>(c.data()) + static_cast<std::size_t>(inv[j]) * bytes, bytes,
                    static_cast<std::byte*>(moved.data()) + j * bytes);
      }
      inputs[i] = constant(inputs[i]->name() + "_perm", std::move(moved));
      permuted_one = true;
    }
    if (!permuted_one) return false;
    inputs[0] = node->input(0)->producer()->input(0);
    rewrite(node, std::move(inputs), a, p);
    return true;
  }

  bool push_global_pool(ir::Node* node, const Perm& p) {
    std::vector<std::int64_t> axes;
    for (std::size_t a = 2; a < p.size(); ++a) axes.push_back(p[a]);
    std::sort(axes.begin(), axes.end());
    ir::Attributes a;
    a.set("keepdims", std::int64_t{1});
    std::vector<ir::Value*> inputs{node->input(0)->producer()->input(0)};
    if (graph_.opset() >= 18) {
      inputs.push_back(constant(node->name() + "/axes",
                                HostTensor::from_values<std::int64_t>({static_cast<std::int64_t>(axes.size())}, axes)));
    } else {
      a.set("axes", axes);
    }
    const std::string reduce = node->op_type() == "GlobalAveragePool" ? "ReduceMean" : "ReduceMax";
    rewrite(node, std::move(inputs), std::move(a), p, reduce);
    return true;
  }

  ir::Graph& graph_;
  int counter_ = 0;
};

int count_transposes(const ir::Graph& graph) {
  int n = 0;
  for (const ir::Node* node : graph.nodes()) n += node->op_type() == "Transpose" && node->domain().empty();
  return n;
}

}  // namespace

int optimize_transposes(ir::Graph& graph) {
  const int before = count_transposes(graph);
  TransposeOptimizer optimizer(graph);
  bool changed = false;
  while (optimizer.step()) changed = true;
  changed = optimizer.transposes_to_reshapes() > 0 || changed;
  if (changed) {
    graph.topological_sort();
    graph.remove_unused_values();
  }
  return before - count_transposes(graph);
}

}  // namespace trtutils::builder
