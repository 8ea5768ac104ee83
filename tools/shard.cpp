// Shards of a job (see shard.h).
#include "tools/shard.h"

#include <cstdlib>
#include <filesystem>
#include <stdexcept>

#include "base/error.h"

namespace dg::tools {

Shard parse_shard(const std::string& s, const std::string& flag) {
  const size_t slash = s.find('/');
  Shard r;
  try {
    if (slash == std::string::npos) throw std::invalid_argument("no '/'");
    size_t a = 0, b = 0;
    r.index = std::stoll(s.substr(0, slash), &a);
    r.count = std::stoll(s.substr(slash + 1), &b);
    if (a != slash || b != s.size() - slash - 1) throw std::invalid_argument("trailing characters");
  } catch (const std::exception&) {
    DG_FAIL(flag << ": '" << s << "' is not i/n (expected a shard like 0/4)");
  }
  DG_CHECK(r.count >= 1 && r.index >= 0 && r.index < r.count,
           flag << ": '" << s << "' needs 0 <= i < n (shards are numbered from 0)");
  return r;
}

std::optional<Shard> launcher_shard() {
  const char* pairs[][2] = {{"OMPI_COMM_WORLD_RANK", "OMPI_COMM_WORLD_SIZE"},
                            {"PMIX_RANK", "PMIX_SIZE"},
                            {"PMI_RANK", "PMI_SIZE"}};
  for (const auto& [rank, size] : pairs) {
    const char* r = std::getenv(rank);
    const char* n = std::getenv(size);
    if (!r) continue;
    // PMIx launchers (srun --mpi=pmix, prterun) set the rank without the size: without it the
    // parts cannot be told, and every rank doing the whole job would overwrite the others' output.
    DG_CHECK(n, "the launcher sets " << rank << " but not " << size
                                     << ", so this process cannot tell its part of the job; "
                                        "give it explicitly with --shard i/n");
    const Shard s = parse_shard(std::string(r) + "/" + n,
                                std::string("the launcher's ") + rank + " and " + size);
    if (s.count > 1) return s;
  }
  return std::nullopt;
}

std::string shard_path(const std::string& path, Shard s) {
  const std::filesystem::path p(path);
  return (p.parent_path() / (p.stem().string() + ".shard-" + std::to_string(s.index) + "-of-" +
                             std::to_string(s.count) + p.extension().string()))
      .string();
}

}  // namespace dg::tools
