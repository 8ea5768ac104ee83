// divgan: train, evaluate and study diversity-regularized conditional GANs.
// Run `divgan --help` or `divgan <subcommand> --help`.
#include <cstdio>
#include <exception>

#include "engine/error.h"
#include "tools/commands.h"

int main(int argc, char** argv) {
  CLI::App app{"divgan: diversity-regularized conditional GANs (ALICE ZDC fast simulation)"};
  app.require_subcommand(1);
  dg::tools::add_train_command(app);
  dg::tools::add_eval_command(app);
  dg::tools::add_study2d_command(app);
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
