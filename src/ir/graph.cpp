#include "trtutils/ir/graph.hpp"

#include <algorithm>
#include <functional>
#include <queue>
#include <set>
#include <sstream>
#include <unordered_map>

namespace trtutils::ir {

const HostTensor& Value::constant() const {
  if (!constant_) throw ModelError(detail::concat("value '", name_, "' is not a constant"));
  return *constant_;
}

void Value::set_constant(HostTensor tensor) {
  dtype_ = tensor.dtype();
  shape_ = from_static(tensor.shape());
  constant_ = std::move(tensor);
}

std::string Node::describe() const {
  return detail::concat(op_type_, " '", name_, "'");
}

std::int64_t Graph::opset() const {
  const auto it = opset_imports.find("");
  if (it != opset_imports.end()) return it->second;
  const auto onnx = opset_imports.find("ai.onnx");
  return onnx != opset_imports.end() ? onnx->second : 0;
}

Value* Graph::add_value(const std::string& value_name) {
  if (values_by_name_.count(value_name)) {
    throw ModelError(detail::concat("value '", value_name,
                                    "' is defined twice; ONNX graphs must be in SSA form"));
  }
  values_.push_back(std::make_unique<Value>(value_name));
  Value* value = values_.back().get();
  values_by_name_[value_name] = value;
  return value;
}

Value* Graph::find_value(const std::string& value_name) const {
  const auto it = values_by_name_.find(value_name);
  return it == values_by_name_.end() ? nullptr : it->second;
}

Value* Graph::add_unique_value(const std::string& hint) {
  std::string candidate;
  do {
    candidate = detail::concat(hint, "__", unique_counter_++);
  } while (values_by_name_.count(candidate));
  return add_value(candidate);
}

Node* Graph::add_node(std::string op_type, std::string node_name, std::vector<Value*> inputs,
                      std::vector<Value*> outputs, Attributes attributes, std::string domain) {
  auto node = std::make_unique<Node>();
  node->op_type_ = std::move(op_type);
  node->name_ = std::move(node_name);
  node->domain_ = std::move(domain);
  node->inputs_ = std::move(inputs);
  node->outputs_ = std::move(outputs);
  node->attributes_ = std::move(attributes);
  Node* raw = node.get();
  for (Value* in : raw->inputs_) {
    if (in) in->consumers_.push_back(raw);
  }
  for (Value* out : raw->outputs_) {
    if (!out) continue;
    if (out->producer_ != nullptr) {
      throw ModelError(detail::concat("value '", out->name(), "' is produced by both ",
                                      out->producer_->describe(), " and ", raw->describe()));
    }
    out->producer_ = raw;
  }
  nodes_.push_back(std::move(node));
  return raw;
}

namespace {
void erase_one(std::vector<Node*>& list, const Node* node) {
  const auto it = std::find(list.begin(), list.end(), node);
  if (it != list.end()) list.erase(it);
}
}  // namespace

void Graph::remove_node(Node* node) {
  for (Value* in : node->inputs_) {
    if (in) erase_one(in->consumers_, node);
  }
  for (Value* out : node->outputs_) {
    if (out && out->producer_ == node) out->producer_ = nullptr;
  }
  const auto it = std::find_if(nodes_.begin(), nodes_.end(),
                               [node](const auto& owned) { return owned.get() == node; });
  if (it != nodes_.end()) nodes_.erase(it);
}

void Graph::set_node_input(Node* node, std::size_t slot, Value* value) {
  if (slot >= node->inputs_.size()) node->inputs_.resize(slot + 1, nullptr);
  if (Value* old = node->inputs_[slot]) erase_one(old->consumers_, node);
  node->inputs_[slot] = value;
  if (value) value->consumers_.push_back(node);
}

void Graph::replace_all_uses(Value* from, Value* to) {
  const std::vector<Node*> users = from->consumers_;
  std::set<Node*> done;
  for (Node* user : users) {
    if (!done.insert(user).second) continue;
    for (std::size_t i = 0; i < user->inputs_.size(); ++i) {
      if (user->inputs_[i] == from) set_node_input(user, i, to);
    }
  }
  std::replace(outputs_.begin(), outputs_.end(), from, to);
}

void Graph::remove_unused_values() {
  std::set<const Value*> used(inputs_.begin(), inputs_.end());
  used.insert(outputs_.begin(), outputs_.end());
  for (const auto& node : nodes_) {
    used.insert(node->inputs_.begin(), node->inputs_.end());
    used.insert(node->outputs_.begin(), node->outputs_.end());
  }
  std::erase_if(values_, [&](const std::unique_ptr<Value>& v) {
    if (used.count(v.get())) return false;
    values_by_name_.erase(v->name());
    return true;
  });
}

std::vector<Node*> Graph::nodes() const {
  std::vector<Node*> list;
  list.reserve(nodes_.size());
  for (const auto& n : nodes_) list.push_back(n.get());
  return list;
}

std::vector<Value*> Graph::values() const {
  std::vector<Value*> list;
  list.reserve(values_.size());
  for (const auto& v : values_) list.push_back(v.get());
  return list;
}

void Graph::topological_sort() {
  // Kahn's algorithm with a min-heap on the original position, so the result
  // is stable (a graph already in order keeps it) and O(n log n).
  const std::size_t count = nodes_.size();
  std::unordered_map<const Node*, std::size_t> position;
  for (std::size_t i = 0; i < count; ++i) position[nodes_[i].get()] = i;
  std::vector<std::size_t> pending(count, 0);
  for (std::size_t i = 0; i < count; ++i) {
    for (const Value* in : nodes_[i]->inputs_) {
      if (in && in->producer_ && position.count(in->producer_)) ++pending[i];
    }
  }
  std::priority_queue<std::size_t, std::vector<std::size_t>, std::greater<>> ready;
  for (std::size_t i = 0; i < count; ++i) {
    if (pending[i] == 0) ready.push(i);
  }
  std::vector<std::size_t> order;
  order.reserve(count);
  while (!ready.empty()) {
    const std::size_t i = ready.top();
    ready.pop();
    order.push_back(i);
    for (const Value* out : nodes_[i]->outputs_) {
      if (!out) continue;
      for (const Node* consumer : out->consumers_) {
        const std::size_t c = position.at(consumer);
        // A consumer reading this value in several slots was counted once per slot.
        if (--pending[c] == 0) ready.push(c);
      }
    }
  }
  if (order.size() < count) {
    std::vector<bool> placed(count, false);
    for (std::size_t i : order) placed[i] = true;
    std::string stuck;
    for (std::size_t i = 0; i < count; ++i) {
      if (!placed[i]) stuck += detail::concat(stuck.empty() ? "" : ", ", nodes_[i]->describe());
    }
    throw ModelError(detail::concat("the graph has a cycle through: ", stuck));
  }
  std::vector<std::unique_ptr<Node>> ordered;
  ordered.reserve(count);
  for (std::size_t i : order) ordered.push_back(std::move(nodes_[i]));
  nodes_ = std::move(ordered);
}

void Graph::validate() const {
  std::vector<std::string> problems;
  std::set<const Value*> available(inputs_.begin(), inputs_.end());
  for (const auto& v : values_) {
    if (v->is_constant()) available.insert(v.get());
  }
  for (const auto& node : nodes_) {
    for (const Value* in : node->inputs_) {
      if (in && !available.count(in)) {
        problems.push_back(detail::concat(node->describe(), " reads '", in->name(), "', which ",
                                          in->producer_ ? "is computed later (order is not topological)"
                                                        : "no node, input or initializer defines"));
      }
    }
    for (const Value* out : node->outputs_) {
      if (out) available.insert(out);
    }
  }
  for (const Value* out : outputs_) {
    if (!available.count(out)) {
      problems.push_back(detail::concat("graph output '", out->name(), "' is never computed"));
    }
  }
  if (problems.empty()) return;
  std::string message = detail::concat("graph '", name, "' is invalid (", problems.size(),
                                       " problem", problems.size() == 1 ? "" : "s", "):");
  for (const auto& p : problems) message += "\n  " + p;
  throw ModelError(message);
}

namespace {
std::string describe_value(const Value* v) {
  if (!v) return "<none>";
  return detail::concat(v->name(), ": ", dtype_name(v->dtype()), to_string(v->shape()),
                        v->is_constant() ? " const" : "");
}
}  // namespace

std::string Graph::dump() const {
  std::ostringstream out;
  out << "graph " << (name.empty() ? "<unnamed>" : name) << " (opset " << opset() << ")\n";
  for (const Value* in : inputs_) out << "  input  " << describe_value(in) << "\n";
  for (const Value* o : outputs_) out << "  output " << describe_value(o) << "\n";
  for (const auto& node : nodes_) {
    out << "  " << node->describe() << "(";
    for (std::size_t i = 0; i < node->inputs_.size(); ++i) {
      out << (i ? ", " : "") << (node->inputs_[i] ? node->inputs_[i]->name() : "<none>");
    }
    out << ") -> ";
    for (std::size_t i = 0; i < node->outputs_.size(); ++i) {
      out << (i ? ", " : "") << describe_value(node->outputs_[i]);
    }
    out << "\n";
  }
  return out.str();
}

}  // namespace trtutils::ir
