// Training step and checkpoints (see trainer.h).
#include "gan/trainer.h"

#include <charconv>
#include <cmath>
#include <limits>
#include <system_error>

#include "engine/checkpoint.h"
#include "engine/precision.h"
#include "gan/aux_regression.h"
#include "gan/models2d.h"
#include "gan/models_zdc.h"

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

// Largest data set kept on the GPU for gathering batches there: 2^31 sample elements (8 GiB of
// float32); a larger one stays on the host, where its batches are gathered and then uploaded.
constexpr int64_t kMaxDeviceElements = int64_t(1) << 31;

void check_finite(double v, const char* what, int64_t step) {
  DG_CHECK(std::isfinite(v),
           "training diverged at step "
               << step << ": " << what << " is " << v
               << " (try a smaller lambda or learning rate; the last checkpoint is intact)");
}

// The gradients of `net`'s parameters that have one (the same set on every rank).
std::vector<Tensor> gradients(const nn::Module& net) {
  std::vector<Tensor> out;
  for (const Tensor& p : net.parameters())
    if (p.grad().defined()) out.push_back(p.grad());
  return out;
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
  if (cfg.dataset == Dataset::Zdc) {
    if (cfg.generator == GeneratorArch::Dcgan)
      m.g = std::make_shared<ZdcDcganGenerator>(init, m.dropout_rng);
    else
      m.g = std::make_shared<ZdcGenerator>(init, m.dropout_rng);
    ZdcDiscriminatorTips tips;
    tips.aux_head = cfg.aux_regression();
    tips.sparsity = cfg.soft_sparsity;
    tips.alpha = cfg.sparsity_alpha;
    tips.beta = cfg.sparsity_beta;
    tips.minibatch_kernels = cfg.minibatch_kernels;
    m.d = std::make_shared<ZdcDiscriminator>(init, m.dropout_rng, ZdcOptions{}, tips);
    return m;
  }
  m.g = std::make_shared<Generator2D>(cfg.latent, 10, cfg.hidden, init, cfg.condition_every_layer);
  m.d = std::make_shared<Discriminator2D>(10, cfg.hidden, init);
  return m;
}

Trainer::Trainer(TrainConfig cfg, std::shared_ptr<const data::ConditionalDataset> data,
                 Models models, std::shared_ptr<Collective> group)
    : cfg_(std::move(cfg)),
      data_(std::move(data)),
      m_(std::move(models)),
      opt_g_(m_.g->named_parameters(), adam_options(cfg_, cfg_.lr_g)),
      opt_d_(m_.d->named_parameters(), adam_options(cfg_, cfg_.lr_d)),
      z_rng_(cfg_.seed, 1ULL << 48),
      data_rng_(cfg_.seed, 2ULL << 48),
      label_rng_(cfg_.seed, 7ULL << 48),
      group_(group ? std::move(group) : single_process()) {
  cfg_.validate();
  reg_ = create_regularizer(cfg_.reg, cfg_.reg_opt);
  DG_CHECK(data_->size() > 0, "training set is empty");
  const int64_t ranks = group_->size();
  DG_CHECK(cfg_.batch % ranks == 0, "--batch "
                                        << cfg_.batch << " is not a multiple of the " << ranks
                                        << " ranks (each rank trains on batch / ranks rows)");
  local_batch_ = cfg_.batch / ranks;
  DG_CHECK(ranks == 1 || local_batch_ >= 2,
           "--batch " << cfg_.batch << " over " << ranks
                      << " ranks leaves fewer than 2 rows per rank (batch norm needs 2)");
  DG_CHECK(ranks == 1 || !cfg_.graph,
           "--graph: the captured step cannot hold the collectives of a data-parallel run yet; "
           "run without --graph under mpirun");
  for (auto* net : {static_cast<nn::Module*>(m_.g.get()), static_cast<nn::Module*>(m_.d.get())})
    for (auto& [name, b] : net->named_buffers()) buffers_.push_back(b);
  if (ranks > 1) {
    m_.dropout_rng->set_row_shard({group_->rank(), ranks, local_batch_});
    if (cfg_.sync_batch_norm) {
      nn::synchronize_batch_norms(*m_.g, group_);
      nn::synchronize_batch_norms(*m_.d, group_);
    }
  }
  if (cfg_.graph) set_graph_mode(true);
  DG_CHECK(data_->condition_dim() == 10 || cfg_.dataset != Dataset::Points2D,
           "2D data must have 10 conditions");
}

