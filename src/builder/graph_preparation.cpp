#include "builder/graph_preparation.hpp"

#include <algorithm>
#include <set>

#include "trtutils/builder/fusion_attributes.hpp"
#include "trtutils/core/error.hpp"
#include "trtutils/passes/passes.hpp"

namespace trtutils::builder {

namespace {

std::string input_names(const ir::Graph& graph) {
  std::string names;
  for (const ir::Value* in : graph.inputs()) names += (names.empty() ? "'" : ", '") + in->name() + "'";
  return names.empty() ? std::string("none") : names;
}

void apply_constant_inputs(ir::Graph& graph, const BuildOptions& options) {
  for (const auto& [name, tensor] : options.constant_inputs) {
    const auto it = std::find_if(graph.inputs().begin(), graph.inputs().end(),
                                 [&](const ir::Value* v) { return v->name() == name; });
    TRTUTILS_CHECK(it != graph.inputs().end(), "BuildOptions: constant input '", name,
                   "' is not an input of the graph (inputs: ", input_names(graph), ")");
    ir::Value* value = *it;
    TRTUTILS_CHECK(value->dtype() == DType::kUndefined || value->dtype() == tensor.dtype(),
                   "BuildOptions: constant input '", name, "' is ", dtype_name(tensor.dtype()),
                   " but the graph declares ", dtype_name(value->dtype()));
    if (value->shape()) {
      const ir::DimList& dims = *value->shape();
      bool fits = dims.size() == tensor.shape().size();
      for (std::size_t d = 0; fits && d < dims.size(); ++d) {
        fits = !dims[d].is_static() || dims[d].value == tensor.shape()[d];
      }
      TRTUTILS_CHECK(fits, "BuildOptions: constant input '", name, "' has shape ",
                     shape_to_string(tensor.shape()), " but the graph declares ",
                     ir::to_string(value->shape()));
    }
    value->set_constant(tensor);
    graph.inputs().erase(it);
  }
}

void apply_batch_and_check_static(ir::Graph& graph, const BuildOptions& options) {
  for (ir::Value* in : graph.inputs()) {
    if (!in->shape()) {
      throw ModelError(detail::concat("input '", in->name(),
                                      "' has no declared shape; the engine needs static shapes"));
    }
    ir::DimList dims = *in->shape();
    if (!dims.empty() && !dims[0].is_static() && options.batch) dims[0] = ir::Dim(options.batch->opt);
    for (std::size_t d = 0; d < dims.size(); ++d) {
      if (dims[d].is_static()) continue;
      throw ModelError(detail::concat(
          "input '", in->name(), "' dim ", d,
          dims[d].symbol.empty() ? std::string() : " ('" + dims[d].symbol + "')",
          " is not static (shape ", ir::to_string(in->shape()), "); ",
          d == 0 ? "give BuildOptions::batch for a dynamic batch, or " : "",
          "fix the input's shape in the model (or give its value in constant_inputs)"));
    }
    in->set_shape(std::move(dims));
  }
}

}  // namespace

void prepare_graph(ir::Graph& graph, const BuildOptions& options,
                   const ops::OpRegistry& registry) {
  apply_constant_inputs(graph, options);
  apply_batch_and_check_static(graph, options);
  passes::simplify(graph, registry);
}

bool is_fused_elementwise(const ir::Node& node) {
  return node.domain() == fusion_attributes::kFusedElementwiseDomain &&
         node.op_type() == fusion_attributes::kFusedElementwiseOp;
}

std::vector<std::string> shape_deciding_graph_inputs(const ir::Graph& graph, const ir::Node& node) {
  const std::set<const ir::Value*> graph_inputs(graph.inputs().begin(), graph.inputs().end());
  const bool first_too = node.op_type() == "ConstantOfShape" || node.op_type() == "Range";
  std::set<std::string> found;
  std::vector<const ir::Value*> work;
  for (std::size_t i = first_too ? 0 : 1; i < node.inputs().size(); ++i) {
    if (node.input(i) && !node.input(i)->is_constant()) work.push_back(node.input(i));
  }
  std::set<const ir::Value*> seen;
  while (!work.empty()) {
    const ir::Value* v = work.back();
    work.pop_back();
    if (!seen.insert(v).second || v->is_constant()) continue;
    if (graph_inputs.count(v)) found.insert(v->name());
    if (const ir::Node* producer = v->producer()) {
      for (const ir::Value* in : producer->inputs()) if (in) work.push_back(in);
    }
  }
  return {found.begin(), found.end()};
}

}  // namespace trtutils::builder
