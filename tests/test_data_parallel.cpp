// Data-parallel training without a launcher: the ranks are threads of this process
// (make_thread_group), running the same code as MPI ranks do. Checks the collectives, the
// synchronized batch norm (values, gradients against finite differences in double and against one
// process on the whole batch), dropout's row-sharded masks, and whole training steps: replicas
// bitwise equal after every step, and two ranks with synchronized batch norm following one
// process on the same global batch. tests/test_mpi.sh runs the same claims through mpirun.
// Run: build/dg_tests -tc="data parallel*"
#include <doctest/doctest.h>

#include <cmath>
#include <cstdlib>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "engine/collective.h"
#include "engine/nn/module.h"
#include "engine/rng.h"
#include "gan/models_zdc.h"
#include "gan/trainer.h"
#include "tests/gradcheck.h"
#include "tests/test_support.h"

using namespace dg;

namespace {

// Runs body(rank, group member) on one thread per rank and rethrows the first failure.
void on_ranks(int n, const std::function<void(int, std::shared_ptr<Collective>)>& body,
              double timeout_s = 60) {
  auto group = make_thread_group(n, timeout_s);
  std::vector<std::thread> threads;
  std::vector<std::exception_ptr> errors(n);
  for (int r = 0; r < n; ++r)
    threads.emplace_back([&, r] {
      try {
        body(r, group[r]);
      } catch (...) {
        errors[r] = std::current_exception();
      }
    });
  for (auto& t : threads) t.join();
  for (auto& e : errors)
    if (e) std::rethrow_exception(e);
}

std::vector<double> values(const Tensor& t) { return t.to_vector(); }

// The bytes of every parameter, buffer and optimizer moment (via a checkpoint's tensors).
std::vector<float> state_of(gan::Trainer& tr) {
  std::vector<float> out;
  for (auto* net : {static_cast<nn::Module*>(tr.models().g.get()),
                    static_cast<nn::Module*>(tr.models().d.get())}) {
    for (const auto& list : {net->named_parameters(), net->named_buffers()})
      for (const auto& [name, t] : list) {
        const float* p = t.data<float>();
        out.insert(out.end(), p, p + t.numel());
      }
  }
  return out;
}

}  // namespace

TEST_CASE("data parallel: thread-group collectives sum, gather and agree in rank order") {
  on_ranks(3, [](int r, std::shared_ptr<Collective> g) {
    Tensor t = Tensor::from_vector({1.0 * r, 10.0 + r}, {2});
    g->all_reduce_sum(t, "test");
    CHECK(values(t) == std::vector<double>{3.0, 33.0});
    const Tensor all = g->all_gather(Tensor::from_vector({double(r)}, {1, 1}), "test");
    CHECK(all.shape() == Shape{3, 1});
    CHECK(values(all) == std::vector<double>{0, 1, 2});
    CHECK(g->any(r == 2, "test"));
    CHECK_FALSE(g->any(false, "test"));
    std::string s = r == 0 ? "from rank 0" : "";
    broadcast_string(*g, s, "test");
    CHECK(s == "from rank 0");
    // Buckets: many small tensors and one larger than a bucket, averaged.
    std::vector<Tensor> ts;
    for (int i = 0; i < 5; ++i) ts.push_back(Tensor::full({3}, r + i));
    ts.push_back(Tensor::full({100}, 2.0 * r));
    all_reduce_buckets(*g, ts, 1.0 / 3, "test", 32);
    for (int i = 0; i < 5; ++i) CHECK(values(ts[i])[2] == doctest::Approx(1 + i));
    CHECK(values(ts[5])[99] == doctest::Approx(2.0));
  });
}

TEST_CASE("data parallel: a missing rank is an error naming the collective, not a hang") {
  auto group = make_thread_group(2, 0.2);
  Tensor t = Tensor::zeros({1});
  CHECK_THROWS_WITH_AS(group[0]->all_reduce_sum(t, "the test's all-reduce"),
                       doctest::Contains("no answer from the other ranks within 0.2 s in the "
                                         "test's all-reduce"),
                       dg::Error);
}