namespace {

// Copies `src` into the step's fixed input tensor `dst` on `dev` (asynchronously when it crosses
// to the GPU; the host may reuse `src` at once). `dst` is (re)created only when its shape or dtype
// changes, so its address stays the same from step to step (a captured graph reads it).
void stage_into(Tensor& dst, const Tensor& src, Device dev) {
  if (!dst.defined() || dst.shape() != src.shape() || dst.dtype() != src.dtype())
    dst = Tensor::empty(src.shape(), src.dtype(), dev);
  dst.copy_async_(src);
}

// The step's fixed input `dst` on `dev` = rows `rows` of `table`: gathered in place where the table
// is on `dev` (no temporary: after the warm-up a step allocates nothing), else gathered on the
// host and uploaded.
void gather_into(Tensor& dst, const Tensor& table, const Tensor& rows, Device dev) {
  if (table.device() != dev) {
    stage_into(dst, index_rows(table, rows), dev);
    return;
  }
  Shape shape = table.shape();
  shape[0] = rows.size(0);
  if (!dst.defined() || dst.shape() != shape || dst.dtype() != table.dtype())
    dst = Tensor::empty(shape, table.dtype(), dev);
  index_rows_into(table, rows, dst);
}

}  // namespace

Tensor Trainer::local_rows(const Tensor& t) const {
  if (group_->size() == 1) return t;
  const int64_t per_rank = t.size(0) / group_->size();
  return narrow(t, group_->rank() * per_rank, per_rank);
}

void Trainer::average_over_ranks(const std::vector<Tensor>& ts, const char* what) {
  if (group_->size() > 1) all_reduce_buckets(*group_, ts, 1.0 / group_->size(), what);
}

void Trainer::stage() {
  // Every rank draws the whole batch (the streams stay those of one process) and keeps its rows.
  const int64_t b = cfg_.batch, k = m_.g->latent_dim();
  // Batch rows drawn with replacement: a pure function of the data stream, so resume is exact.
  std::vector<double> u(b);
  data_rng_.fill_uniform(u.data(), b);
  std::vector<int64_t> idx(b);
  for (int64_t i = 0; i < b; ++i)
    idx[i] = std::min<int64_t>(static_cast<int64_t>(u[i] * data_->size()), data_->size() - 1);
  const Device dev = m_.g->device();
  stage_batch(idx, dev);
  // Latents: z1 for every variant, then the regularizer's own, in the order it draws them.
  stage_into(in_.z1, local_rows(z_rng_.normal({b, k})), dev);
  std::vector<Tensor> z = reg_->draw_latents(z_rng_, b, k);
  in_.z.resize(z.size());
  for (size_t i = 0; i < z.size(); ++i) stage_into(in_.z[i], local_rows(z[i]), dev);
  if (cfg_.label_tips()) stage_targets(dev);
  if (cfg_.aux_regression() && !aux_w_.defined()) {
    const std::vector<double> w(cfg_.aux_weights.begin(), cfg_.aux_weights.end());
    aux_w_ = Tensor::from_vector(w, {1, static_cast<int64_t>(w.size())}).to(dev);
  }
  if (!stats_.defined()) stats_ = Tensor::zeros({7}, DType::F32, dev);
}

