// Reverse-mode autograd: each op that sees an input requiring grad records a Node holding its
// inputs and a backward closure that captures only what it needs. Gradients accumulate (+=) into
// leaves' .grad; backward() on a scalar walks the graph in reverse topological order.
#pragma once
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "engine/tensor.h"

namespace dg {

// Given dL/d(output), returns dL/d(input_i) for each input (an undefined Tensor where the input
// needs no gradient). The returned tensors are owned by the caller; they are never accumulated
// into.
using BackwardFn = std::function<std::vector<Tensor>(const Tensor& grad_output)>;

struct Node {
  std::string name;
  std::vector<Tensor> inputs;  // in the order BackwardFn returns gradients
  BackwardFn backward;
};

// Gradient recording off while alive (thread-local; nests).
struct NoGradGuard {
  NoGradGuard();
  ~NoGradGuard();
  bool prev;
};

// True when recording is on and any input requires grad.
bool needs_grad(std::initializer_list<const Tensor*> inputs);
inline bool needs_grad(const Tensor& a) { return needs_grad({&a}); }
inline bool needs_grad(const Tensor& a, const Tensor& b) { return needs_grad({&a, &b}); }

// Attach a node to `out` (marks it requires_grad). Inputs that are undefined are allowed.
void record(Tensor& out, const char* name, std::vector<Tensor> inputs, BackwardFn fn);

// Runs backward from `root` with seed gradient `seed` (same shape as root).
void run_backward(const Tensor& root, const Tensor& seed);

}  // namespace dg