TEST_CASE("data parallel: synchronized batch norm equals one batch norm over every rank's rows") {
  // Two ranks of (3, C, 2, 2) rows each against one call on the (6, C, 2, 2) batch, in double:
  // outputs, running statistics, and gradients of sum(y * w) for x, gamma and beta.
  const int64_t C = 2;
  const Tensor x = test::rand_uniform({6, C, 2, 2}, -2, 3, 11);
  const Tensor w = test::rand_uniform({6, C, 2, 2}, -1, 1, 12);
  const Tensor gamma0 = test::rand_uniform({C}, 0.5, 1.5, 13);
  const Tensor beta0 = test::rand_uniform({C}, -0.5, 0.5, 14);
  auto leaf = [](const Tensor& t) { return t.clone().set_requires_grad(); };

  Tensor xr = leaf(x), gr = leaf(gamma0), br = leaf(beta0);
  Tensor rm = Tensor::zeros({C}, DType::F64), rv = Tensor::full({C}, 1.0, DType::F64);
  Tensor y = batch_norm(xr, gr, br, rm, rv, true, 0.1, 1e-5);
  sum(mul(y, w)).backward();

  std::vector<Tensor> ys(2), dxs(2), dgs(2), dbs(2), rms(2), rvs(2);
  on_ranks(2, [&](int r, std::shared_ptr<Collective> g) {
    Tensor xl = leaf(narrow(x, 3 * r, 3)), gl = leaf(gamma0), bl = leaf(beta0);
    rms[r] = Tensor::zeros({C}, DType::F64);
    rvs[r] = Tensor::full({C}, 1.0, DType::F64);
    ys[r] = batch_norm(xl, gl, bl, rms[r], rvs[r], true, 0.1, 1e-5, g.get());
    sum(mul(ys[r], narrow(w, 3 * r, 3))).backward();
    dxs[r] = xl.grad();
    dgs[r] = gl.grad();
    dbs[r] = bl.grad();
  });
  const auto near = [](const std::vector<double>& a, const std::vector<double>& b) {
    return test::max_abs_err(a, b).err < 1e-12;
  };
  CHECK(near(values(concat(ys, 0)), values(y)));
  CHECK(near(values(concat(dxs, 0)), values(xr.grad())));
  // Each rank's dgamma, dbeta are its rows' share; their sum is the whole batch's.
  CHECK(near(values(add(dgs[0], dgs[1])), values(gr.grad())));
  CHECK(near(values(add(dbs[0], dbs[1])), values(br.grad())));
  for (int r = 0; r < 2; ++r) {
    CHECK(near(values(rms[r]), values(rm)));
    CHECK(near(values(rvs[r]), values(rv)));
  }
}

TEST_CASE("data parallel: synchronized batch norm gradient against finite differences") {
  // L(x) = sum over ranks of sum(bn_sync(x_r) * w_r); each rank's x_r is half of x. Analytic dL/dx
  // from the ranks' backward passes against central differences of L run on the ranks.
  const int64_t C = 3;
  const Tensor x = test::rand_uniform({4, C}, -1, 2, 21);
  const Tensor w = test::rand_uniform({4, C}, -1, 1, 22);
  const Tensor gamma = test::rand_uniform({C}, 0.5, 1.5, 23);
  auto loss = [&](const Tensor& xs, std::vector<Tensor>* grads) {
    std::vector<double> parts(2);
    on_ranks(2, [&](int r, std::shared_ptr<Collective> g) {
      Tensor xl = narrow(xs, 2 * r, 2).clone().set_requires_grad();
      Tensor y = batch_norm(xl, gamma, Tensor(), Tensor(), Tensor(), true, 0.1, 1e-5, g.get());
      Tensor l = sum(mul(y, narrow(w, 2 * r, 2)));
      parts[r] = l.item();
      if (grads) {
        l.backward();
        (*grads)[r] = xl.grad();
      }
    });
    return parts[0] + parts[1];
  };
  std::vector<Tensor> grads(2);
  loss(x, &grads);
  const std::vector<double> analytic = values(concat(grads, 0));
  std::vector<double> numeric(analytic.size());
  const double h = 1e-6;
  for (size_t i = 0; i < numeric.size(); ++i) {
    std::vector<double> v = values(x);
    v[i] += h;
    const double up = loss(Tensor::from_vector(v, x.shape(), DType::F64), nullptr);
    v[i] -= 2 * h;
    const double down = loss(Tensor::from_vector(v, x.shape(), DType::F64), nullptr);
    numeric[i] = (up - down) / (2 * h);
  }
  const test::MaxErr e = test::max_abs_err(analytic, numeric);
  CAPTURE(e.index);
  CHECK(e.err < 1e-7);
}

