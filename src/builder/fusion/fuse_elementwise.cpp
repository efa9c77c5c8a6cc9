// Groups connected element-wise nodes into trtutils.FusedElementwise nodes.
// Groups grow backwards from a root (visited in reverse topological order):
// a producer joins when it is element-wise, has the root's output shape and
// every consumer of its output is already in the group (and it is not a
// graph output), so the group has one output and no value escapes it.
#include <algorithm>
#include <map>
#include <set>

#include "builder/fusion/rewrite.hpp"
#include "ops/elementwise/gpu_expressions.hpp"
#include "trtutils/builder/fusion.hpp"

namespace trtutils::builder {

namespace fa = fusion_attributes;

namespace {

bool is_elementwise(const ir::Node& node) {
  if (!node.domain().empty() || node.outputs().size() != 1 || !node.output(0)) return false;
  if (!ops::gpu::find_elementwise_expression(node.op_type())) return false;
  if (!ir::is_static(node.output(0)->shape())) return false;
  for (const ir::Value* in : node.inputs()) {
    if (in && !in->is_constant() && !ir::is_static(in->shape())) return false;
  }
  return true;
}

std::vector<ir::Node*> grow_group(const ir::Graph& graph, ir::Node* root,
                                  const std::set<ir::Node*>& taken) {
  std::set<ir::Node*> group{root};
  const ir::MaybeShape& shape = root->output(0)->shape();
  for (bool grew = true; grew;) {
    grew = false;
    for (ir::Node* member : std::vector<ir::Node*>(group.begin(), group.end())) {
      for (ir::Value* in : member->inputs()) {
        ir::Node* p = in ? in->producer() : nullptr;
        if (!p || group.count(p) || taken.count(p) || !is_elementwise(*p)) continue;
        if (p->output(0)->shape() != shape || fusion::is_graph_output(graph, p->output(0))) continue;
        const auto& users = p->output(0)->consumers();
        if (!std::all_of(users.begin(), users.end(), [&](ir::Node* u) { return group.count(u) != 0; })) {
          continue;
        }
        group.insert(p);
        grew = true;
      }
    }
  }
  std::vector<ir::Node*> ordered;
  for (ir::Node* node : graph.nodes()) if (group.count(node)) ordered.push_back(node);
  return ordered;
}

void copy_type(const ir::Value* from, ir::Value* to) {
  to->set_dtype(from->dtype());
  to->set_shape(from->shape());
}

/// The group as a graph of its own, and the outer values feeding it.
std::shared_ptr<ir::Graph> extract(const ir::Graph& graph, const std::vector<ir::Node*>& group,
                                   std::vector<ir::Value*>& outer_inputs) {
  auto sub = std::make_shared<ir::Graph>();
  sub->opset_imports = graph.opset_imports;
  std::map<const ir::Value*, ir::Value*> mapped;
  const std::set<const ir::Node*> members(group.begin(), group.end());
  for (ir::Node* node : group) {
    std::vector<ir::Value*> ins;
    for (ir::Value* in : node->inputs()) {
      if (!in) {
        ins.push_back(nullptr);
        continue;
      }
      if (!mapped.count(in)) {
        ir::Value* v = sub->add_value(detail::concat("in", outer_inputs.size()));
        copy_type(in, v);
        sub->inputs().push_back(v);
        outer_inputs.push_back(in);
        mapped[in] = v;
      }
      ins.push_back(mapped.at(in));
    }
    ir::Value* out = sub->add_value(node->output(0)->name());
    copy_type(node->output(0), out);
    mapped[node->output(0)] = out;
    sub->add_node(node->op_type(), node->name(), std::move(ins), {out}, node->attributes());
  }
  sub->outputs().push_back(mapped.at(group.back()->output(0)));
  return sub;
}

}  // namespace

int fuse_elementwise_chains(ir::Graph& graph, FusedSubgraphs& subgraphs) {
  std::set<ir::Node*> taken;
  std::vector<std::vector<ir::Node*>> groups;
  const std::vector<ir::Node*> nodes = graph.nodes();
  for (auto it = nodes.rbegin(); it != nodes.rend(); ++it) {
    if (taken.count(*it) || !is_elementwise(**it)) continue;
    std::vector<ir::Node*> group = grow_group(graph, *it, taken);
    if (group.size() < 2) continue;
    taken.insert(group.begin(), group.end());
    groups.push_back(std::move(group));
  }
  for (const std::vector<ir::Node*>& group : groups) {
    std::vector<ir::Value*> outer_inputs;
    std::shared_ptr<ir::Graph> sub = extract(graph, group, outer_inputs);
    ir::Value* out = group.back()->output(0);
    std::string name = "fused";
    for (const ir::Node* node : group) name += "_" + node->name();
    if (name.size() > 120) name = detail::concat(name.substr(0, 100), "_", group.size(), "ops");
    for (ir::Node* node : group) graph.remove_node(node);
    graph.add_node(fa::kFusedElementwiseOp, name, outer_inputs, {out}, {},
                   fa::kFusedElementwiseDomain);
    subgraphs.by_node[name] = std::move(sub);
  }
  if (!groups.empty()) {
    graph.topological_sort();
    graph.remove_unused_values();
  }
  return static_cast<int>(groups.size());
}

}  // namespace trtutils::builder
