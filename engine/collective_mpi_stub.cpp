// A build without MPI (collective.h): a launch under mpirun is refused with a message instead of
// running N copies of a single-process job.
#include "base/error.h"
#include "engine/collective.h"

namespace dg {

bool mpi_built() { return false; }

std::shared_ptr<Collective> mpi_world(const MpiOptions&) {
  DG_FAIL(
      "built without MPI: data-parallel training needs libopenmpi-dev at configure time "
      "(tools/setup.sh installs it)");
}

void mpi_abort_all(int) {}
void mpi_finalize() {}

}  // namespace dg
