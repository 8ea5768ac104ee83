// Training step and checkpoints (see trainer.h).
#include "gan/trainer.h"

#include <cmath>
#include <limits>

#include "engine/checkpoint.h"
#include "engine/precision.h"
#include "gan/models2d.h"
#include "gan/models_zdc.h"
#include "kernels/cuda/gather.h"
#include "kernels/cuda/graph.h"
#include "kernels/cuda/runtime.h"

namespace dg::gan {

namespace {

AdamOptions adam_options(const TrainConfig& c, double lr) {
  AdamOptions o;
  o.lr = lr;
  o.beta1 = c.beta1;
  o.beta2 = c.beta2;
  o.eps = c.adam_eps;
  return o;
}

// Rows of `c` repeated k times each, consecutively: (B,C) -> (B*k,C). Conditions carry no grad.
Tensor repeat_rows(const Tensor& c, int64_t k) {
  const int64_t b = c.size(0), w = c.numel() / std::max<int64_t>(b, 1);
  Tensor host = c.to(Device::CPU);
  Tensor out = Tensor::empty({b * k, c.size(1)}, c.dtype());
  const float* s = host.data<float>();
  float* d = out.data<float>();
  for (int64_t i = 0; i < b; ++i)
    for (int64_t r = 0; r < k; ++r) std::copy(s + i * w, s + (i + 1) * w, d + (i * k + r) * w);
  return out.to(c.device());
}

// Largest data set kept on the device for device-side batch gathering: 2^31 sample elements (8 GiB
// of float32, and within the int32 row indices); larger ones are staged from the host every step.
constexpr int64_t kMaxDeviceElements = int64_t(1) << 31;

// ZDC images live in log1p space: above log(FLT_MAX) their counts (expm1) overflow to inf.
constexpr double kLog1pCountLimit = 88.72;

void check_finite(double v, const char* what, int64_t step) {
  DG_CHECK(std::isfinite(v),
           "training diverged at step "
               << step << ": " << what << " is " << v
               << " (try a smaller lambda or learning rate; the last checkpoint is intact)");
}

nn::NamedTensors prefixed(const std::string& p, const nn::NamedTensors& ts) {
  nn::NamedTensors out;
  for (auto& [n, t] : ts) out.emplace_back(p + n, t);
  return out;
}

nn::NamedTensors state_tensors(const Models& m, const Adam& og, const Adam& od) {
  nn::NamedTensors all;
  for (auto& v : {prefixed("G.", m.g->named_parameters()), prefixed("G.", m.g->named_buffers()),
                  prefixed("D.", m.d->named_parameters()), prefixed("D.", m.d->named_buffers()),
                  prefixed("optG.", og.named_state()), prefixed("optD.", od.named_state())})
    all.insert(all.end(), v.begin(), v.end());
  return all;
}

}  // namespace

Models make_models(const TrainConfig& cfg) {
  cfg.validate();
  Philox init(cfg.seed, 0);
  Models m;
  m.dropout_rng = std::make_shared<Philox>(cfg.seed ^ 0x5eedd00dULL, 0);
  if (cfg.dataset == "zdc") {
    if (cfg.generator == "dcgan")
      m.g = std::make_shared<ZdcDcganGenerator>(init, m.dropout_rng);
    else
      m.g = std::make_shared<ZdcGenerator>(init, m.dropout_rng);
    m.d = std::make_shared<ZdcDiscriminator>(init, m.dropout_rng);
    return m;
  }
  m.g = std::make_shared<Generator2D>(cfg.latent, 10, cfg.hidden, init);
  m.d = std::make_shared<Discriminator2D>(10, cfg.hidden, init);
  return m;
}

Trainer::Trainer(TrainConfig cfg, std::shared_ptr<const data::ConditionalDataset> data,
                 Models models)
    : cfg_(std::move(cfg)),
      data_(std::move(data)),
      m_(std::move(models)),
      opt_g_(m_.g->named_parameters(), adam_options(cfg_, cfg_.lr_g)),
      opt_d_(m_.d->named_parameters(), adam_options(cfg_, cfg_.lr_d)),
      z_rng_(cfg_.seed, 1ULL << 48),
      data_rng_(cfg_.seed, 2ULL << 48) {
  cfg_.validate();
  precision_ = parse_matmul_precision(cfg_.precision);
  DG_CHECK(data_->size() > 0, "training set is empty");
  if (cfg_.graph) set_graph_mode(true);
  DG_CHECK(data_->condition_dim() == 10 || cfg_.dataset != "2d", "2D data must have 10 conditions");
}

namespace {

// The step's fixed input tensor `t`, (re)created on `dev` when it does not have `shape` yet; its
// address then stays the same from step to step (a captured graph reads it).
void ensure_input(Tensor& t, const Shape& shape, Device dev) {
  if (!t.defined() || t.shape() != shape) t = Tensor::empty(shape, DType::F32, dev);
}

// Copies a host tensor into the step's fixed input tensor on `dev`.
void stage_into(Tensor& dst, const Tensor& src, Device dev) {
  if (!src.defined()) return;
  ensure_input(dst, src.shape(), dev);
  if (dev == Device::CUDA)
    cuda::copy_host_to_device_async(dst.raw(), src.raw(), src.nbytes());
  else
    dst.copy_(src);
}

}  // namespace

void Trainer::stage() {
  const int64_t b = cfg_.batch, k = m_.g->latent_dim();
  const Regularizer reg = cfg_.reg;
  // Batch rows drawn with replacement: a pure function of the data stream, so resume is exact.
  std::vector<double> u(b);
  data_rng_.fill_uniform(u.data(), b);
  std::vector<int64_t> idx(b);
  for (int64_t i = 0; i < b; ++i)
    idx[i] = std::min<int64_t>(static_cast<int64_t>(u[i] * data_->size()), data_->size() - 1);
  const Device dev = m_.g->device();
  data::Batch batch;
  if (dev == Device::CUDA &&
      data_->size() * shape_numel(data_->sample_shape()) <= kMaxDeviceElements) {
    stage_from_device_data(idx);
  } else {
    batch = data_->batch(idx, data_rng_);
    stage_into(in_.x, batch.x, dev);
    stage_into(in_.c, batch.c, dev);
    stage_into(in_.x_pair, batch.x_pair, dev);
    stage_into(in_.fdiv, batch.fdiv, dev);
  }
  // Latents of one generator pass: z1 for every variant, z2 for the pairwise regularizers, the
  // positive's jitter and K negatives for DivCo.
  stage_into(in_.z1, z_rng_.normal({b, k}), dev);
  if (needs_second_latent(reg)) {
    stage_into(in_.z2, z_rng_.normal({b, k}), dev);
  } else if (reg == Regularizer::DivCo) {
    const double r = cfg_.reg_opt.divco_radius;
    const int64_t kneg = cfg_.reg_opt.divco_negatives;
    stage_into(in_.z2, z_rng_.uniform({b, k}, -r, r), dev);
    stage_into(in_.z_neg, z_rng_.normal({b * kneg, k}), dev);
    if (!dev_data_.x.defined()) stage_into(in_.c_neg, repeat_rows(batch.c, kneg), dev);
  }
  if (!stats_.defined()) stats_ = Tensor::zeros({4}, DType::F32, dev);
}

void Trainer::stage_from_device_data(const std::vector<int64_t>& idx) {
  const int64_t b = static_cast<int64_t>(idx.size());
  if (!dev_data_.x.defined()) {
    data::Batch all = data_->all_samples();
    dev_data_.x = all.x.to(Device::CUDA);
    dev_data_.c = all.c.to(Device::CUDA);
    dev_data_.fdiv = all.fdiv.to(Device::CUDA);
  }
  const std::vector<int64_t> pairs = data::draw_real_pairs(data_->groups(), idx, data_rng_);
  // Rows of one step: the batch, its pairs and, for DivCo, each row repeated for its negatives.
  const int64_t kneg = cfg_.reg == Regularizer::DivCo ? cfg_.reg_opt.divco_negatives : 0;
  std::vector<int32_t> rows;
  rows.reserve(static_cast<size_t>(b * (2 + kneg)));
  for (int64_t i : idx) rows.push_back(static_cast<int32_t>(i));
  for (int64_t j : pairs) rows.push_back(static_cast<int32_t>(j));
  for (int64_t i : idx)
    for (int64_t r = 0; r < kneg; ++r) rows.push_back(static_cast<int32_t>(i));
  const int64_t n = static_cast<int64_t>(rows.size());
  if (dev_data_.rows_capacity < n) {
    dev_data_.rows = std::shared_ptr<void>(cuda::device_malloc(sizeof(int32_t) * n),
                                           [](void* p) { cuda::device_free(p); });
    dev_data_.rows_capacity = n;
  }
  auto* d_rows = static_cast<int32_t*>(dev_data_.rows.get());
  cuda::copy_host_to_device_async(d_rows, rows.data(), sizeof(int32_t) * rows.size());
  auto ensure = [](Tensor& t, const Shape& shape) { ensure_input(t, shape, Device::CUDA); };
  Shape xs = data_->sample_shape();
  xs.insert(xs.begin(), b);
  const int64_t w = shape_numel(data_->sample_shape()), cd = data_->condition_dim();
  ensure(in_.x, xs);
  ensure(in_.x_pair, xs);
  ensure(in_.c, {b, cd});
  ensure(in_.fdiv, {b});
  cuda::gather_rows(dev_data_.x.data<float>(), w, d_rows, b, in_.x.data<float>());
  cuda::gather_rows(dev_data_.x.data<float>(), w, d_rows + b, b, in_.x_pair.data<float>());
  cuda::gather_rows(dev_data_.c.data<float>(), cd, d_rows, b, in_.c.data<float>());
  cuda::gather_rows(dev_data_.fdiv.data<float>(), 1, d_rows, b, in_.fdiv.data<float>());
  if (kneg > 0) {
    ensure(in_.c_neg, {b * kneg, cd});
    cuda::gather_rows(dev_data_.c.data<float>(), cd, d_rows + 2 * b, b * kneg,
                      in_.c_neg.data<float>());
  }
}

void Trainer::put_stat(int index, const Tensor& scalar) {
  if (stats_.device() == Device::CUDA)
    cuda::copy_device_to_device(stats_.data<float>() + index, scalar.data<float>(), sizeof(float));
  else
    stats_.data<float>()[index] = scalar.data<float>()[0];
}

void Trainer::compute() {
  HostTransferGuard device_only;
  MatmulPrecisionGuard precision(precision_);
  const int64_t b = cfg_.batch;
  const Regularizer reg = cfg_.reg;
  const double lambda = cfg_.effective_lambda();
  m_.g->train();
  m_.d->train();
  const Tensor& c = in_.c;
  const Tensor& z1 = in_.z1;
  Tensor z2;
  std::vector<Tensor> zs{z1}, cs{c};
  const int64_t kneg = cfg_.reg_opt.divco_negatives;
  if (needs_second_latent(reg)) {
    z2 = in_.z2;
    zs.push_back(z2);
    cs.push_back(c);
  } else if (reg == Regularizer::DivCo) {
    zs.push_back(add(z1, in_.z2));
    cs.push_back(c);
    zs.push_back(in_.z_neg);
    cs.push_back(in_.c_neg);
  }
  Tensor z_all = zs.size() == 1 ? z1 : concat(zs, 0);
  Tensor c_all = cs.size() == 1 ? c : concat(cs, 0);
  Tensor fake = m_.g->generate(z_all, c_all);
  Tensor fake1 = zs.size() == 1 ? fake : narrow(fake, 0, b);
  Tensor diverged = overflow_measure(fake);

  // Discriminator: real -> 1, generated -> 0.
  opt_d_.zero_grad();
  {
    Tensor lr = bce_with_logits(m_.d->discriminate(in_.x, c).logit, 1.0);
    Tensor lf = bce_with_logits(m_.d->discriminate(fake1.detach(), c).logit, 0.0);
    Tensor loss_d = add(lr, lf);
    put_stat(0, loss_d);
    diverged = add(diverged, nonfinite_flag(loss_d));
    loss_d.backward();
    opt_d_.step();
  }

  // Generator: adversarial term on the first B rows, regularizer on the rest.
  opt_g_.zero_grad();
  const bool feature_reg =
      reg == Regularizer::SDI || reg == Regularizer::DivBal || reg == Regularizer::DivCo;
  DiscriminatorOutput out = m_.d->discriminate(feature_reg ? fake : fake1, feature_reg ? c_all : c);
  Tensor logit1 = feature_reg ? narrow(out.logit, 0, b) : out.logit;
  Tensor loss_adv = bce_with_logits(logit1, 1.0);
  Tensor loss_div;
  const double eps = cfg_.reg_opt.eps;
  switch (reg) {
    case Regularizer::None:
      break;
    case Regularizer::MS:
      loss_div = ms_loss(fake1, narrow(fake, b, b), z1, z2, eps);
      break;
    case Regularizer::DS:
      loss_div = ds_loss(fake1, narrow(fake, b, b), z1, z2, cfg_.reg_opt.ds_tau, eps);
      break;
    case Regularizer::SDI:
      loss_div =
          sdi_loss(narrow(out.features, 0, b), narrow(out.features, b, b), z1, z2, in_.fdiv, eps);
      break;
    case Regularizer::DivBal: {
      Tensor e1 = narrow(out.features, 0, b), e2 = narrow(out.features, b, b);
      Tensor w;
      {
        NoGradGuard ng;
        DiscriminatorOutput real =
            m_.d->discriminate(concat({in_.x, in_.x_pair}, 0), concat({c, c}, 0));
        w = divbal_weights(narrow(real.features, 0, b), narrow(real.features, b, b), e1, e2);
      }
      loss_div = divbal_loss(e1, e2, z1, z2, w, eps);
      break;
    }
    case Regularizer::DivCo:
      loss_div = divco_loss(narrow(out.features, 0, b), narrow(out.features, b, b),
                            narrow(out.features, 2 * b, b * kneg), kneg, cfg_.reg_opt.divco_tau);
      break;
  }
  put_stat(1, loss_adv);
  diverged = add(diverged, nonfinite_flag(loss_adv));
  Tensor loss_g = loss_adv;
  if (loss_div.defined()) {
    put_stat(2, loss_div);
    diverged = add(diverged, nonfinite_flag(loss_div));
    loss_g = add(loss_adv, mul(loss_div, lambda));
  }
  {
    // Sticky: added to the previous steps' measure, so a divergence between two reads of the
    // stats (the GPU reads them every few steps) is still reported at the next one.
    NoGradGuard ng;
    put_stat(3, add(reshape(narrow(stats_, 3, 1), {}), diverged.detach()));
  }
  loss_g.backward();
  opt_g_.step();
}

void Trainer::step_async() {
  stage();
  if (graph_ && graph_->captured()) {
    graph_->replay();
  } else if (graph_mode_ && eager_steps_ >= 2) {
    // Two eager steps first: gradients, Adam moments, cuBLAS and cuDNN state (handle, plans) and
    // the allocator's blocks then exist (the second step already runs with the first one's
    // gradients alive, as every later step does), so the captured step finds its memory cached.
    try {
      graph_->capture([this] { compute(); });
    } catch (...) {
      // Not retried every step: graph mode stays off until set_graph_mode(true) again.
      graph_.reset();
      graph_mode_ = false;
      throw;
    }
  } else {
    if (graph_mode_ && !graph_) {
      // The graph's own device memory is allocated with the warm-up, not at the capture.
      graph_ = std::make_unique<StepGraph>();
      graph_->prepare();
    }
    compute();
    ++eager_steps_;
  }
  ++step_;
}

StepStats Trainer::step() {
  step_async();
  return last_stats();
}

void Trainer::set_graph_mode(bool on) {
  DG_CHECK(!on || m_.g->device() == Device::CUDA,
           "graph mode needs the models on the GPU (CUDA graphs); they are on "
               << device_name(m_.g->device()));
  graph_mode_ = on;
  graph_.reset();
  eager_steps_ = 0;
}

int64_t Trainer::graph_kernel_nodes() const { return graph_ ? graph_->kernel_nodes() : 0; }

StepStats Trainer::last_stats() const {
  DG_CHECK(stats_.defined(), "last_stats() before the first step");
  const std::vector<double> v = stats_.to_vector();
  const int64_t at = step_ - 1;
  StepStats st{v[0], v[1], v[2]};
  check_finite(st.loss_d, "the discriminator loss", at);
  check_finite(st.loss_g_adv, "the generator loss", at);
  check_finite(st.loss_div, "the diversity loss", at);
  DG_CHECK(v[3] == 0,
           "training diverged at or before step "
               << at << ": a loss or generated values became "
               << (cfg_.dataset == "zdc"
                       ? "non-finite or beyond log1p(count) 88.72 (counts overflow float32)"
                       : "non-finite")
               << ", summed excess " << v[3]
               << " (try a smaller lambda or learning rate; the last checkpoint is intact)");
  return st;
}

Tensor Trainer::overflow_measure(const Tensor& fake) const {
  // Image-space diversity rewards can push a ReLU-output generator up until expm1 overflows; the
  // summed excess over the limit is 0 exactly when every value is within it. relu maps NaN to 0,
  // so non-finite values are caught by the second term (0 * sum is NaN exactly when one is).
  NoGradGuard ng;
  Tensor flag = nonfinite_flag(sum(fake));
  if (cfg_.dataset != "zdc") return flag;
  return add(sum(relu(add(abs(fake), -kLog1pCountLimit))), flag);
}

Tensor Trainer::nonfinite_flag(const Tensor& scalar) {
  NoGradGuard ng;
  return mul(scalar.detach(), 0.0);  // 0, or NaN when the scalar is inf or NaN
}

bool Trainer::state_finite() const {
  for (auto& [name, t] : state_tensors(m_, opt_g_, opt_d_)) {
    Tensor host = t.to(Device::CPU);
    if (host.dtype() != DType::F32) continue;
    const float* p = host.data<float>();
    for (int64_t i = 0; i < host.numel(); ++i)
      if (!std::isfinite(p[i])) return false;
  }
  return true;
}

void Trainer::save(const std::string& path) const {
  DG_CHECK(!nn::has_folded_batch_norm(*m_.g) && !nn::has_folded_batch_norm(*m_.d),
           "not writing " << path
                          << ": the model's batch norms are folded for inference (its weights "
                             "are no longer the training state)");
  // A checkpoint must stay a usable model: never overwrite a good one with a diverged state.
  DG_CHECK(state_finite(),
           "training diverged at step "
               << step_ << ": a parameter or optimizer state is non-finite; not writing " << path
               << " (the last checkpoint is intact; try a smaller lambda or learning rate)");
  std::map<std::string, std::string> meta = extra_meta_;
  meta["format"] = "divgan-train-v1";
  meta["config"] = cfg_.to_json().dump();
  meta["step"] = std::to_string(step_);
  meta["optG.steps"] = std::to_string(opt_g_.steps());
  meta["optD.steps"] = std::to_string(opt_d_.steps());
  meta["rng.z"] = std::to_string(z_rng_.offset());
  meta["rng.data"] = std::to_string(data_rng_.offset());
  meta["rng.dropout"] = std::to_string(m_.dropout_rng->offset());
  save_safetensors(path, state_tensors(m_, opt_g_, opt_d_), meta);
}

uint64_t checkpoint_metadata_u64(const SafetensorsFile& f, const std::string& path,
                                 const std::string& key) {
  auto it = f.metadata.find(key);
  DG_CHECK(it != f.metadata.end(), path << ": checkpoint metadata lacks '" << key << "'");
  try {
    size_t used = 0;
    unsigned long long v = std::stoull(it->second, &used);
    DG_CHECK(used == it->second.size(), "trailing characters");
    return v;
  } catch (const std::exception&) {
    DG_FAIL(path << ": checkpoint metadata '" << key << "' is not an unsigned integer: '"
                 << it->second << "'");
  }
}

TrainConfig read_checkpoint_config(const std::string& path) {
  return checkpoint_config(load_safetensors(path), path);
}

TrainConfig checkpoint_config(const SafetensorsFile& f, const std::string& path) {
  auto it = f.metadata.find("config");
  DG_CHECK(it != f.metadata.end(),
           path << ": not a divgan training checkpoint (no 'config' metadata)");
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(it->second);
  } catch (const nlohmann::json::exception& e) {
    DG_FAIL(path << ": checkpoint 'config' metadata is not valid JSON: " << e.what());
  }
  TrainConfig c = TrainConfig::from_json(j);
  // How the step ran is not part of the model: a checkpoint from a graph-mode run loads anywhere,
  // and whoever resumes it decides again (train --graph).
  c.graph = false;
  return c;
}

void Trainer::load(const std::string& path) {
  SafetensorsFile f = load_safetensors(path);
  auto fmt = f.metadata.find("format");
  DG_CHECK(fmt != f.metadata.end() && fmt->second == "divgan-train-v1",
           path << ": not a divgan training checkpoint (metadata 'format' missing or unknown)");
  restore_tensors(f, state_tensors(m_, opt_g_, opt_d_));
  step_ = static_cast<int64_t>(checkpoint_metadata_u64(f, path, "step"));
  opt_g_.set_steps(static_cast<int64_t>(checkpoint_metadata_u64(f, path, "optG.steps")));
  opt_d_.set_steps(static_cast<int64_t>(checkpoint_metadata_u64(f, path, "optD.steps")));
  z_rng_.set_offset(checkpoint_metadata_u64(f, path, "rng.z"));
  data_rng_.set_offset(checkpoint_metadata_u64(f, path, "rng.data"));
  m_.dropout_rng->set_offset(checkpoint_metadata_u64(f, path, "rng.dropout"));
  stats_ = Tensor();  // a fresh divergence measure for the restored state
}

}  // namespace dg::gan