TEST_CASE("data parallel: dropout draws each rank's rows where one process would") {
  // Two blocks of rows (as the generator's [z1 | z2] pass): rank r's block j is the single
  // process's rows [j 4 + 2 r, j 4 + 2 r + 2), and the stream advances as one call over all.
  const Tensor x = Tensor::full({8, 4}, 1.0);
  Philox one(5, 100);
  const std::vector<double> full = values(dropout(x, 0.5, true, one));
  for (int r = 0; r < 2; ++r) {
    Philox mine(5, 100);
    mine.set_row_shard({r, 2, 2});
    const std::vector<double> part = values(dropout(Tensor::full({4, 4}, 1.0), 0.5, true, mine));
    CHECK(mine.offset() == one.offset());
    for (int j = 0; j < 2; ++j)
      for (int i = 0; i < 8; ++i) CHECK(part[j * 8 + i] == full[(j * 4 + 2 * r) * 4 + i]);
  }
  // Rows not on whole Philox blocks (3 elements): each rank its own range, still disjoint.
  Philox a(5, 0), b(5, 0);
  a.set_row_shard({0, 2, 2});
  b.set_row_shard({1, 2, 2});
  const std::vector<double> ma = values(dropout(Tensor::full({2, 3}, 1.0), 0.5, true, a));
  const std::vector<double> mb = values(dropout(Tensor::full({2, 3}, 1.0), 0.5, true, b));
  CHECK(a.offset() == b.offset());
  CHECK(ma != mb);
}

namespace {

gan::TrainConfig dp_config(gan::Regularizer reg) {
  gan::TrainConfig c;
  c.dataset = gan::Dataset::Zdc;
  c.generator = gan::GeneratorArch::Dcgan;
  c.latent = gan::kZdcLatent;
  c.reg = reg;
  c.batch = 8;
  c.seed = 3;
  return c;
}

}  // namespace

TEST_CASE("data parallel: two ranks stay bitwise equal after every step") {
  auto data = test::simulated_zdc_train(30);
  for (bool sync : {false, true}) {
    CAPTURE(sync);
    gan::TrainConfig cfg = dp_config(gan::Regularizer::DivBal);
    cfg.sync_batch_norm = sync;
    std::vector<std::vector<std::vector<float>>> states(2);
    on_ranks(2, [&](int r, std::shared_ptr<Collective> g) {
      gan::Trainer tr(cfg, data, gan::make_models(cfg), g);
      for (int s = 0; s < 4; ++s) {
        tr.step();
        states[r].push_back(state_of(tr));
      }
    });
    for (int s = 0; s < 4; ++s) {
      CAPTURE(s);
      CHECK(states[0][s] == states[1][s]);
    }
  }
}

TEST_CASE("data parallel: the batch must split evenly and graph mode is refused") {
  auto data = test::simulated_zdc_train(30);
  gan::TrainConfig cfg = dp_config(gan::Regularizer::None);
  cfg.batch = 9;
  on_ranks(2, [&](int, std::shared_ptr<Collective> g) {
    CHECK_THROWS_WITH_AS(gan::Trainer(cfg, data, gan::make_models(cfg), g),
                         doctest::Contains("not a multiple of the 2 ranks"), dg::Error);
    gan::TrainConfig graph = dp_config(gan::Regularizer::None);
    graph.graph = true;
    CHECK_THROWS_WITH_AS(gan::Trainer(graph, data, gan::make_models(graph), g),
                         doctest::Contains("--graph"), dg::Error);
  });
}