// D's targets with the label tips: real 1 - s and generated 0, each swapped with probability p.
// The flips come from their own stream, drawn only when p > 0, so the other streams (and runs
// without the tips) are unchanged.
void Trainer::stage_targets(Device dev) {
  const int64_t b = cfg_.batch;
  const double hi = 1.0 - cfg_.label_smoothing;
  std::vector<double> u(static_cast<size_t>(2 * b), 1.0);
  if (cfg_.label_flip > 0) label_rng_.fill_uniform(u.data(), 2 * b);
  Tensor real = Tensor::empty({b, 1}, DType::F32), fake = Tensor::empty({b, 1}, DType::F32);
  for (int64_t i = 0; i < b; ++i) {
    real.data<float>()[i] = static_cast<float>(u[i] < cfg_.label_flip ? 0.0 : hi);
    fake.data<float>()[i] = static_cast<float>(u[b + i] < cfg_.label_flip ? hi : 0.0);
  }
  stage_into(in_.t_real, local_rows(real), dev);
  stage_into(in_.t_fake, local_rows(fake), dev);
}

void Trainer::stage_batch(const std::vector<int64_t>& idx, Device dev) {
  const int64_t b = local_batch_, first = group_->rank() * local_batch_;
  if (!table_.x.defined()) {
    data::Batch all = data_->all_samples();
    DG_CHECK(data_->size() <= std::numeric_limits<int32_t>::max(),
             "training set of " << data_->size() << " samples exceeds int32 row indices");
    const bool fits = data_->size() * shape_numel(data_->sample_shape()) <= kMaxDeviceElements;
    const Device at = dev == Device::CUDA && fits ? Device::CUDA : Device::CPU;
    table_.x = all.x.to(at);
    table_.c = all.c.to(at);
    table_.fdiv = all.fdiv.to(at);
  }
  // Rows of one step: the batch, its real pairs (the same draws data_->batch() makes) and each
  // batch row repeated for the regularizer's extra conditions; this rank's b of them.
  const std::vector<int64_t> pairs = data::draw_real_pairs(data_->groups(), idx, data_rng_);
  const int64_t r = reg_->condition_repeats();
  Tensor rows[3] = {Tensor::empty({b}, DType::I32), Tensor::empty({b}, DType::I32),
                    Tensor::empty({b * r}, DType::I32)};
  int32_t* batch_rows = rows[0].data<int32_t>();
  int32_t* pair_rows = rows[1].data<int32_t>();
  int32_t* repeated = rows[2].data<int32_t>();
  for (int64_t i = 0; i < b; ++i) {
    batch_rows[i] = static_cast<int32_t>(idx[first + i]);
    pair_rows[i] = static_cast<int32_t>(pairs[first + i]);
    for (int64_t k = 0; k < r; ++k) repeated[i * r + k] = static_cast<int32_t>(idx[first + i]);
  }
  const Device at = table_.x.device();
  for (int i = 0; i < 3; ++i)
    if (rows[i].numel() > 0) stage_into(rows_[i], rows[i], at);
  gather_into(in_.x, table_.x, rows_[0], dev);
  gather_into(in_.x_pair, table_.x, rows_[1], dev);
  gather_into(in_.c, table_.c, rows_[0], dev);
  gather_into(in_.fdiv, table_.fdiv, rows_[0], dev);
  if (r > 0) gather_into(in_.c_rep, table_.c, rows_[2], dev);
}

