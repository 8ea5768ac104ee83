// divgan: train, evaluate and study diversity-regularized conditional GANs.
// Run `divgan --help` or `divgan <subcommand> --help`.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <string>
#include <vector>

#include "base/error.h"
#include "engine/collective.h"
#include "tools/commands.h"
#include "tools/provenance.h"
#include "tools/shard.h"
#include "tools/suggest.h"
#include "tools/train_loop.h"

namespace {

CLI::App* find_subcommand(CLI::App& app, const std::string& name) {
  for (CLI::App* s : app.get_subcommands({}))
    if (s->get_name() == name) return s;
  return nullptr;
}

// The first word that is not a subcommand, or a flag the subcommand does not have, as one error
// line with the nearest valid name; empty when the command line names only known things.
std::string unknown_names(CLI::App& app, int argc, char** argv) {
  if (argc < 2 || argv[1][0] == '-') return {};
  std::vector<std::string> subs;
  for (const CLI::App* s : app.get_subcommands({})) subs.push_back(s->get_name());
  CLI::App* sub = find_subcommand(app, argv[1]);
  if (!sub)
    return "unknown subcommand '" + std::string(argv[1]) + "'" +
           dg::tools::did_you_mean(argv[1], subs) +
           " (expected one of: " + dg::tools::join_names(subs) + "; see divgan --help)";
  std::vector<std::string> flags;
  for (const CLI::Option* o : sub->get_options())
    for (const std::string& n : o->get_lnames()) flags.push_back("--" + n);
  for (int i = 2; i < argc; ++i) {
    if (std::strncmp(argv[i], "--", 2) != 0 || std::strlen(argv[i]) == 2) continue;
    std::string flag = argv[i];
    flag = flag.substr(0, flag.find('='));
    bool known = false;
    for (const std::string& f : flags) known = known || f == flag;
    if (!known)
      return "unknown flag '" + flag + "' for divgan " + sub->get_name() +
             dg::tools::did_you_mean(flag, flags) + " (see divgan " + sub->get_name() + " --help)";
  }
  return {};
}

// "divgan" or, in a launch of several ranks, "divgan (rank R)": who says the message.
std::string speaker() {
  if (!dg::launched_with_mpi()) return "divgan";
  try {
    if (const auto rank = dg::tools::launcher_shard())
      return "divgan (rank " + std::to_string(rank->index) + ")";
  } catch (const std::exception&) {
    // A launcher without a size: the message itself says so.
  }
  return "divgan";
}

int run(int argc, char** argv) {
  CLI::App app{"divgan: diversity-regularized conditional GANs (ALICE ZDC fast simulation)"};
  app.set_version_flag("--version", dg::tools::version_line());
  app.require_subcommand(1);
  dg::tools::add_train_command(app);
  dg::tools::add_eval_command(app);
  dg::tools::add_generate_command(app);
  dg::tools::add_study2d_command(app);
  dg::tools::add_studyzdc_command(app);
  dg::tools::add_support_command(app);
  dg::tools::add_report_command(app);
  dg::tools::add_export_command(app);
  // CLI11 reports an unknown first word as a missing subcommand and an unknown flag without a
  // suggestion; say what it is and what was probably meant.
  if (const std::string why = unknown_names(app, argc, argv); !why.empty()) {
    std::fprintf(stderr, "divgan: error: %s\n", why.c_str());
    return 2;
  }
  // Under mpirun, the commands that split their work over the ranks; the others would repeat the
  // whole job once per rank.
  if (dg::launched_with_mpi() && argc >= 2) {
    const std::string sub = argv[1];
    if (sub != "train" && sub != "generate" && sub != "study2d" && sub != "studyzdc" &&
        sub[0] != '-') {
      std::fprintf(stderr,
                   "%s: error: divgan %s runs in one process; under mpirun only train, generate, "
                   "study2d and studyzdc share their work among the ranks\n",
                   speaker().c_str(), sub.c_str());
      return 2;
    }
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "divgan: error: %s (see divgan --help)\n", e.what());
    return 2;
  } catch (const dg::tools::Interrupted& e) {
    const bool train = std::strcmp(argv[1], "train") == 0;
    bool overwrite = false;
    for (int i = 2; i < argc; ++i)
      overwrite = overwrite || std::strcmp(argv[i], "--overwrite") == 0;
    std::fprintf(stderr, "%s: %s at step %lld; the checkpoint %s holds it (%s)\n",
                 speaker().c_str(), e.what(), static_cast<long long>(e.step), e.checkpoint.c_str(),
                 !train      ? "run the same command again: finished runs are reused and "
                               "interrupted ones continue"
                 : overwrite ? "continue with the same command, --resume in place of --overwrite"
                             : "continue with the same command and --resume");
    return 128 + e.signal;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s: error: %s\n", speaker().c_str(), e.what());
    return 1;
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  dg::tools::set_command_line(argc, argv);
  const int code = run(argc, argv);
  // A rank that failed ends the whole launch: the others may wait in a collective it will never
  // join (their own timeout would end them too, later). A clean end finalizes MPI.
  if (code == 1) {
    std::fflush(stderr);
    dg::mpi_abort_all(code);
  }
  dg::mpi_finalize();
  return code;
}