TEST_CASE("data parallel: two ranks with synchronized batch norm follow one process") {
  // Training amplifies float rounding: a single process whose one weight is moved by one part in
  // 10^7 ends 50 steps as far from the unmoved run as two ranks do (docs/design.md#data-parallel-
  // training). So each of the 50 steps is checked from the single process's state at that step:
  // both continue from the same checkpoint, and one step of two ranks must give the single
  // process's losses and update to float rounding.
  auto data = test::simulated_zdc_train(30);
  const test::TempDir dir("dp_follow");
  for (gan::Regularizer reg :
       {gan::Regularizer::None, gan::Regularizer::SDI, gan::Regularizer::DivBal}) {
    CAPTURE(gan::regularizer_name(reg));
    gan::TrainConfig cfg = dp_config(reg);
    cfg.sync_batch_norm = true;
    const std::string ckpt = dir / "step.safetensors";
    gan::Trainer one(cfg, data, gan::make_models(cfg));
    double loss_err = 0, update_err = 0;
    for (int s = 0; s < 50; ++s) {
      one.save(ckpt);
      const std::vector<float> before = state_of(one);
      const gan::StepStats want = one.step();
      const std::vector<float> after = state_of(one);
      gan::StepStats got;
      std::vector<float> two_after;
      on_ranks(2, [&](int r, std::shared_ptr<Collective> g) {
        gan::Trainer tr(cfg, data, gan::make_models(cfg), g);
        tr.load(ckpt, true);
        const gan::StepStats st = tr.step();
        if (r == 0) {
          got = st;
          two_after = state_of(tr);
        }
      });
      for (auto [a, b] :
           {std::pair{want.loss_d, got.loss_d}, std::pair{want.loss_g_adv, got.loss_g_adv},
            std::pair{want.loss_div, got.loss_div}})
        loss_err = std::max(loss_err, std::abs(a - b));
      // |two's update - one's update| / |one's update| over every parameter and statistic.
      double diff = 0, norm = 0;
      for (size_t i = 0; i < after.size(); ++i) {
        const double u1 = double(after[i]) - before[i], u2 = double(two_after[i]) - before[i];
        diff += (u2 - u1) * (u2 - u1);
        norm += u1 * u1;
      }
      update_err = std::max(update_err, std::sqrt(diff / norm));
    }
    // Measured here: losses within 1.6e-6, updates within 0.5% (parameters whose gradient is
    // zero up to rounding, such as a bias before batch norm, take Adam's first steps of +-lr
    // in a direction the rounding picks).
    CHECK(loss_err < 1e-5);
    CHECK(update_err < 0.02);
  }
  // The check tells the two batch norms apart: with per-rank statistics the same step differs.
  gan::TrainConfig cfg = dp_config(gan::Regularizer::None);
  const std::string ckpt = dir / "per_rank.safetensors";
  gan::Trainer one(cfg, data, gan::make_models(cfg));
  one.save(ckpt);
  const double want = one.step().loss_g_adv;
  double got = 0;
  on_ranks(2, [&](int r, std::shared_ptr<Collective> g) {
    gan::Trainer tr(cfg, data, gan::make_models(cfg), g);
    tr.load(ckpt, true);
    const double v = tr.step().loss_g_adv;
    if (r == 0) got = v;
  });
  CHECK(std::abs(got - want) > 1e-4);
}

TEST_CASE("data parallel: an MPI launch needs the launcher's address, not only rank variables") {
  // A job array may imitate a launcher's rank variables (generate and the studies then shard
  // without MPI); only a launcher's address makes `train` start MPI.
  const char* names[] = {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_SIZE",
                         "PMIX_SERVER_URI2",     "PMI_FD",   "PMI_PORT"};
  std::vector<std::pair<std::string, std::string>> saved;
  for (const char* n : names)
    if (const char* v = std::getenv(n)) saved.emplace_back(n, v);
  for (const char* n : names) unsetenv(n);
  CHECK_FALSE(launched_with_mpi());
  setenv("OMPI_COMM_WORLD_SIZE", "3", 1);
  CHECK_FALSE(launched_with_mpi());
  CHECK(default_threads_per_rank() == 0);  // not a launch: every core
  setenv("PMIX_SERVER_URI2", "1.0;tcp4://127.0.0.1:1", 1);
  CHECK(launched_with_mpi());
  setenv("OMPI_COMM_WORLD_SIZE", "1", 1);
  CHECK_FALSE(launched_with_mpi());  // one rank: nothing to share
  for (const char* n : names) unsetenv(n);
  for (const auto& [n, v] : saved) setenv(n.c_str(), v.c_str(), 1);
}