void Trainer::compute() {
  HostTransferGuard device_only;
  MatmulPrecisionGuard precision(cfg_.precision);
  const int64_t b = local_batch_;
  const double lambda = cfg_.effective_lambda();
  m_.g->train();
  m_.d->train();
  const Tensor& c = in_.c;
  // One generator pass over the batch rows and the regularizer's extra rows.
  std::vector<Tensor> zs{in_.z1}, cs{c};
  reg_->generator_rows(in_, zs, cs);
  Tensor z_all = zs.size() == 1 ? zs[0] : concat(zs, 0);
  Tensor c_all = cs.size() == 1 ? c : concat(cs, 0);
  Tensor fake = m_.g->generate(z_all, c_all);
  Tensor fake1 = zs.size() == 1 ? fake : narrow(fake, 0, b);
  Tensor diverged = overflow_measure(fake);

  // Discriminator: real -> 1, generated -> 0 (with the label tips: the staged targets).
  opt_d_.zero_grad();
  Tensor loss_d, loss_aux, feature_scale;
  {
    const DiscriminatorOutput real_out = m_.d->discriminate(in_.x, c);
    const Tensor& real_logit = real_out.logit;
    {
      NoGradGuard ng;
      feature_scale = mean(abs(real_out.features.detach()));
    }
    const Tensor fake_logit = m_.d->discriminate(fake1.detach(), c).logit;
    Tensor lr = in_.t_real.defined() ? bce_with_logits(real_logit, in_.t_real)
                                     : bce_with_logits(real_logit, 1.0);
    Tensor lf = in_.t_fake.defined() ? bce_with_logits(fake_logit, in_.t_fake)
                                     : bce_with_logits(fake_logit, 0.0);
    loss_d = add(lr, lf);
    // Auxiliary regression: D learns to read the conditions from real images only (generated
    // ones would teach it the generator's mistakes).
    if (aux_w_.defined()) {
      loss_aux = aux_regression_loss(real_out.aux, c, aux_w_);
      loss_d = add(loss_d, loss_aux);
    }
    diverged = add(diverged, nonfinite_flag(loss_d));
    loss_d.backward();
    average_over_ranks(gradients(*m_.d), "the discriminator's gradient all-reduce");
    opt_d_.step();
  }

  // Generator: adversarial term on the first B rows, the regularizer's loss from the whole pass.
  opt_g_.zero_grad();
  const bool all_rows = reg_->needs_features();
  StepView view;
  view.batch = b;
  view.in = &in_;
  view.fake = fake;
  view.fake1 = fake1;
  view.d_out = m_.d->discriminate(all_rows ? fake : fake1, all_rows ? c_all : c);
  view.d = m_.d.get();
  // D's minibatch layer (soft sparsity) compares each image with the rest of its call: the
  // adversarial and auxiliary terms then come from the batch rows alone, as D saw them in its own
  // step, and the call over all rows only supplies the regularizer's features.
  const bool separate = all_rows && cfg_.soft_sparsity;
  const DiscriminatorOutput first = separate ? m_.d->discriminate(fake1, c) : DiscriminatorOutput{};
  Tensor logit1 = separate   ? first.logit
                  : all_rows ? narrow(view.d_out.logit, 0, b)
                             : view.d_out.logit;
  Tensor loss_adv = bce_with_logits(logit1, 1.0);
  Tensor loss_div = reg_->loss(view);
  diverged = add(diverged, nonfinite_flag(loss_adv));
  Tensor loss_g = loss_adv;
  if (aux_w_.defined()) {
    // G: generated images must carry their conditions as D's head reads them.
    const Tensor pred = separate   ? first.aux
                        : all_rows ? narrow(view.d_out.aux, 0, b)
                                   : view.d_out.aux;
    const Tensor aux_g = aux_regression_loss(pred, c, aux_w_);
    diverged = add(diverged, nonfinite_flag(aux_g));
    loss_g = add(loss_g, aux_g);
  }
  if (loss_div.defined()) {
    diverged = add(diverged, nonfinite_flag(loss_div));
    loss_g = add(loss_g, mul(loss_div, lambda));
  }
  {
    // The seven stats in one device copy (no host transfer). The divergence measure is sticky:
    // added to the previous steps', so a divergence between two reads of the stats (the GPU reads
    // them every few steps) is still reported at the next one.
    NoGradGuard ng;
    Tensor sticky = add(reshape(narrow(stats_, 3, 1), {}), diverged.detach());
    Tensor zero = Tensor::zeros({}, DType::F32, stats_.device());
    Tensor div = loss_div.defined() ? loss_div : zero;
    Tensor aux = loss_aux.defined() ? loss_aux.detach() : zero;
    Tensor level = mean(fake1.detach());
    stats_.copy_(concat(
        {reshape(loss_d, {1}), reshape(loss_adv, {1}), reshape(div, {1}), reshape(sticky, {1}),
         reshape(aux, {1}), reshape(feature_scale, {1}), reshape(level, {1})},
        0));
  }
  loss_g.backward();
  average_over_ranks(gradients(*m_.g), "the generator's gradient all-reduce");
  opt_g_.step();
  if (group_->size() > 1) {
    // The logged losses and diagnostics of the whole batch; the divergence measure of any rank.
    average_over_ranks({stats_}, "the step's losses");
    // Per-rank statistics leave the replicas' running estimates apart: their average keeps them
    // equal (synchronized ones are equal already).
    if (!cfg_.sync_batch_norm) average_over_ranks(buffers_, "the batch-norm running statistics");
  }
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
  const std::vector<double> v = stats_.to_vector();  // one read; no device temporary
  const int64_t at = step_ - 1;
  StepStats st{v[0], v[1], v[2], v[4], v[5], v[6]};
  check_finite(st.loss_d, "the discriminator loss", at);
  check_finite(st.loss_g_adv, "the generator loss", at);
  check_finite(st.loss_div, "the diversity loss", at);
  check_finite(st.loss_aux, "the auxiliary regression loss", at);
  DG_CHECK(v[3] == 0,
           "training diverged at or before step "
               << at << ": a loss or generated values became "
               << (std::isfinite(data_->sample_limit())
                       ? "non-finite or beyond " + data_->sample_limit_meaning()
                       : std::string("non-finite"))
               << ", summed excess " << v[3]
               << " (try a smaller lambda or learning rate; the last checkpoint is intact)");
  return st;
}

