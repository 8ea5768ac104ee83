// Reverse-mode autograd engine (see autograd.h).
#include "engine/autograd.h"

#include <unordered_map>
#include <unordered_set>

#include "engine/ops.h"

namespace dg {

namespace {
thread_local bool g_grad_enabled = true;
}

NoGradGuard::NoGradGuard() : prev(g_grad_enabled) { g_grad_enabled = false; }
NoGradGuard::~NoGradGuard() { g_grad_enabled = prev; }

bool needs_grad(std::initializer_list<const Tensor*> inputs) {
  if (!g_grad_enabled) return false;
  for (const Tensor* t : inputs)
    if (t && t->defined() && t->requires_grad()) return true;
  return false;
}

void record(Tensor& out, const char* name, std::vector<Tensor> inputs, BackwardFn fn) {
  auto node = std::make_shared<Node>();
  node->name = name;
  node->inputs = std::move(inputs);
  node->backward = std::move(fn);
  out.impl()->grad_fn = std::move(node);
  out.impl()->requires_grad = true;
}

void run_backward(const Tensor& root, const Tensor& seed) {
  DG_CHECK(root.requires_grad(), "backward: tensor does not require grad");
  DG_CHECK(seed.shape() == root.shape(), "backward: seed shape " << shape_str(seed.shape())
                                                                 << " != output shape "
                                                                 << shape_str(root.shape()));
  NoGradGuard no_grad;
  // Topological order over TensorImpls reached through grad_fn (iterative DFS: deep nets are fine).
  std::vector<TensorImpl*> order;
  std::unordered_set<TensorImpl*> seen;
  std::unordered_map<TensorImpl*, Tensor> holders;
  std::vector<std::pair<TensorImpl*, size_t>> stack;
  holders.emplace(root.impl(), root);
  stack.push_back({root.impl(), 0});
  seen.insert(root.impl());
  while (!stack.empty()) {
    auto& [t, i] = stack.back();
    Node* n = t->grad_fn.get();
    if (n && i < n->inputs.size()) {
      const Tensor& in = n->inputs[i++];
      if (in.defined() && in.requires_grad() && !seen.count(in.impl())) {
        seen.insert(in.impl());
        holders.emplace(in.impl(), in);
        stack.push_back({in.impl(), 0});
      }
      continue;
    }
    order.push_back(t);
    stack.pop_back();
  }
  std::unordered_map<TensorImpl*, Tensor> grads;
  grads[root.impl()] = seed;
  for (auto it = order.rbegin(); it != order.rend(); ++it) {
    TensorImpl* t = *it;
    auto g = grads.find(t);
    if (g == grads.end()) continue;
    Tensor gout = g->second;
    grads.erase(g);
    if (!t->grad_fn) {  // leaf: accumulate into .grad
      Tensor leaf = holders.at(t);
      Tensor cur = leaf.grad();
      if (!cur.defined()) {
        leaf.set_grad(gout.clone());
      } else {
        add_(cur, gout);
      }
      continue;
    }
    Node* n = t->grad_fn.get();
    std::vector<Tensor> gin = n->backward(gout);
    DG_ASSERT(gin.size() == n->inputs.size(), "backward of " << n->name << " returned "
                                                             << gin.size() << " gradients for "
                                                             << n->inputs.size() << " inputs");
    for (size_t i = 0; i < gin.size(); ++i) {
      const Tensor& in = n->inputs[i];
      if (!in.defined() || !in.requires_grad() || !gin[i].defined()) continue;
      DG_ASSERT(gin[i].shape() == in.shape(), "backward of "
                                                  << n->name << ": gradient " << i << " has shape "
                                                  << shape_str(gin[i].shape()) << ", input has "
                                                  << shape_str(in.shape()));
      auto e = grads.find(in.impl());
      if (e == grads.end()) {
        grads.emplace(in.impl(), gin[i]);
      } else {
        // The stored gradient may alias a tensor a backward returned as-is; never write into it.
        e->second = add(e->second, gin[i]);
      }
    }
  }
}

}  // namespace dg
