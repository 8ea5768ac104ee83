// divgan: train, evaluate and study diversity-regularized conditional GANs.
// Run `divgan --help` or `divgan <subcommand> --help`.
#include <cstdio>
#include <exception>

#include "base/error.h"
#include "tools/commands.h"

namespace {
bool is_subcommand(CLI::App& app, const char* name) {
  for (const CLI::App* s : app.get_subcommands({}))
    if (s->get_name() == name) return true;
  return false;
}
}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"divgan: diversity-regularized conditional GANs (ALICE ZDC fast simulation)"};
  app.require_subcommand(1);
  dg::tools::add_train_command(app);
  dg::tools::add_eval_command(app);
  dg::tools::add_generate_command(app);
  dg::tools::add_study2d_command(app);
  dg::tools::add_studyzdc_command(app);
  // CLI11 reports an unknown first word as a missing subcommand; say what it is instead.
  if (argc > 1 && argv[1][0] != '-' && !is_subcommand(app, argv[1])) {
    std::fprintf(stderr,
                 "divgan: error: unknown subcommand '%s' (expected train, eval, generate, study2d "
                 "or studyzdc; see divgan --help)\n",
                 argv[1]);
    return 2;
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "divgan: error: %s (see divgan --help)\n", e.what());
    return 2;
  } catch (const dg::Error& e) {
    std::fprintf(stderr, "divgan: error: %s\n", e.what());
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "divgan: error: %s\n", e.what());
    return 1;
  }
  return 0;
}