Tensor Trainer::overflow_measure(const Tensor& fake) const {
  // Image-space diversity rewards can push a ReLU-output generator up until its samples mean
  // nothing (ZDC: expm1 overflows); the summed excess over the data set's limit is 0 exactly when
  // every value is within it. relu maps NaN to 0, so non-finite values are caught by the second
  // term (0 * sum is NaN exactly when one is).
  NoGradGuard ng;
  Tensor flag = nonfinite_flag(sum(fake));
  const double limit = data_->sample_limit();
  if (!std::isfinite(limit)) return flag;
  return add(sum(relu(add(abs(fake), -limit))), flag);
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

uint64_t Trainer::state_hash() const {
  uint64_t h = 1469598103934665603ULL;
  for (auto& [name, t] : state_tensors(m_, opt_g_, opt_d_)) {
    const Tensor host = t.to(Device::CPU);
    const auto* p = static_cast<const unsigned char*>(host.raw());
    for (size_t i = 0; i < host.nbytes(); ++i) h = (h ^ p[i]) * 1099511628211ULL;
  }
  return h;
}

void Trainer::save(const std::string& path, const std::map<std::string, std::string>& more) const {
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
  for (const auto& [k, v] : more) meta[k] = v;
  meta["format"] = "divgan-train-v1";
  meta["config"] = cfg_.to_json().dump();
  meta["step"] = std::to_string(step_);
  meta["optG.steps"] = std::to_string(opt_g_.steps());
  meta["optD.steps"] = std::to_string(opt_d_.steps());
  meta["rng.z"] = std::to_string(z_rng_.offset());
  meta["rng.data"] = std::to_string(data_rng_.offset());
  meta["rng.dropout"] = std::to_string(m_.dropout_rng->offset());
  meta["rng.label"] = std::to_string(label_rng_.offset());
  meta["ranks"] = std::to_string(group_->size());
  save_safetensors(path, state_tensors(m_, opt_g_, opt_d_), meta);
}

uint64_t checkpoint_metadata_u64(const SafetensorsFile& f, const std::string& path,
                                 const std::string& key, uint64_t max) {
  auto it = f.metadata.find(key);
  DG_CHECK(it != f.metadata.end(), path << ": checkpoint metadata lacks '" << key << "'");
  // Plain decimal digits only, as save() writes them: std::stoull would also take " 7", "+7" and
  // "-1" (as 2^64 - 1).
  const std::string& s = it->second;
  uint64_t v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  DG_CHECK(
      !s.empty() && ec == std::errc() && end == s.data() + s.size(),
      path << ": checkpoint metadata '" << key << "' is not an unsigned integer: '" << s << "'");
  DG_CHECK(v <= max, path << ": checkpoint metadata '" << key << "' is " << s
                          << ", larger than the largest allowed (" << max << ")");
  return v;
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
  TrainConfig c;
  try {
    c = TrainConfig::from_json(j);
    c.validate();
  } catch (const Error& e) {
    DG_FAIL(path << ": checkpoint 'config' metadata: " << e.what());
  }
  // make_models allocates the 2D networks before any tensor is restored, so their sizes are
  // bounded by the values the file holds: each 2D network has a (latent + 10, hidden) weight and
  // two (hidden, hidden) ones. (The ZDC networks have fixed sizes.)
  if (c.dataset == Dataset::Points2D) {
    unsigned __int128 held = 0;
    for (const auto& [name, t] : f.tensors) held += static_cast<uint64_t>(t.numel());
    const auto h = static_cast<unsigned __int128>(c.hidden);
    DG_CHECK(h * h + h * static_cast<uint64_t>(c.latent) <= held,
             path << ": checkpoint 'config' names networks of hidden size " << c.hidden
                  << " and latent size " << c.latent << ", larger than the "
                  << static_cast<uint64_t>(held) << " values the file holds (corrupt config?)");
  }
  // How the step ran is not part of the model: a checkpoint from a graph-mode run loads anywhere,
  // and whoever resumes it decides again (train --graph).
  c.graph = false;
  return c;
}

void Trainer::load(const std::string& path, bool allow_rank_change) {
  SafetensorsFile f = load_safetensors(path);
  auto fmt = f.metadata.find("format");
  DG_CHECK(fmt != f.metadata.end() && fmt->second == "divgan-train-v1",
           path << ": not a divgan training checkpoint (metadata 'format' missing or unknown)");
  // Checkpoints from before data-parallel training have no "ranks": one process wrote them.
  const uint64_t ranks = f.metadata.count("ranks") ? checkpoint_metadata_u64(f, path, "ranks") : 1;
  DG_CHECK(allow_rank_change || ranks == static_cast<uint64_t>(group_->size()),
           path << ": written by a run of " << ranks << " rank(s), resumed with " << group_->size()
                << ": resume with the same number (mpirun -np " << ranks
                << ") to continue it bit for bit, or add --override to continue it with "
                << group_->size() << " (same global batch, not bit-exact)");
  restore_tensors(f, state_tensors(m_, opt_g_, opt_d_));
  // Step counters are int64 in memory: a value above 2^63 - 1 would turn negative.
  const auto count = [&](const char* key) {
    return static_cast<int64_t>(
        checkpoint_metadata_u64(f, path, key, std::numeric_limits<int64_t>::max()));
  };
  step_ = count("step");
  opt_g_.set_steps(count("optG.steps"));
  opt_d_.set_steps(count("optD.steps"));
  z_rng_.set_offset(checkpoint_metadata_u64(f, path, "rng.z"));
  data_rng_.set_offset(checkpoint_metadata_u64(f, path, "rng.data"));
  m_.dropout_rng->set_offset(checkpoint_metadata_u64(f, path, "rng.dropout"));
  // Checkpoints from before the label tips have no "rng.label": their stream was never drawn.
  label_rng_.set_offset(
      f.metadata.count("rng.label") ? checkpoint_metadata_u64(f, path, "rng.label") : 0);
  stats_ = Tensor();  // a fresh divergence measure for the restored state
}

}  // namespace dg::gan
